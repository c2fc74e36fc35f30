"""Pure views of parse results for ``dosewatch inspect``: JSON lines and rich tables.

Identifiers are masked unless explicitly asked for; the JSON keys are a public contract.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.report import DoseReport, PatientFacts
from dosewatch.domain.totals import event_indicators, report_totals


def mask(value: str | None) -> str | None:
    """Keep the shape of an identifier, hide its content."""
    if value is None:
        return None
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def patient_view(patient: PatientFacts, *, show_identifiers: bool) -> dict[str, Any]:
    def ident(value: str | None) -> str | None:
        return value if show_identifiers else mask(value)

    pid = patient.patient_id
    return {
        "patient_id": None if pid is None else ident(pid.value),
        "issuer": None if pid is None else (pid.issuer or pid.issuer_universal_id),
        "other_ids": [
            {"value": ident(o.value), "issuer": o.issuer or o.issuer_universal_id}
            for o in patient.other_ids
        ],
        "name": patient.name if show_identifiers else mask(patient.name),
        "birth_date": (
            patient.birth_date.isoformat()
            if show_identifiers and patient.birth_date
            else (None if patient.birth_date is None else "****-**-**")
        ),
        "sex": patient.sex,
        "age": None if patient.age is None else str(patient.age),
        "weight_kg": None if patient.weight is None else patient.weight.value_in("kg"),
        "height_m": None if patient.height is None else patient.height.value_in("m"),
    }


def parsed_line(
    file: str,
    report: DoseReport,
    findings: tuple[Any, ...],
    *,
    show_identifiers: bool = False,
    estimates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    totals = report_totals(report)
    line: dict[str, Any] = {
        "file": file,
        "status": "parsed",
        "reason": None,
        "sop_class_uid": report.sop_class_uid or None,
        "sop_instance_uid": report.sop_instance_uid or None,
        "study_instance_uid": report.study.study_instance_uid or None,
        "modality": report.modality.value,
        "source_kind": report.source_kind.value,
        "template": report.template_id,
        "manufacturer": report.device.manufacturer,
        "model": report.device.model,
        "study_date": None
        if report.study.study_date is None
        else report.study.study_date.isoformat(),
        "patient": patient_view(report.patient, show_identifiers=show_identifiers),
        "event_count": len(report.events),
        "totals": dataclasses.asdict(totals),
        "events": [
            {
                "uid": ind.uid,
                "ctdivol_mgy": ind.ctdivol_mgy,
                "dlp_mgy_cm": ind.dlp_mgy_cm,
                "kap_gy_cm2": ind.kap_gy_cm2,
                "ka_r_gy": ind.ka_r_gy,
                "agd_mgy": ind.agd_mgy,
                "activity_mbq": ind.activity_mbq,
            }
            for ind in (event_indicators(e) for e in report.events)
        ],
        "findings": [
            {
                "code": f.code,
                "severity": str(f.severity),
                "message": f.message,
                "content_path": f.content_path,
            }
            for f in findings
        ],
    }
    if estimates is not None:
        line["estimates"] = estimates
    return line


def rejected_line(file: str, error: DoseWatchError) -> dict[str, Any]:
    return {
        "file": file,
        "status": "rejected",
        "reason": str(error),
        "error_code": error.code,
        "sop_class_uid": None,
        "sop_instance_uid": error.sop_instance_uid,
        "study_instance_uid": None,
        "modality": None,
        "manufacturer": None,
        "model": None,
        "event_count": None,
        "totals": None,
        "events": [],
        "findings": [],
    }
