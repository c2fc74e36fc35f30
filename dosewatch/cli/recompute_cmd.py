"""``dosewatch recompute [--model ID] [--since DATE] [--json]``: estimates after a version change.

The use case is :mod:`dosewatch.ingest.recompute`; this module parses the options, draws the
progress bar and injects the alert hook (cumulative values and alerts follow). A killed run
is resumed by running the same command again.
"""

from __future__ import annotations

import getpass
import json
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dosewatch.cli.ledger_cmds import _fail, _ready_engine, _settings, console, err_console
from dosewatch.cli.main import app
from dosewatch.cumulative.alerts import on_recorded
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest import recompute as use_case
from dosewatch.ledger import db


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]error:[/red] --since {text!r}: expected YYYY-MM-DD")
        raise typer.Exit(2) from None


@app.command("recompute")
def recompute(
    model: Annotated[
        str | None, typer.Option("--model", help="only this model id, e.g. ct.effective.k_dlp")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="only studies from this date (YYYY-MM-DD)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the run summary as JSON")] = False,
) -> None:
    """Recompute estimates with the installed models and tables; old ones stay (replaced)."""
    scope = use_case.Scope(model_id=model, since=_since(since))
    settings = _settings()
    try:
        engine = _ready_engine(settings)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    progress = Progress(
        TextColumn("[bold]recompute"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("reports"),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task("recompute", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            summary = use_case.run(
                db.session_factory(engine),
                settings,
                scope,
                actor=_actor(),
                on_changed=on_recorded,
                progress=advance,
            )
        except DoseWatchError as exc:
            raise _fail(exc) from exc
    engine.dispose()
    if as_json:
        print(json.dumps(summary.as_json(), sort_keys=True))  # noqa: T201 - machine output
        return
    console.print(
        f"run {summary.run_id}{' (resumed)' if summary.resumed else ''}: "
        f"{summary.reports_done} report(s), {summary.reports_changed} changed, "
        f"{summary.estimates_replaced} estimate(s) replaced (kept, no longer counted), "
        f"{summary.estimates_added} added"
    )
    for sop, reason in summary.unavailable:
        console.print(f"not recomputed: {sop}: {reason}")
