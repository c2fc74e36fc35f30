"""Ledger commands: ``ingest``, ``stats``, ``person show|link|unlink``, ``quarantine list|retry``,
``db upgrade``.

Console output is for an authorised operator; logs never carry patient identifiers.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dosewatch.cli.ledger_access import check_paths, ready_engine
from dosewatch.cli.main import app
from dosewatch.cumulative import links
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest import local_pool as workers
from dosewatch.ingest import retry
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import db, identity, repository
from dosewatch.ledger import quarantine as quarantine_store
from dosewatch.ledger.models import PatientIdentifierRow, Person, QuarantineStatus
from dosewatch.settings import Settings

person_app = typer.Typer(help="Persons of the ledger: history across sites, manual links.")
quarantine_app = typer.Typer(help="Rejected objects: list them, retry them.")
db_app = typer.Typer(help="Ledger database schema.")
app.add_typer(person_app, name="person")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    settings = Settings()
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def _ready_engine(settings: Settings) -> Engine:
    return ready_engine(settings)  # one line naming the setting when the ledger cannot open


def _fail(exc: DoseWatchError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Create or upgrade the ledger schema (DOSEWATCH_DATABASE_URL, default SQLite file)."""
    settings = _settings()
    engine = db.engine_from_settings(settings)
    db.upgrade(engine, revision)
    console.print(f"ledger schema at revision {db.current_revision(engine)}")


# --------------------------------------------------------------------------- ingest


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of DICOM objects")],
    workers_: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="worker processes")
    ] = None,
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code of every object")
    ] = None,
    calling_ae: Annotated[
        str | None, typer.Option("--calling-ae", help="calling AE title the objects came from")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a final JSON summary")] = False,
) -> None:
    """Parse, estimate and record dose objects into the ledger (one transaction each)."""
    check_paths(paths, workers.iter_files)
    settings = _settings()
    n_workers = workers_ or settings.workers
    try:
        engine = _ready_engine(settings)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    from dosewatch.cumulative.alerts import on_recorded  # alerts raised at ingest
    from dosewatch.nrd.store import on_study_recorded  # patient facts + NRD indicators

    ingestor = (
        Ingestor(settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded)
        if n_workers <= 1
        else None
    )
    if n_workers > 1:
        engine.dispose()  # workers open their own connections
    started = time.perf_counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]ingest"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed} files {task.fields[rate]:.1f}/s"),
        TextColumn(
            "recorded {task.fields[recorded]} dup {task.fields[duplicates]} "
            "superseded {task.fields[superseded]} quarantined {task.fields[quarantined]}"
        ),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
        transient=False,
    )
    with progress:
        task = progress.add_task(
            "ingest", total=None, rate=0.0, recorded=0, duplicates=0, superseded=0, quarantined=0
        )

        def update_bar(summary: workers.Summary) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(
                task,
                completed=summary.files,
                rate=summary.files / elapsed,
                recorded=summary.recorded,
                duplicates=summary.duplicates,
                superseded=summary.superseded,
                quarantined=summary.quarantined,
            )

        try:
            summary = workers.run(
                settings,
                paths,
                workers=n_workers,
                establishment=establishment,
                calling_ae=calling_ae,
                on_outcome=update_bar,
                ingestor=ingestor,
                on_recorded=on_recorded,
                on_study_recorded=on_study_recorded,
            )
        except DoseWatchError as exc:
            raise _fail(exc) from exc
    elapsed = time.perf_counter() - started
    with db.session_factory(db.engine_from_settings(settings), read_only=True)() as session:
        totals = repository.stats(session)
    if as_json:
        print(  # noqa: T201 - the command's machine-readable output
            json.dumps(
                {
                    "files": summary.files,
                    "recorded": summary.recorded,
                    "duplicates": summary.duplicates,
                    "superseded": summary.superseded,
                    "quarantined": summary.quarantined,
                    "quarantine_reasons": dict(sorted(summary.reasons.items())),
                    "skipped": summary.skipped,
                    "failed": summary.failed,
                    "elapsed_s": round(elapsed, 3),
                    "persons": totals.persons,
                    "studies": totals.studies,
                    "events": totals.events,
                }
            )
        )
    else:
        table = Table(title="ingest summary", show_header=False)
        rate = summary.files / elapsed if elapsed > 0 else 0.0
        for name, value in (
            ("files", f"{summary.files} in {elapsed:.1f} s ({rate:.1f} files/s)"),
            ("recorded", summary.recorded),
            ("duplicates", summary.duplicates),
            ("superseded", summary.superseded),
            ("quarantined", summary.quarantined),
            ("skipped (not objects)", summary.skipped),
            ("failed", summary.failed),
            (
                "ledger persons / studies / events",
                f"{totals.persons} / {totals.studies} / {totals.events}",
            ),
        ):
            table.add_row(name, str(value))
        for reason, count in sorted(summary.reasons.items()):
            table.add_row(f"  quarantine: {reason}", str(count))
        console.print(table)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Whole-ledger totals: persons, studies, reports, events, quarantined objects."""
    settings = _settings()
    engine = _ready_engine(settings)
    with db.session_factory(engine, read_only=True)() as session:
        totals = repository.stats(session)
    if as_json:
        print(json.dumps(totals.as_dict()))  # noqa: T201
        return
    table = Table(title="ledger", show_header=False)
    for name, value in totals.as_dict().items():
        table.add_row(name, str(value))
    console.print(table)


# --------------------------------------------------------------------------- person


def _one_person(session: Session, ident: str, issuer: str | None) -> int:
    found = repository.find_persons(session, ident, issuer)
    if not found:
        err_console.print("no such person")
        raise typer.Exit(1)
    if len(found) > 1:
        err_console.print(
            f"{len(found)} persons carry this identifier at different issuers; "
            "give --issuer (or a person number): " + ", ".join(str(p) for p in found)
        )
        raise typer.Exit(1)
    return found[0]


@person_app.command("show")
def person_show(
    ident: Annotated[str, typer.Argument(help="patient ID, pseudonym or person number")],
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="issuer of the patient ID (or INS OID)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    cumulative: Annotated[
        bool, typer.Option("--cumulative", help="cumulative dose over a window")
    ] = False,
    window: Annotated[
        str, typer.Option("--window", help="12m, 5y, all or FROM:TO (ISO dates)")
    ] = "all",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="end of a rolling window (default today)")
    ] = None,
    show_identifiers: Annotated[
        bool, typer.Option("--show-identifiers", help="print identifiers unmasked")
    ] = False,
) -> None:
    """A person's studies and events across all establishments (or the cumulative dose)."""
    engine = _ready_engine(_settings())
    if cumulative:
        from dosewatch.cli import cumulative_cmds

        cumulative_cmds.show(
            engine, ident, issuer, window, as_of, as_json=as_json, show=show_identifiers
        )
        return
    with db.session_factory(engine, read_only=True)() as session:
        person_id = _one_person(session, ident, issuer)
        person = session.get(Person, person_id)
        assert person is not None
        ids = repository.identifiers_of(session, person_id)
        events = repository.history(session, person_id)
    if as_json:
        print(  # noqa: T201
            json.dumps(
                {
                    "person": person_id,
                    "pseudonym": person.pseudonym,
                    "identifiers": [{"issuer": i.issuer, "value": i.value} for i in ids],
                    "events": [dataclasses.asdict(e) for e in events],
                },
                default=str,
            )
        )
        return
    console.print(f"person {person_id} (pseudonym {person.pseudonym[:16]}…)")
    for i in ids:
        console.print(f"  identifier {i.issuer}: {i.value}")
    table = Table(title=f"{len(events)} events")
    for column in (
        "study date",
        "site",
        "mod",
        "protocol",
        "CTDIvol mGy",
        "DLP mGy.cm",
        "KAP Gy.cm2",
        "Ka,r Gy",
        "AGD mGy",
        "MBq",
        "counted",
    ):
        table.add_column(column)

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.4g}"

    for e in events:
        table.add_row(
            str(e.study_date or ""),
            e.establishment,
            e.modality,
            e.acquisition_protocol or "",
            fmt(e.ctdivol_mgy),
            fmt(e.dlp_mgy_cm),
            fmt(e.kap_gy_cm2),
            fmt(e.ka_r_gy),
            fmt(e.agd_mgy),
            fmt(e.activity_mbq),
            "yes" if e.counted else "no" + (" (conflict)" if e.conflict else ""),
        )
    console.print(table)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@person_app.command("link")
def person_link(
    keep: Annotated[int, typer.Argument(help="person number that remains")],
    merge: Annotated[int, typer.Argument(help="person number merged into it")],
    reason: Annotated[str, typer.Option("--reason", help="why (audited)")],
) -> None:
    """Declare two persons the same person (audited)."""
    engine = _ready_engine(_settings())
    try:
        with db.transaction(db.session_factory(engine)) as session:
            links.link_persons(session, keep, merge, reason, _actor())  # alerts follow
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    console.print(f"person {merge} linked into person {keep}")


@person_app.command("unlink")
def person_unlink(
    person: Annotated[int, typer.Argument(help="person number")],
    issuer: Annotated[str, typer.Option("--issuer", help="qualified issuer, e.g. EST:CHU_X")],
    ident: Annotated[str, typer.Option("--id", help="the identifier value to detach")],
    reason: Annotated[str, typer.Option("--reason", help="why (audited)")],
) -> None:
    """Detach one identifier (and the studies recorded through it) into a new person."""
    settings = _settings()
    engine = _ready_engine(settings)
    try:
        with db.transaction(db.session_factory(engine)) as session:
            row_id = session.scalar(
                select(PatientIdentifierRow.id).where(
                    PatientIdentifierRow.person_id == person,
                    PatientIdentifierRow.issuer == issuer,
                    PatientIdentifierRow.value == ident,
                )
            )
            if row_id is None:
                err_console.print("this person has no such identifier")
                raise typer.Exit(1)
            new = links.unlink_identifier(  # alerts follow
                session, identity.pseudonym_key(settings), row_id, reason, _actor()
            )
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    console.print(f"identifier detached into person {new}")


# --------------------------------------------------------------------------- quarantine


@quarantine_app.command("list")
def quarantine_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many")] = None,
) -> None:
    """Open quarantine entries: reason, source, SHA-256, kept file."""
    engine = _ready_engine(_settings())
    with db.session_factory(engine, read_only=True)() as session:
        entries = quarantine_store.open_entries(session, limit)
    if as_json:
        for q in entries:
            print(  # noqa: T201
                json.dumps(
                    {
                        "sha256": q.sha256,
                        "reason_code": q.reason_code,
                        "reason": q.reason,
                        "source": q.source,
                        "sop_instance_uid": q.sop_instance_uid,
                        "stored_path": q.stored_path,
                        "attempts": q.attempts,
                    }
                )
            )
        return
    table = Table(title=f"{len(entries)} quarantined objects")
    for column in ("sha256", "reason", "source", "message"):
        table.add_column(column, overflow="fold")
    for q in entries:
        table.add_row(q.sha256[:12], q.reason_code, q.source or "", q.reason)
    console.print(table)


@quarantine_app.command("retry")
def quarantine_retry(
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code of the objects")
    ] = None,
) -> None:
    """Ingest the kept files again (after a parser fix); resolved entries are closed."""
    settings = _settings()
    engine = _ready_engine(settings)
    from dosewatch.cumulative.alerts import on_recorded
    from dosewatch.nrd.store import on_study_recorded

    ingestor = Ingestor(
        settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded
    )
    done = retry.retry_open(ingestor, retry.Audit(_actor()), establishment=establishment)
    resolved = sum(1 for r in done if r.status is QuarantineStatus.RESOLVED)
    still = len(done) - resolved
    console.print(f"retried {len(done)}: {resolved} recorded, {still} still quarantined")
