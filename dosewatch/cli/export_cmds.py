"""Export commands: a study's Patient Radiation Dose SR (and store-back to the archive)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dosewatch.archive.prdsr import export_prdsr
from dosewatch.archive.stow import stow
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger import db
from dosewatch.settings import Settings

export_app = typer.Typer(help="Standard outputs of a study: Patient Radiation Dose SR.")
app.add_typer(export_app, name="export")
err_console = Console(stderr=True)


@export_app.command("prdsr")
def prdsr(
    study_uid: Annotated[str, typer.Argument(help="Study Instance UID of a ledger study")],
    out: Annotated[Path | None, typer.Option("--out", help="write the DICOM file here")] = None,
    stow_url: Annotated[
        str | None, typer.Option("--stow", help="store it at this DICOMweb root (STOW-RS)")
    ] = None,
) -> None:
    """Patient Radiation Dose SR (TID 10030) of the study's counted organ, skin and effective
    dose estimates, with methodology, model and uncertainty; checked before it is written."""
    if out is None and stow_url is None:
        err_console.print("[red]error:[/red] give --out FILE and/or --stow URL")
        raise typer.Exit(2)
    settings = Settings()
    try:
        engine = db.engine_from_settings(settings)
        with db.session_factory(engine, read_only=True)() as session:
            ds = export_prdsr(session, study_uid, datetime.now(UTC))
        if out is not None:
            ds.save_as(out, enforce_file_format=True)
        if stow_url is not None:
            stow(stow_url, ds, attempts=settings.pull_attempts)
    except (DoseWatchError, OSError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    print(f"P-RDSR {ds.SOPInstanceUID} of study {study_uid}", flush=True)  # noqa: T201
