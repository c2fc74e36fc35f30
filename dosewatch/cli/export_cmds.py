"""Export commands: a study's Patient Radiation Dose SR (and store-back to the archive) and
its FHIR R4 Radiation Dose Summary bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from dosewatch.archive.fhir import study_bundle
from dosewatch.archive.fhir_check import bundle_problems
from dosewatch.archive.prdsr import export_prdsr
from dosewatch.archive.stow import stow
from dosewatch.archive.study_doses import study_doses
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError, InvalidValueError
from dosewatch.ledger import db, repository
from dosewatch.reports.dose_tables import person_rows, study_rows, write_table
from dosewatch.settings import Settings

export_app = typer.Typer(help="Outputs of a study: Patient Radiation Dose SR, FHIR, CSV/XLSX.")
app.add_typer(export_app, name="export")
err_console = Console(stderr=True)


@contextmanager
def _ledger(settings: Settings) -> Iterator[Session]:
    """A read-only ledger session; a DoseWatchError or OSError inside is one line, exit 2."""
    try:
        engine = db.engine_from_settings(settings)
        with db.session_factory(engine, read_only=True)() as session:
            yield session
    except (DoseWatchError, OSError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None


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
    with _ledger(settings) as session:
        ds = export_prdsr(session, study_uid, datetime.now(UTC))
        if out is not None:
            ds.save_as(out, enforce_file_format=True)
        if stow_url is not None:
            stow(stow_url, ds, attempts=settings.pull_attempts)
    print(f"P-RDSR {ds.SOPInstanceUID} of study {study_uid}", flush=True)  # noqa: T201


@export_app.command("fhir")
def fhir(
    study_uid: Annotated[str, typer.Argument(help="Study Instance UID of a ledger study")],
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON here")] = None,
) -> None:
    """FHIR R4 transaction Bundle of the study (Radiation Dose Summary IG STU 1: one Radiation
    Dose Summary per source report, Modality Device when the calling AE is known); checked
    against the IG's profiles before it is written. Printed to stdout without --out."""
    with _ledger(Settings()) as session:
        bundle = study_bundle(study_doses(session, study_uid), datetime.now(UTC))
        problems = bundle_problems(bundle)
        if problems:
            raise InvalidValueError(
                f"the FHIR bundle of study {study_uid} fails its check: " + "; ".join(problems[:5])
            )
        text = json.dumps(bundle, ensure_ascii=False, indent=1)
        if out is not None:
            out.write_text(text + "\n", encoding="utf-8")
    if out is None:
        print(text)  # noqa: T201


@export_app.command("table")
def table(
    out: Annotated[Path, typer.Option("--out", help="F.csv or F.xlsx")],
    study_uid: Annotated[str | None, typer.Option("--study", help="a Study Instance UID")] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="patient ID, pseudonym or person number")
    ] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuer of the ID")] = None,
) -> None:
    """A study's or a person's device indicators and dose estimates (unit, method, model,
    basis, uncertainty; estimates never summed) as CSV or XLSX, by the file's suffix."""
    if (study_uid is None) == (person is None):
        err_console.print("[red]error:[/red] give exactly one of --study UID or --person ID")
        raise typer.Exit(2)
    with _ledger(Settings()) as session:
        if study_uid is not None:
            rows = study_rows(study_doses(session, study_uid))
        else:
            assert person is not None
            found = repository.find_persons(session, person, issuer)
            if len(found) != 1:
                raise InvalidValueError(
                    "no such person" if not found else
                    f"{len(found)} persons carry this identifier: give --issuer"
                )  # fmt: skip
            rows = person_rows(session, found[0])
        write_table(out, rows)
    print(f"{len(rows)} rows written to {out}")  # noqa: T201
