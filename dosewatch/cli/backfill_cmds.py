"""Distributed ingest commands: ``worker`` (a Celery worker), ``backfill`` (enumerate a
source, enqueue, follow progress) and ``backfill status``."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dosewatch.archive import backfill_source
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest import backfill as enqueuer
from dosewatch.ingest import celery_runner
from dosewatch.ledger import backfill as progress
from dosewatch.ledger import db
from dosewatch.settings import Settings

backfill_app = typer.Typer(
    help="Backfill an archive through the distributed workers (needs DOSEWATCH_BROKER_URL).",
    invoke_without_command=True,
)
app.add_typer(backfill_app, name="backfill")

console = Console()
err_console = Console(stderr=True)


def _fail(exc: DoseWatchError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
    return typer.Exit(2)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] {option} {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="worker processes")
    ] = 1,
    hostname: Annotated[
        str | None, typer.Option("--hostname", help="worker name (default dosewatch-<host>)")
    ] = None,
) -> None:
    """Start a Celery ingest worker on DOSEWATCH_BROKER_URL (PostgreSQL ledger)."""
    from dosewatch.cumulative.alerts import on_recorded  # alerts raised at ingest
    from dosewatch.nrd.store import on_study_recorded  # patient facts + NRD indicators

    settings = Settings()
    try:
        settings.require_explicit_pseudonym_key()
        celery_runner.broker_url(settings)
        engine = db.engine_from_settings(settings)
        db.upgrade(engine)
        engine.dispose()  # each worker process opens its own connections
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    hooks = celery_runner.WorkerHooks(on_recorded, on_study_recorded)
    backfill_source.register()  # DICOMweb instance URLs (inherited by the forked processes)
    celery_runner.run_worker(settings, concurrency=concurrency, hostname=hostname, hooks=hooks)


@backfill_app.callback()
def backfill(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option("--from", help="folder of DICOM objects, or a DICOMweb root (http(s)://…)"),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (inclusive)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="YYYY-MM-DD (inclusive)")] = None,
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code of every object")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="follow progress until every item is done")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the final status as JSON")] = False,
) -> None:
    """Enumerate --from, enqueue one task per object (back-pressure), follow progress.

    A folder: --since/--until select file modification dates. A DICOMweb root: the dose SR
    instances found with QIDO-RS, --since/--until = Study Date range (as ``pull``).

    Running it again with the same source and window resumes an unfinished run.
    """
    if ctx.invoked_subcommand is not None:
        return
    if source is None:
        err_console.print(
            "[red]error:[/red] --from DIR|DICOMWEB_URL is required (or: backfill status)"
        )
        raise typer.Exit(2)
    request = enqueuer.Request(
        source, _day(since, "--since"), _day(until, "--until"), establishment
    )
    backfill_source.register()
    settings = Settings()
    try:
        settings.require_explicit_pseudonym_key()
        celery = celery_runner.make_app(settings)
        engine = db.engine_from_settings(settings)
        db.upgrade(engine)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    bar = Progress(
        TextColumn("[bold]backfill"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("in flight {task.fields[in_flight]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
    )
    with bar:
        task = bar.add_task("backfill", total=None, in_flight=0)

        def shown(status: progress.RunStatus) -> None:
            bar.update(
                task,
                completed=status.done,
                total=status.total if status.enumerated else None,
                in_flight=status.in_flight,
            )

        try:
            final = enqueuer.run(
                settings,
                engine,
                request,
                lambda ids: celery_runner.publish(celery, settings, ids),
                wait=wait,
                on_progress=shown,
            )
        except DoseWatchError as exc:
            raise _fail(exc) from exc
    engine.dispose()
    _show([final], as_json)


@backfill_app.command("status")
def backfill_status(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per run")] = False,
) -> None:
    """Progress of every backfill run (newest first): objects per state and per outcome."""
    settings = Settings()
    try:
        engine = db.engine_from_settings(settings)
        db.upgrade(engine)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    with db.session_factory(engine, read_only=True)() as session:
        runs = progress.status(session)
    engine.dispose()
    _show(runs, as_json)


def _show(runs: list[progress.RunStatus], as_json: bool) -> None:
    if as_json:
        for run in runs:
            print(json.dumps(run.to_json()))  # noqa: T201 - machine-readable output
        return
    table = Table(title=f"{len(runs)} backfill runs")
    for column in ("run", "source", "window", "objects", "pending", "enqueued", "done"):
        table.add_column(column, overflow="fold")
    table.add_column("outcomes")
    for run in runs:
        data = run.to_json()
        window = f"{data['since'] or 'any'} to {data['until'] or 'any'}"
        objects = f"{run.total}{'' if run.enumerated else '+ (enumerating)'}"
        outcomes = ", ".join(f"{k} {v}" for k, v in run.outcomes.items())
        table.add_row(
            str(run.run_id),
            run.source,
            window,
            objects,
            str(data["pending"]),
            str(data["enqueued"]),
            f"{data['done']}{' (finished)' if run.finished else ''}",
            outcomes,
        )
    console.print(table)
