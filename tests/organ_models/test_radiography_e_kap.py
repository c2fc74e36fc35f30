"""Radiography effective dose from KAP: HPA-CRCE-028 Table 7 (Wall et al. 2011), adult E per
unit DAP per body region, a secondary transcription (github:rvbCMTS/rvbrtg constants.py)."""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateQuantity,
    NotEstimatedReason,
    Verification,
    WeightBasis,
)
from dosewatch.domain.report import DoseModality
from organ_models import EstimationResult, Patient, estimate_with_reasons
from organ_models.organs import Code
from tests.organ_models import builders as b

E = EstimateQuantity.EFFECTIVE_DOSE
ADULT = Patient(age_years=45, sex="F")


def _run(description: str, patient: Patient = ADULT, kap: float = 2.0) -> EstimationResult:
    report = b.report(
        DoseModality.RADIOGRAPHY, (b.projection_event(kap=kap),), description=description
    )
    return estimate_with_reasons(report, patient)


def _e(result: EstimationResult) -> list[Estimate]:
    return [e for e in result.estimates if e.quantity is E]


@pytest.mark.parametrize(
    ("description", "per_kap"),
    [
        # HPA-CRCE-028 Table 7 values, mSv/(Gy cm2)
        ("Thorax de face", 0.16),
        ("ASP", 0.18),
        ("Bassin de face", 0.14),
        ("Rachis lombaire", 0.22),
        ("Rachis dorsal", 0.24),
        ("Rachis cervical", 0.19),
        ("Crane face", 0.058),
        ("Epaule gauche", 0.064),
        ("Hanche droite", 0.13),
        ("Femur droit", 0.036),
        ("Genou droit", 0.0034),
        ("Pied gauche", 0.0032),
    ],
)
def test_adult_e_per_kap_is_the_published_region_factor(description: str, per_kap: float) -> None:
    (e,) = _e(_run(description))
    assert e.value.value == pytest.approx(per_kap * 2.0)
    assert e.value.unit == "mSv"
    assert e.basis is WeightBasis.ICRP103
    (c,) = e.coefficients
    assert c.value == pytest.approx(per_kap)
    assert c.verification is Verification.VERIFIED_SECONDARY
    assert "HPA-CRCE-028 Table 7" in c.source
    assert "SECONDARY SOURCE" in e.method and not e.indicative
    assert e.uncertainty_pct == pytest.approx(55.9)
    assert any(i.name == "weighting_basis" and i.assumed for i in e.inputs)


def test_anatomical_structure_code_decides_before_keywords() -> None:
    knee = Code("72696002", "SCT", "Knee")
    event = dataclasses.replace(b.projection_event(kap=1.0), anatomical_structure=knee)
    report = b.report(DoseModality.RADIOGRAPHY, (event,), description="Thorax")
    (e,) = _e(estimate_with_reasons(report, ADULT))
    assert e.value.value == pytest.approx(0.0034)


def test_children_are_refused_naming_the_missing_tables() -> None:
    result = _run("Thorax de face", Patient(age_years=10, sex="M"))
    assert not _e(result)
    (r,) = [r for r in result.not_estimated if r.quantity is E and r.event_uid]
    assert r.reason is NotEstimatedReason.NO_COEFFICIENT
    assert "HPA-CRCE-028 age-dependent tables not found" in r.message
    # 16 y is adult for the table
    assert _e(_run("Thorax de face", Patient(age_years=16, sex="M")))


def test_unknown_age_is_adult_with_a_wider_uncertainty() -> None:
    (e,) = _e(_run("Thorax de face", Patient()))
    assert e.value.value == pytest.approx(0.32)
    assert e.uncertainty_pct == pytest.approx(59.4)  # 50 (+) 25 (+) 20


def test_unrecognised_exam_and_missing_kap_are_refused() -> None:
    result = _run("Examen 42")
    assert not _e(result)
    assert any(r.reason is NotEstimatedReason.UNKNOWN_CONTEXT for r in result.not_estimated)
    event = dataclasses.replace(b.projection_event(), dose_area_product=None)
    report = b.report(DoseModality.RADIOGRAPHY, (event,), description="Thorax")
    missing = estimate_with_reasons(report, ADULT)
    assert not _e(missing)
    assert any(r.reason is NotEstimatedReason.MISSING_INPUT for r in missing.not_estimated)
