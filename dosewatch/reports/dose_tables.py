"""A study's or a person's doses as one table: device indicators and estimates, each row
with its unit, and for estimates the method, model, table, basis and uncertainty.

``kind`` says what a number is: ``device indicator`` (DLP, KAP, Ka,r, fluoroscopy time as
the device reported them), ``estimate`` (computed by a dosewatch model) or ``reported by the
device`` (an organ dose or AGD the dose object supplied). Estimates are never summed here;
effective doses of two weight bases sit in separate rows with their basis. Written as CSV
or XLSX (the writers of :mod:`dosewatch.nrd.outputs`); text that a spreadsheet would run as a
formula is prefixed with a quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.archive.study_doses import StudyDoses, study_doses
from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.models import Study
from dosewatch.nrd.outputs import write_csv, write_xlsx

HEADER = (
    "study_instance_uid", "study_date", "source_sop_instance_uid", "modality", "kind",
    "quantity", "organ_code", "organ", "value", "unit", "basis", "uncertainty_pct",
    "upper_bound", "indicative", "model", "table_version", "method", "event_uid",
)  # fmt: skip
INDICATORS = (
    ("dlp_total_mgy_cm", "DLP total", "mGy.cm"),
    ("kap_total_gy_cm2", "KAP total", "Gy.cm2"),
    ("ka_r_total_gy", "Ka,r total", "Gy"),
    ("fluoro_time_total_s", "fluoroscopy time total", "s"),
)


def _safe(value: object) -> object:
    """Text starting like a formula is kept as text (CSV / spreadsheet injection)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value


def study_rows(doses: StudyDoses) -> list[list[object]]:
    rows: list[list[object]] = []
    date = doses.study_date.isoformat() if doses.study_date else ""
    for report in doses.reports:
        for attribute, name, unit in INDICATORS:
            value = getattr(report, attribute)
            if value is not None:
                rows.append([doses.study_instance_uid, date, report.sop_instance_uid,
                             report.modality, "device indicator", name, "", "", value, unit,
                             "", "", "", "", "", "", "", ""])  # fmt: skip
    modality = {r.sop_instance_uid: r.modality for r in doses.reports}
    for e in doses.estimates:
        kind = "reported by the device" if e.origin == "reported" else "estimate"
        organ_code, organ = (f"{e.organ[0]}:{e.organ[1]}", e.organ[2]) if e.organ else ("", "")
        rows.append([doses.study_instance_uid, date, e.source_sop_instance_uid,
                     modality.get(e.source_sop_instance_uid, ""), kind, e.quantity, organ_code,
                     organ, e.value, e.unit, e.basis or "", e.uncertainty_pct, e.upper_bound,
                     e.indicative, f"{e.model_id} {e.model_version}", e.table_version, e.method,
                     e.event_uid or ""])  # fmt: skip
    return [[_safe(v) for v in row] for row in rows]


def person_rows(session: Session, person_id: int) -> list[list[object]]:
    """Every study of the person (merged persons followed by the caller), oldest first."""
    uids = session.scalars(
        select(Study.study_instance_uid)
        .where(Study.person_id == person_id)
        .order_by(Study.study_date, Study.study_instance_uid)
    ).all()
    if not uids:
        raise InvalidValueError(f"person {person_id} has no study in the ledger")
    return [row for uid in uids for row in study_rows(study_doses(session, uid))]


def write_table(path: Path, rows: Sequence[Sequence[object]]) -> None:
    """CSV or XLSX by the file's suffix; another suffix is an input error."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(path, HEADER, rows)
    elif suffix == ".xlsx":
        write_xlsx(path, {"doses": (HEADER, rows)})
    else:
        raise InvalidValueError(f"{path.name}: expected a .csv or .xlsx file name")
