"""Archive commands: ``listen`` (C-STORE SCP), ``pull`` (DICOMweb), ``prdsr`` (P-RDSR out).

Console output is for an authorised operator; logs never carry patient identifiers.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import date
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dosewatch.archive.listener import Listener, ListenerConfig, parse_allow
from dosewatch.archive.pull import Puller
from dosewatch.cli.ledger_access import ready_engine
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest import Ingestor
from dosewatch.settings import Settings

err_console = Console(stderr=True)


def _ingestor(settings: Settings) -> Ingestor:
    """The ingest use case with the hooks ``dosewatch ingest`` composes (alerts, NRD facts)."""
    engine = ready_engine(settings)  # an unusable ledger: one line naming the setting, exit 2
    from dosewatch.cumulative.alerts import on_recorded
    from dosewatch.nrd.store import on_study_recorded

    return Ingestor(settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded)


def _fail(exc: DoseWatchError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
    return typer.Exit(2)


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] {option} {value!r}: expected YYYY-MM-DD")
        raise typer.Exit(2) from None


@app.command("listen")
def listen(
    host: Annotated[str | None, typer.Option(help="bind address (setting listen_host)")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port, 0 = any free port")] = None,
    ae_title: Annotated[str | None, typer.Option("--ae-title", help="called AE title")] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="CALLING_AE=ESTABLISHMENT, repeatable (setting listen_allow)"),
    ] = None,
    queue_size: Annotated[int, typer.Option(min=1, help="objects waiting for ingest")] = 64,
    workers: Annotated[int, typer.Option(min=1, help="ingest worker threads")] = 1,
) -> None:
    """Receive dose objects by C-STORE (IHE REM RAD-62) and ingest them; C-ECHO answered.

    Every accepted object is fsync'd to the spool (<data_dir>/spool) before success is
    returned; the spool is replayed at start. Stops cleanly on SIGTERM / Ctrl-C.
    """
    settings = Settings()
    try:
        config = ListenerConfig(
            ae_title=ae_title or settings.listen_ae_title,
            allow=parse_allow(allow or settings.listen_allow),
            spool_dir=settings.spool_dir,
            host=host or settings.listen_host,
            port=settings.listen_port if port is None else port,
            queue_size=queue_size,
            workers=workers,
        )
        listener = Listener(config, _ingestor(settings))
    except DoseWatchError as exc:
        raise _fail(exc) from None
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        bound = listener.start()
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot listen on {config.host}:{config.port}: {exc}")
        raise typer.Exit(2) from None
    print(f"listening on {config.host}:{bound} as {config.ae_title}", flush=True)  # noqa: T201
    stop.wait()
    listener.stop(drain=True)
    print(  # noqa: T201
        f"stopped: received {listener.stats.received}, ingested {listener.stats.ingested}",
        file=sys.stderr,
    )


@app.command("pull")
def pull(
    url: Annotated[str, typer.Option("--url", help="DICOMweb root, e.g. http://pacs/dicom-web")],
    since: Annotated[
        str | None, typer.Option(help="first Study Date YYYY-MM-DD (default: the watermark)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="last Study Date YYYY-MM-DD")] = None,
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code of every object")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary")] = False,
) -> None:
    """Catch up on an archive's dose SRs: QIDO-RS search, WADO-RS retrieve, ingest.

    Incremental (starts at the archive's watermark unless --since) and resumable (what an
    interrupted pull finished is skipped). Exit 1 when some instances failed (listed).
    """
    window = _date("--since", since), _date("--until", until)
    settings = Settings()
    try:
        puller = Puller(
            url, _ingestor(settings), establishment=establishment, attempts=settings.pull_attempts
        )
    except DoseWatchError as exc:
        raise _fail(exc) from None
    progress = Progress(
        TextColumn("[bold]pull"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task("pull", total=None, last="")

        def advance(done: int, total: int, outcome: str) -> None:
            progress.update(task, completed=done, total=total, last=outcome)

        try:
            summary = puller.pull(*window, progress=advance)
        except DoseWatchError as exc:
            raise _fail(exc) from None
    if as_json:
        print(json.dumps(summary.as_json(), sort_keys=True))  # noqa: T201
    else:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "none"
        print(  # noqa: T201
            f"{summary.source}: found {summary.found}, already pulled {summary.already_pulled}, "
            f"{outcomes}, failed {len(summary.failed)}; watermark {summary.watermark or '-'}"
        )
        for failure in summary.failed:
            err_console.print(f"failed {failure['sop_instance_uid']}: {failure['reason']}")
    if summary.failed:
        raise typer.Exit(1)
