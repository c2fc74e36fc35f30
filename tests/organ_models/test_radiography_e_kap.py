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


# ----------------------------------------------------------------- traceability and refusals
UID = "2.1"  # the builder's event UID


def test_the_estimate_names_its_inputs_and_source() -> None:
    (e,) = _e(_run("Thorax de face", Patient(age_years=45, sex="F")))
    assert e.event_uid == UID
    assert [i.describe() for i in e.inputs] == [
        "2 Gy.cm2 (event Dose Area Product)",
        "chest -> body region Chest",
        "45 a (unknown)",
        "F (unknown)",
        "not used: Table 7 gives one factor per body region (projections not separated) (assumed)",
        "ICRP 103 (HPA-CRCE-028 computes E with ICRP 103 w_T); not restated by the "
        "transcription (assumed)",
    ]
    assert [i.name for i in e.inputs] == [
        "kap",
        "exam",
        "age",
        "sex",
        "projection",
        "weighting_basis",
    ]
    (c,) = e.coefficients
    assert c.name == "E/KAP Chest (HPA-CRCE-028 Table 7)" and c.unit == "mSv/(Gy.cm2)"
    assert e.method == (
        "E = c x KAP = 0.16 mSv/(Gy.cm2) x 2 Gy.cm2 (SECONDARY SOURCE: HPA-CRCE-028 Table 7 as "
        "transcribed in github:rvbCMTS/rvbrtg, not compared with the report; adult, per body "
        "region)"
    )


def _refusal(result: EstimationResult, quantity: EstimateQuantity = E) -> tuple[object, ...]:
    (r,) = [x for x in result.not_estimated if x.quantity is quantity and x.event_uid]
    return r.event_uid, r.reason, r.message


def test_refusals_say_exactly_what_is_missing() -> None:
    assert _refusal(_run("Thorax", Patient(age_years=10))) == (
        UID,
        NotEstimatedReason.NO_COEFFICIENT,
        "effective dose: patient 10 y; no paediatric radiography E/KAP in the reference data "
        "(HPA-CRCE-028 age-dependent tables not found; the adult factors apply from 16 y)",
    )
    assert _refusal(_run("Examen 42")) == (
        UID,
        NotEstimatedReason.UNKNOWN_CONTEXT,
        "effective dose: radiographic exam not recognised (anatomical structure code or "
        "protocol keywords)",
    )
    event = dataclasses.replace(b.projection_event(), dose_area_product=None, dose_rp=None)
    report = b.report(DoseModality.RADIOGRAPHY, (event,), description="Thorax")
    result = estimate_with_reasons(report, ADULT)
    assert _refusal(result) == (
        UID,
        NotEstimatedReason.MISSING_INPUT,
        "effective dose: no Dose Area Product in the event",
    )
    assert _refusal(result, EstimateQuantity.ENTRANCE_SURFACE_DOSE) == (
        UID,
        NotEstimatedReason.MISSING_INPUT,
        "entrance surface dose: no Dose (RP) in the event",
    )


@pytest.mark.parametrize(
    ("level", "reason"),
    [
        (Verification.UNVERIFIED_RECALL, NotEstimatedReason.POLICY_REFUSED),
        (Verification.NOT_FOUND, NotEstimatedReason.NO_COEFFICIENT),
    ],
)
def test_an_unusable_table_row_is_refused_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, level: Verification, reason: NotEstimatedReason
) -> None:
    from organ_models import radiography
    from organ_models.tables import ReferenceTable, load_table

    table = load_table(radiography.E_TABLE)
    rows = tuple(dataclasses.replace(r, verification=level) for r in table.rows)
    patched = ReferenceTable(table.name, table.version, rows)
    monkeypatch.setattr(radiography, "load_table", lambda name: patched)
    assert _refusal(_run("Thorax")) == (
        UID,
        reason,
        "effective dose: no usable E/KAP for Chest in HPA-CRCE-028 Table 7 "
        "(radiography_e_per_kap_hpa_crce_028.csv)",
    )
