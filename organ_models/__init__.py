"""Organ and effective dose models: DoseReport + patient facts -> Estimates.

Pure functions over domain objects and packaged reference tables (``organ_models/data``);
never reads DICOM nor the database.

    from organ_models import estimate_with_reasons, patient_from_report, PatientOverrides
    patient = patient_from_report(report, PatientOverrides(age_years=8))
    result = estimate_with_reasons(report, patient)
    for e in result.estimates:
        print(explain(e))
"""

from dosewatch.domain.estimate import NotEstimated, NotEstimatedReason
from organ_models.common import EstimationSettings, ModelInfo
from organ_models.engine import (
    EstimationResult,
    estimate,
    estimate_to_json,
    estimate_with_reasons,
    estimates_to_json,
)
from organ_models.explain import explain
from organ_models.patient import Patient, PatientOverrides, patient_from_report
from organ_models.registry import REGISTRY, get_model
from organ_models.tables import ReferencePolicy, load_all, load_table

__all__ = [
    "REGISTRY",
    "EstimationResult",
    "EstimationSettings",
    "ModelInfo",
    "NotEstimated",
    "NotEstimatedReason",
    "Patient",
    "PatientOverrides",
    "ReferencePolicy",
    "estimate",
    "estimate_to_json",
    "estimate_with_reasons",
    "estimates_to_json",
    "explain",
    "get_model",
    "load_all",
    "load_table",
    "patient_from_report",
]
