"""Archive commands: ``listen`` (C-STORE SCP), ``pull`` (DICOMweb), ``prdsr`` (P-RDSR out).

Console output is for an authorised operator; logs never carry patient identifiers.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from dosewatch.archive.listener import Listener, ListenerConfig, parse_allow
from dosewatch.cli.ledger_access import ready_engine
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest import Ingestor
from dosewatch.settings import Settings

err_console = Console(stderr=True)


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
        engine = ready_engine(settings)
        from dosewatch.cumulative.alerts import on_recorded
        from dosewatch.nrd.store import on_study_recorded

        ingestor = Ingestor(
            settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded
        )
        listener = Listener(config, ingestor)
    except DoseWatchError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
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
