"""Fluoroscopy effective dose from KAP: procedure by code, then description, then device;
paediatric cardiac factors by age; the additions' derived adult factors (issue #13 item 1)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateQuantity,
    NotEstimatedReason,
    Verification,
    WeightBasis,
)
from dosewatch.domain.report import DeviceFacts, DoseModality, DoseReport
from organ_models import EstimationResult, Patient, estimate_with_reasons
from organ_models.organs import Code
from tests.organ_models import builders as b

E = EstimateQuantity.EFFECTIVE_DOSE
KAP = 10.0


def _report(description: str | None, cu_mm: float | None = None) -> DoseReport:
    return b.report(
        DoseModality.FLUOROSCOPY,
        (b.projection_event(kap=KAP, cu_mm=cu_mm),),
        description=description,
    )


def _e(result: EstimationResult) -> Estimate:
    (e,) = [x for x in result.estimates if x.quantity is E]
    return e


def _codes(result: EstimationResult) -> set[str]:
    return {str(f.code) for f in result.findings}


@pytest.mark.parametrize(
    ("age", "karambatsakidou", "spread", "ubeda"),
    [
        # Karambatsakidou 2009 CF(E) +/- SD (ICRP 60) and Ubeda 2017 median for that age
        (0.2, 3.7, 0.2, 1.70),
        (2.0, 1.9, 0.2, 0.89),
        (6.0, 1.0, 0.1, 0.58),
        (11.0, 0.6, 0.1, 0.40),
        (15.0, 0.4, 0.1, 0.40),
    ],
)
def test_paediatric_cardiac_catheterisation_by_age(
    age: float, karambatsakidou: float, spread: float, ubeda: float
) -> None:
    result = estimate_with_reasons(_report("Cathétérisme cardiaque"), Patient(age_years=age))
    e = _e(result)
    assert e.value.value == pytest.approx(karambatsakidou * KAP)
    assert e.basis is WeightBasis.ICRP60
    assert [c.value for c in e.coefficients] == pytest.approx([karambatsakidou, ubeda])
    assert all(c.verification is Verification.VERIFIED for c in e.coefficients)
    difference = abs(ubeda - karambatsakidou) / karambatsakidou
    parts = [30.0, 100 * spread / karambatsakidou]
    if difference > 0.25:
        parts.append(100 * difference)
        assert "model.sources_disagree" in _codes(result)
    else:
        assert "model.sources_disagree" not in _codes(result)
    assert e.uncertainty_pct == pytest.approx(math.sqrt(sum(p * p for p in parts)), abs=0.05)
    assert "model.basis_fallback" in _codes(result)  # ICRP 103 asked, ICRP 60 given


def test_procedure_code_decides_before_the_description() -> None:
    report = _report("Pose stimulateur")
    study = dataclasses.replace(
        report.study, requested_procedure_code=Code("41339005", "SCT", "PTCA")
    )
    e = _e(estimate_with_reasons(dataclasses.replace(report, study=study), Patient(age_years=60)))
    assert e.value.value == pytest.approx(0.33 * KAP)  # Brambilla 2017 PCI 0.33
    procedure = e.input("procedure")
    assert procedure is not None and procedure.text == "PCI (from procedure code)"


def test_cardiac_laboratory_without_description_gets_a_generic_cardiac_factor() -> None:
    report = dataclasses.replace(
        _report(None), device=DeviceFacts(institutional_department="Cardiologie")
    )
    result = estimate_with_reasons(report, Patient(age_years=60))
    e = _e(result)
    assert e.value.value == pytest.approx(0.21 * KAP)  # Vano 2019, lab without Cu
    assert e.uncertainty_pct == pytest.approx(42.4)  # 30 (+) 30 from the device only
    assert "model.procedure_from_device" in _codes(result)
    with_cu = dataclasses.replace(
        _report(None, cu_mm=0.4), device=DeviceFacts(institutional_department="Cardiologie")
    )
    assert _e(estimate_with_reasons(with_cu, Patient(age_years=60))).value.value == (
        pytest.approx(0.34 * KAP)  # Vano 2019 per event, 0.4 mm Cu
    )
    # a radiology room says nothing about the procedure
    room = dataclasses.replace(_report(None), device=DeviceFacts(institutional_department="Radio"))
    refused = estimate_with_reasons(room, Patient(age_years=60))
    assert not [x for x in refused.estimates if x.quantity is E]
    assert any(r.reason is NotEstimatedReason.UNKNOWN_CONTEXT for r in refused.not_estimated)


@pytest.mark.parametrize(
    ("description", "per_kap"),
    [
        ("Embolisation des artères utérines", 0.57),  # Vetter 2004: 34 mSv / 59.9 Gy cm2
        ("CPRE diagnostique", 0.23),  # Larkin 2001: 3.1 mSv / 13.5 Gy cm2
        ("CPRE avec sphinctérotomie", 0.19),  # Larkin 2001: 12.4 mSv / 66.8 Gy cm2
    ],
)
def test_derived_adult_factors_are_icrp60_and_wider(description: str, per_kap: float) -> None:
    result = estimate_with_reasons(_report(description), Patient(age_years=50, sex="F"))
    e = _e(result)
    assert e.value.value == pytest.approx(per_kap * KAP)
    assert e.basis is WeightBasis.ICRP60
    (c,) = e.coefficients
    assert c.verification is Verification.DERIVED
    assert e.uncertainty_pct == pytest.approx(42.4)  # 30 (+) 30 derived
    assert "model.basis_fallback" in _codes(result)


def test_no_kap_is_refused() -> None:
    event = dataclasses.replace(b.projection_event(), dose_area_product=None)
    report = b.report(DoseModality.FLUOROSCOPY, (event,), description="Coronarographie")
    result = estimate_with_reasons(report, Patient(age_years=60))
    assert not [x for x in result.estimates if x.quantity is E]
    assert any(
        r.reason is NotEstimatedReason.MISSING_INPUT and r.quantity is E
        for r in result.not_estimated
    )


@pytest.mark.parametrize(("cu", "per_kap"), [(0.0, 0.16), (0.2, 0.27), (0.3, 0.34), (1.5, 0.40)])
def test_cardiac_events_use_the_nearest_vano_cu_level(cu: float, per_kap: float) -> None:
    result = estimate_with_reasons(_report("Coronarographie", cu_mm=cu), Patient(age_years=60))
    e = _e(result)
    assert e.value.value == pytest.approx(per_kap * KAP)  # Vano 2019 per-event factors
    assert e.basis is WeightBasis.ICRP103 and e.uncertainty_pct == pytest.approx(30.0)
    assert "model.basis_fallback" not in _codes(result)


def test_adult_defaults_and_codes_in_the_procedure_list() -> None:
    unknown_age = _e(estimate_with_reasons(_report("Angioplastie coronaire"), Patient()))
    assert unknown_age.value.value == pytest.approx(0.33 * KAP)  # Brambilla 2017 PCI
    assert unknown_age.uncertainty_pct == pytest.approx(36.1)  # 30 (+) 20 age unknown
    report = _report(None)
    study = dataclasses.replace(
        report.study, procedure_codes=(Code("41976001", "SCT", "Cardiac catheterization"),)
    )
    coded = _e(
        estimate_with_reasons(dataclasses.replace(report, study=study), Patient(age_years=2))
    )
    assert coded.value.value == pytest.approx(1.9 * KAP)  # Karambatsakidou 1 y


def test_paediatric_age_edges_and_basis() -> None:
    from organ_models import EstimationSettings

    # 17 y: ICRP 15 y band (3.7 ... 0.4), no Ubeda range (its last is 10-<16 y)
    late = _e(estimate_with_reasons(_report("Coronarographie"), Patient(age_years=17)))
    assert late.value.value == pytest.approx(0.4 * KAP) and len(late.coefficients) == 1
    # 1.0 y: ICRP 1 y band and Ubeda's 1-<5 y median 0.89
    one = _e(estimate_with_reasons(_report("Coronarographie"), Patient(age_years=1.0)))
    assert [c.value for c in one.coefficients] == pytest.approx([1.9, 0.89])
    # asked for ICRP 60: no basis finding
    icrp60 = estimate_with_reasons(
        _report("Coronarographie"),
        Patient(age_years=6),
        EstimationSettings(basis=WeightBasis.ICRP60),
    )
    assert _e(icrp60).basis is WeightBasis.ICRP60
    assert "model.basis_fallback" not in _codes(icrp60)


# ----------------------------------------------------------------- traceability and refusals
UID = "2.1"  # the builder's event UID


def _traced(e: Estimate, *texts: str) -> None:
    """Event, coefficient names/units, method and input texts as the JSON and views show."""
    assert e.event_uid == UID
    for c in e.coefficients:
        assert isinstance(c.name, str) and c.name.startswith(("E/KAP", "CF(E)", "E/DAP"))
        assert c.unit == "mSv/(Gy.cm2)"
    assert e.method.startswith("E = ") and f"{e.coefficients[0].value:g} mSv/(Gy.cm2)" in e.method
    described = " ".join(f"{i.name}={i.text}" for i in e.inputs)
    for text in texts:
        assert text in described or text in e.method, (text, described, e.method)


def test_estimates_name_their_procedure_factor_and_event() -> None:
    adult = _e(estimate_with_reasons(_report("Coronarographie"), Patient(age_years=60)))
    _traced(adult, "factor=procedure factor (coronary_angiography)", "x KAP")
    cu = _e(estimate_with_reasons(_report("Coronarographie", cu_mm=0.4), Patient(age_years=60)))
    _traced(cu, "factor=per-event factor for 0.4 mm Cu (reported 0.4 mm)")
    uae = _e(estimate_with_reasons(_report("Embolisation utérine"), Patient(age_years=45)))
    _traced(uae, "factor=E/DAP derived from published mean E and DAP (ICRP 60 era)")
    child = estimate_with_reasons(_report("Coronarographie"), Patient(age_years=6))
    e = _e(child)
    _traced(e, "Karambatsakidou 2009, ICRP reference age 5y, ICRP 60 w_T")
    assert [c.name for c in e.coefficients] == [
        "CF(E) paediatric cardiac 5y",
        "E/DAP median paediatric 5-<10 y (cross-check)",
    ]
    messages = " ".join(f.message for f in child.findings)
    assert "Karambatsakidou 2009 1 vs Ubeda 2017 0.58" in messages
    assert "exists only with ICRP 60 weights" in messages and "labelled ICRP60" in messages


def test_findings_say_what_was_assumed() -> None:
    lab = dataclasses.replace(
        _report(None), device=DeviceFacts(institutional_department="Hémodynamique")
    )
    result = estimate_with_reasons(lab, Patient(age_years=60))
    (message,) = [f.message for f in result.findings if f.code == "model.procedure_from_device"]
    assert "the device's department is a cardiac laboratory" in message and "+30 %" in message
    uae = estimate_with_reasons(_report("Embolisation utérine"), Patient(age_years=45))
    (basis,) = [f.message for f in uae.findings if f.code == "model.basis_fallback"]
    assert basis == (
        "no ICRP103 E/KAP for uterine_artery_embolisation; the ICRP60 factor is used and "
        "labelled ICRP60 (never added to ICRP103 doses)"
    )


def test_only_copper_filters_select_the_per_event_cardiac_factor() -> None:
    from dosewatch.domain.report import XRayFilter

    aluminium = Code("C-120F9", "SRT", "Aluminum or Aluminum compound")
    event = dataclasses.replace(
        b.projection_event(kap=KAP),
        filters=(XRayFilter(material=aluminium, thickness_maximum=b.q(0.9, "mm")),),
    )
    report = b.report(DoseModality.FLUOROSCOPY, (event,), description="Coronarographie")
    assert _e(estimate_with_reasons(report, Patient(age_years=60))).value.value == (
        pytest.approx(0.30 * KAP)  # Brambilla coronary factor, not Vano's 0.9 mm Cu 0.40
    )
    # a non-cardiac procedure never takes the cardiac Cu factors (TIPS stays refused)
    tips = estimate_with_reasons(_report("TIPS", cu_mm=0.4), Patient(age_years=60))
    assert not [x for x in tips.estimates if x.quantity is E]
    (why,) = [r for r in tips.not_estimated if r.quantity is E]
    assert why.event_uid == UID and why.reason is NotEstimatedReason.POLICY_REFUSED
    assert why.message.startswith("effective dose: fluoro_conversion: the only rows")


def test_coded_adult_catheterisation_uses_the_coronary_factor() -> None:
    report = _report(None)
    study = dataclasses.replace(
        report.study, procedure_codes=(Code("41976001", "SCT", "Cardiac catheterization"),)
    )
    e = _e(estimate_with_reasons(dataclasses.replace(report, study=study), Patient(age_years=60)))
    assert e.value.value == pytest.approx(0.30 * KAP)  # Brambilla 2017 coronary angiography
    _traced(e, "procedure=cardiac_catheterisation (from procedure code)")


@pytest.mark.parametrize(("description", "age"), [("Embolisation utérine", 45.0), ("Coro", 6.0)])
def test_a_missing_or_unverified_additions_row_is_refused(
    monkeypatch: pytest.MonkeyPatch, description: str, age: float
) -> None:
    from organ_models import fluoro_effective

    real = fluoro_effective._additions_row

    def unverified(exam: str, population: str) -> object:
        row = real(exam, population)
        assert row is not None
        return dataclasses.replace(row, verification=Verification.UNVERIFIED_RECALL)

    for patched in (lambda exam, population: None, unverified):
        monkeypatch.setattr(fluoro_effective, "_additions_row", patched)
        result = estimate_with_reasons(_report(description), Patient(age_years=age))
        assert not [x for x in result.estimates if x.quantity is E]
        (why,) = [r for r in result.not_estimated if r.quantity is E]
        assert why.event_uid == UID and why.reason is NotEstimatedReason.NO_COEFFICIENT
        assert why.message.startswith("effective dose: no usable ")
