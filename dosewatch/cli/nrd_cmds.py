"""``dosewatch nrd map|suggest|evaluate|report|export|reference`` (issue #8)."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from dosewatch.cli.ledger_access import ready_engine
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger import db
from dosewatch.nrd import admin, mapping, outputs, store
from dosewatch.nrd.evaluation import Evaluation, Refused, evaluate_records
from dosewatch.nrd.matcher import suggest as suggest_exam
from dosewatch.nrd.reference import CURRENT_REGULATION
from dosewatch.settings import Settings

nrd_app = typer.Typer(help="French NRD evaluations: exam mapping, evaluation, report, export.")
map_app = typer.Typer(help="Exam mapping rules of an establishment (every change audited).")
app.add_typer(nrd_app, name="nrd")
nrd_app.add_typer(map_app, name="map")
err = Console(stderr=True)

Est = Annotated[str, typer.Option("--establishment", "-e", help="establishment code")]
Year = Annotated[int, typer.Option("--year", help="calendar year of the evaluation")]
Regulation = Annotated[str, typer.Option("--regulation", help="reference regulation")]
Allow = Annotated[bool, typer.Option("--allow-unverified", help="use unverified values (labelled)")]


def _session() -> Session:
    return db.session_factory(ready_engine(Settings()))()


def _fail(exc: DoseWatchError) -> typer.Exit:
    err.print(f"error: {exc}")
    return typer.Exit(2)


@nrd_app.command("suggest")
def suggest(
    text: Annotated[str, typer.Argument(help="a local study description")],
    modality: Annotated[str | None, typer.Option("--modality", help="CT|DX|MG|XA|NM")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 5,
) -> None:
    """Ranked national exam types for a description."""
    if modality is not None and modality not in {"CT", "DX", "MG", "XA", "NM"}:
        err.print(f"error: unknown modality {modality!r} (CT|DX|MG|XA|NM)")
        raise typer.Exit(2)
    found = suggest_exam(text, modality, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "description": text,
                    "suggestions": [
                        {"exam_type": s.exam_type, "label_fr": s.label_fr, "score": s.score}
                        for s in found
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    for s in found:
        typer.echo(f"{s.score:5.1f}  {s.exam_type:18} {s.label_fr}")
    if not found:
        typer.echo("no suggestion")


@map_app.command("add")
def map_add(
    establishment: Est,
    kind: Annotated[str, typer.Option("--kind", help="exact|pattern|keyword")],
    pattern: Annotated[str, typer.Option("--pattern")],
    exam_type: Annotated[str, typer.Option("--exam-type")],
    field: Annotated[str, typer.Option("--field")] = "any",
    modality: Annotated[str | None, typer.Option("--modality")] = None,
    priority: Annotated[int, typer.Option("--priority")] = 100,
    reason: Annotated[str, typer.Option("--reason")] = "added from the CLI",
) -> None:
    """Add one rule."""
    try:
        with _session() as session, session.begin():
            ids = mapping.add_rules(
                session,
                establishment,
                [mapping.RuleSpec(kind, pattern, exam_type, field, modality, priority)],
                actor=getpass.getuser(),
                reason=reason,
            )
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"added": ids}))


@map_app.command("import")
def map_import(
    establishment: Est,
    path: Annotated[
        Path, typer.Argument(help="CSV: kind,pattern,exam_type[,field,modality,priority]")
    ],
    reason: Annotated[str, typer.Option("--reason")] = "bulk import",
) -> None:
    """Bulk add rules from a CSV (all or nothing)."""
    import csv

    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        specs = [
            mapping.RuleSpec(
                r["kind"],
                r["pattern"],
                r["exam_type"],
                r.get("field") or "any",
                r.get("modality") or None,
                int(r.get("priority") or 100),
            )
            for r in rows
        ]
        with _session() as session, session.begin():
            ids = mapping.add_rules(
                session, establishment, specs, actor=getpass.getuser(), reason=reason
            )
    except (OSError, KeyError, ValueError) as exc:
        err.print(f"error: cannot read {path.name}: {exc}")
        raise typer.Exit(2) from exc
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"added": len(ids)}))


@map_app.command("set")
def map_set(
    establishment: Est,
    rule_ids: Annotated[list[int], typer.Argument(help="rule ids")],
    exam_type: Annotated[str | None, typer.Option("--exam-type")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    reason: Annotated[str, typer.Option("--reason")] = "bulk edit",
) -> None:
    """Bulk edit rules (retarget, deactivate)."""
    try:
        with _session() as session, session.begin():
            n = mapping.change_rules(
                session,
                establishment,
                rule_ids,
                actor=getpass.getuser(),
                reason=reason,
                exam_type=exam_type,
                active=active,
            )
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"changed": n}))


@map_app.command("coverage")
def map_coverage(establishment: Est, year: Year) -> None:
    """Share of the year's exams mapped, per device (JSON lines)."""
    try:
        with _session() as session:
            est = mapping.establishment_id(session, establishment)
            for row in store.coverage_of(session, est, *_period(year)):
                typer.echo(json.dumps(row, ensure_ascii=False))
    except DoseWatchError as exc:
        raise _fail(exc) from exc


@map_app.command("list")
def map_list(establishment: Est) -> None:
    """Rules of an establishment (JSON lines)."""
    try:
        with _session() as session:
            for rule in mapping.rules_as_dicts(session, establishment):
                typer.echo(json.dumps(rule, ensure_ascii=False))
    except DoseWatchError as exc:
        raise _fail(exc) from exc


def _period(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _evaluate(
    session: Session,
    establishment: str,
    year: int,
    regulation: str,
    allow: bool,
    version: str | None,
) -> tuple[store.PeriodExams, list[Evaluation], list[Refused]]:
    start, end = _period(year)
    period = store.load_period(session, establishment, start, end)
    records = period.records
    reference = admin.reference_version(session, version)
    evaluations, refused = evaluate_records(
        records,
        establishment=establishment,
        reference=reference,
        regulation=regulation,
        allow_unverified=allow,
    )
    return period, evaluations, refused


Version = Annotated[
    str | None,
    typer.Option("--reference-version", help="stored reference version (default packaged)"),
]


@nrd_app.command("evaluate")
def evaluate(
    establishment: Est,
    year: Year,
    regulation: Regulation = CURRENT_REGULATION,
    allow_unverified: Allow = False,
    version: Version = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    save: Annotated[
        bool, typer.Option("--save", help="keep the evaluations in the ledger")
    ] = False,
) -> None:
    """Evaluations of one establishment and year (refusals go to stderr with their reason)."""
    try:
        with _session() as session, session.begin():
            period, evaluations, refused = _evaluate(
                session, establishment, year, regulation, allow_unverified, version
            )
            if save:
                store.save_evaluations(session, establishment, *_period(year), evaluations)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    for e in evaluations:
        if as_json:
            typer.echo(json.dumps(e.as_json(), ensure_ascii=False))
        else:
            value = "insufficient data" if e.median is None else f"median {e.median:g} {e.unit}"
            typer.echo(
                f"{e.device} | {e.exam_type} | {e.indicator.value} | n={e.n} of "
                f"{e.n_required} | {value} | NRD {e.nrd} | {e.status.value}"
            )
        for label in e.labels:
            err.print(f"note: {e.device} {e.exam_type} {e.indicator.value}: {label}")
    for r in refused:
        err.print(f"refused: {r.device} {r.exam_type}: {r.reason}")
    if period.unmapped:
        err.print(f"note: {period.unmapped} exam(s) of {year} not mapped to a national exam type")


@nrd_app.command("report")
def report(
    establishment: Est,
    year: Year,
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    regulation: Regulation = CURRENT_REGULATION,
    allow_unverified: Allow = False,
    version: Version = None,
) -> None:
    """Annual report: HTML (plotly box plots), CSV and XLSX."""
    try:
        with _session() as session:
            period, evaluations, refused = _evaluate(
                session, establishment, year, regulation, allow_unverified, version
            )
            cov = period.coverage
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    paths = outputs.write_report(out, establishment, year, evaluations, refused, cov)
    typer.echo(json.dumps({"files": [str(p) for p in paths]}))


@nrd_app.command("export")
def export(
    establishment: Est,
    year: Year,
    out: Annotated[Path, typer.Option("--out", help="CSV file")],
    regulation: Regulation = CURRENT_REGULATION,
    allow_unverified: Allow = False,
    version: Version = None,
) -> None:
    """National submission export: one row per patient of each evaluation."""
    try:
        with _session() as session:
            period, evaluations, _ = _evaluate(
                session, establishment, year, regulation, allow_unverified, version
            )
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    rows = outputs.export_rows(evaluations, period.records)
    outputs.write_csv(out, outputs.EXPORT_COLUMNS, rows)
    typer.echo(json.dumps({"file": str(out), "rows": len(rows)}))


@nrd_app.command("reference-load")
def reference_load(
    path: Annotated[Path, typer.Argument(help="CSV transcription (columns of nrd_france.csv)")],
    version: Annotated[str, typer.Option("--version")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Load official values from a CSV transcription (validated, versioned, audited)."""
    try:
        text = path.read_text(encoding="utf-8")
        with _session() as session, session.begin():
            ref = admin.load_reference_csv(
                session, text, version=version, actor=getpass.getuser(), reason=reason
            )
    except OSError as exc:
        err.print(f"error: cannot read {path.name}: {exc.strerror}")
        raise typer.Exit(2) from exc
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"version": ref.version, "rows": len(ref.values), "sha256": ref.sha256}))
