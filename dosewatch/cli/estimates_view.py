"""Estimates for ``dosewatch inspect --estimates``: the organ-model engine, as JSON."""

from __future__ import annotations

from typing import Any

from dosewatch.domain.report import DoseReport
from organ_models import (
    PatientOverrides,
    estimate_with_reasons,
    estimates_to_json,
    patient_from_report,
)


def estimates_json(report: DoseReport, overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"estimates": [...], "not_estimated": [...]}`` for one report.

    Each estimate carries unit, model id/version, basis and uncertainty; ``upper_bound``
    marks a conservative bound (peak skin dose without geometry) and ``indicative`` a
    result that used a reference row not verified.
    """
    patient = patient_from_report(
        report,
        PatientOverrides(
            age_years=overrides.get("age"),
            sex=overrides.get("sex"),
            weight_kg=overrides.get("weight_kg"),
            height_cm=overrides.get("height_cm"),
        ),
    )
    result = estimate_with_reasons(report, patient)
    return {
        "estimates": estimates_to_json(result.estimates, extended=True),
        "not_estimated": [item.to_json() for item in result.not_estimated],
    }
