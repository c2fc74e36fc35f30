"""Fluoroscopy E/KAP: the full record of an estimate and the exact refusals (#15).

Coefficients (``fluoro_conversion.csv``, ``fluoro_e_per_kap.csv``): Brambilla 2017 coronary
angiography 0.30 mSv/(Gy.cm2); Vano 2019 per event with 0.4 mm Cu 0.34 and a lab without Cu
cine 0.21; Larkin 2001 ERCP diagnostic 0.23 / therapeutic 0.19 (derived); Karambatsakidou
2009 CF(E) 1 y 1.9 +/- 0.2, 15 y 0.4 +/- 0.1; Ubeda 2017 medians <1 y 1.70, 10-<16 y 0.40.
Uncertainty components of ``organ_models.fluoro_effective``: 30 % base, 20 % unknown age,
30 % procedure from the device, 30 % derived factor, the relative SD of CF(E).
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateQuantity,
    NotEstimatedReason,
    WeightBasis,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import DeviceFacts, DoseModality, ProjectionIrradiationEvent
from organ_models import EstimationSettings, Patient
from organ_models.common import Outcome
from organ_models.fluoro_effective import (
    EFFECTIVE,
    effective_dose_for_event,
    procedure_of,
    ubeda_population,
)
from tests.organ_models import builders as b

ADULT = Patient(age_years=60, sex="M")


def _outcome(
    description: str | None,
    patient: Patient = ADULT,
    *,
    cu: float | None = None,
    event: ProjectionIrradiationEvent | None = None,
    device: DeviceFacts | None = None,
    basis: WeightBasis = WeightBasis.ICRP103,
) -> Outcome:
    event = event or b.projection_event(kap=10.0, cu_mm=cu)
    report = b.report(DoseModality.FLUOROSCOPY, (event,), description=description)
    if device is not None:
        report = dataclasses.replace(report, device=device)
    return effective_dose_for_event(event, report, EstimationSettings(basis=basis), patient)


def _one(out: Outcome) -> Estimate:
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.EFFECTIVE_DOSE
    assert e.model_id == EFFECTIVE.model_id == "rf.effective.kap"
    assert e.event_uid == "2.1" and e.value.unit == "mSv" and not e.indicative
    assert list(e.findings) == out.findings
    for c in e.coefficients:
        assert c.unit == "mSv/(Gy.cm2)"
    return e


def _inputs(e: Estimate) -> list[tuple[str, float | None, str | None, bool]]:
    return [
        (i.name, None if i.quantity is None else i.quantity.value, i.text, i.assumed)
        for i in e.inputs
    ]


def _findings(e: Estimate) -> list[tuple[FindingCode, str]]:
    return [(f.code, f.message) for f in e.findings]


def _pct(*parts: float) -> float:
    return round(math.sqrt(sum(p * p for p in parts)), 1)


def _refused(out: Outcome) -> tuple[NotEstimatedReason, str]:
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "2.1" and r.quantity is EstimateQuantity.EFFECTIVE_DOSE
    return r.reason, r.message


def test_adult_coronary_angiography_record() -> None:
    e = _one(_outcome("Coronarographie"))
    assert e.value.value == pytest.approx(0.30 * 10.0)
    assert e.uncertainty_pct == 30.0 and e.basis is WeightBasis.ICRP103
    assert e.method == "E = c x KAP = 0.3 mSv/(Gy.cm2) x 10 Gy.cm2"
    assert [c.name for c in e.coefficients] == ["E/KAP coronary_angiography"]
    assert _inputs(e) == [
        ("kap", 10.0, "event Dose Area Product", False),
        ("procedure", None, "coronary_angiography (from description)", False),
        ("factor", None, "procedure factor (coronary_angiography)", False),
        ("age", 60.0, "unknown", False),
        ("sex", None, "M (unknown)", False),
    ]
    assert _findings(e) == []


def test_adult_of_unknown_age_with_copper_record() -> None:
    # 0.3 mm Cu -> the nearest Vano level 0.4 mm: 0.34
    e = _one(_outcome("Coronarographie", Patient(), cu=0.3))
    assert e.value.value == pytest.approx(0.34 * 10.0)
    assert e.uncertainty_pct == _pct(30, 20) == 36.1
    assert _inputs(e)[2:] == [
        ("factor", None, "per-event factor for 0.4 mm Cu (reported 0.3 mm)", False),
        ("age", None, "unknown: adult reference person assumed", True),
        ("sex", None, "unknown: sex-averaged coefficients", True),
    ]


@pytest.mark.parametrize(
    ("description", "procedure", "per_kap"),
    [("CPRE sphinctérotomie", "ERCP therapeutic", 0.19), ("CPRE", "ERCP diagnostic", 0.23)],
)
def test_ercp_record(description: str, procedure: str, per_kap: float) -> None:
    e = _one(_outcome(description))
    assert e.value.value == pytest.approx(per_kap * 10.0)
    assert e.basis is WeightBasis.ICRP60
    assert e.uncertainty_pct == _pct(30, 30) == 42.4
    assert [c.name for c in e.coefficients] == [f"E/KAP {procedure}"]
    assert _inputs(e)[1:3] == [
        ("procedure", None, f"{procedure} (from description)", False),
        ("factor", None, "E/DAP derived from published mean E and DAP (ICRP 60 era)", False),
    ]
    assert _findings(e) == [
        (
            FindingCode.MODEL_BASIS_FALLBACK,
            f"no ICRP103 E/KAP for {procedure}; the ICRP60 factor is used and labelled ICRP60 "
            "(never added to ICRP103 doses)",
        )
    ]


def test_derived_factor_under_icrp60_settings_has_no_fallback_finding() -> None:
    e = _one(_outcome("CPRE", basis=WeightBasis.ICRP60))
    assert e.basis is WeightBasis.ICRP60 and _findings(e) == []


def test_cardiac_laboratory_record() -> None:
    e = _one(_outcome(None, device=DeviceFacts(institutional_department="Cardiologie")))
    assert e.value.value == pytest.approx(0.21 * 10.0)  # Vano 2019, lab without Cu cine
    assert e.uncertainty_pct == _pct(30, 30) == 42.4
    assert _inputs(e)[1:3] == [
        ("procedure", None, "cardiac_procedure (from device department)", False),
        ("factor", None, "procedure factor (cardiac_procedures_no_Cu_cine)", False),
    ]
    assert _findings(e) == [
        (
            FindingCode.MODEL_PROCEDURE_FROM_DEVICE,
            "fluoroscopy procedure not coded nor described; the device's department is a "
            "cardiac laboratory: generic cardiac E/KAP (+30 %)",
        )
    ]


def test_infant_cardiac_record() -> None:
    # age 0.5 y -> ICRP reference age 1 y: CF(E) 1.9 +/- 0.2; Ubeda <1 y 1.70 (11 %: agrees)
    e = _one(_outcome("Coronarographie", Patient(age_years=0.5, sex="F")))
    assert e.value.value == pytest.approx(1.9 * 10.0)
    assert e.basis is WeightBasis.ICRP60
    assert e.uncertainty_pct == _pct(30, 100 * 0.2 / 1.9) == 31.8
    assert e.method == (
        "E = CF(E) x KAP = 1.9 mSv/(Gy.cm2) x 10 Gy.cm2 (Karambatsakidou 2009, ICRP "
        "reference age 1y, ICRP 60 w_T)"
    )
    assert [(c.name, c.value) for c in e.coefficients] == [
        ("CF(E) paediatric cardiac 1y", 1.9),
        ("E/DAP median paediatric <1 y (cross-check)", 1.7),
    ]
    assert _inputs(e) == [
        ("kap", 10.0, "event Dose Area Product", False),
        ("procedure", None, "paediatric cardiac catheterisation (from description)", False),
        ("age", 0.5, "unknown", False),
        ("age_band", None, "1y", False),
        ("sex", None, "F (unknown)", False),
    ]
    assert _findings(e) == [
        (
            FindingCode.MODEL_BASIS_FALLBACK,
            "paediatric cardiac E/KAP exists only with ICRP 60 weights (Karambatsakidou 2009; "
            "ICRP 103 would be 10-30 % higher): labelled ICRP60",
        )
    ]


def test_15_year_old_cardiac_under_icrp60_record() -> None:
    e = _one(_outcome("Coronarographie", Patient(age_years=15, sex="F"), basis=WeightBasis.ICRP60))
    assert e.value.value == pytest.approx(0.4 * 10.0)
    assert e.uncertainty_pct == _pct(30, 100 * 0.1 / 0.4) == 39.1
    assert _findings(e) == []


@pytest.mark.parametrize(
    ("description", "patient", "reason", "message"),
    [
        (
            "TIPS",
            Patient(age_years=8),
            NotEstimatedReason.NO_COEFFICIENT,
            "effective dose: patient in age band 10y; no paediatric E/KAP for TIPS in the "
            "reference tables (adult factors would understate a child's E 3-7x)",
        ),
        (
            "pacemaker",
            ADULT,
            NotEstimatedReason.NO_COEFFICIENT,
            "effective dose: pacemaker / cardiac device implantation has no verified E/KAP "
            "(fluoro_e_per_kap: not_found); coronary factors are not used for it",
        ),
        (
            "foo",
            ADULT,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "effective dose: procedure type not recognised (no procedure code, no procedure "
            "keyword in the descriptions, not a cardiac laboratory; E/KAP coefficients are "
            "procedure-specific)",
        ),
    ],
)
def test_refusals_are_exact(
    description: str, patient: Patient, reason: NotEstimatedReason, message: str
) -> None:
    assert _refused(_outcome(description, patient)) == (reason, message)


def test_no_kap_is_refused_exactly() -> None:
    event = dataclasses.replace(b.projection_event(), dose_area_product=None)
    assert _refused(_outcome("Coro", event=event)) == (
        NotEstimatedReason.MISSING_INPUT,
        "effective dose: no Dose Area Product",
    )


@pytest.mark.parametrize(
    ("description", "procedure"),
    [
        ("PTCA", "PCI"),
        ("Coronarographie", "coronary_angiography"),
        ("Cathétérisme", "cardiac_catheterisation"),
        ("TIPS", "TIPS"),
        ("Chimioembolisation TACE", "hepatic_chemoembolisation"),
        ("Embolisation", "uterine_artery_embolisation"),
        ("Neuro", "cerebral_angiography_embolisation"),
        ("Lavement", "barium_enema"),
        ("Transit", "barium_swallow_meal"),
        ("Pacemaker coronarographie", "device_implantation"),
    ],
)
def test_procedure_keywords(description: str, procedure: str) -> None:
    report = b.report(DoseModality.FLUOROSCOPY, (), description=description)
    assert procedure_of(report) == (procedure, "description")


def test_procedure_not_found() -> None:
    assert procedure_of(b.report(DoseModality.FLUOROSCOPY, ())) == (None, "not found")


@pytest.mark.parametrize(
    ("age", "population"),
    [
        (0.99, "paediatric <1 y"),
        (1.0, "paediatric 1-<5 y"),
        (4.99, "paediatric 1-<5 y"),
        (5.0, "paediatric 5-<10 y"),
        (10.0, "paediatric 10-<16 y"),
        (15.99, "paediatric 10-<16 y"),
        (16.0, None),
    ],
)
def test_ubeda_age_ranges(age: float, population: str | None) -> None:
    # Ubeda 2017 age ranges: <1, 1-<5, 5-<10, 10-<16 y
    assert ubeda_population(age) == population


@pytest.mark.parametrize("field", ["requested_procedure_description", "series_description"])
def test_the_procedure_may_be_in_the_requested_procedure_or_series_description(
    field: str,
) -> None:
    report = b.report(DoseModality.FLUOROSCOPY, ())
    study = (
        dataclasses.replace(report.study, requested_procedure_description="Coronarographie")
        if field == "requested_procedure_description"
        else dataclasses.replace(report.study, series_description="Coronarographie")
    )
    assert procedure_of(dataclasses.replace(report, study=study)) == (
        "coronary_angiography",
        "description",
    )


def test_a_cardiac_laboratory_may_be_named_by_its_station() -> None:
    report = dataclasses.replace(
        b.report(DoseModality.FLUOROSCOPY, ()), device=DeviceFacts(station_name="CATHLAB2")
    )
    assert procedure_of(report) == ("cardiac_procedure", "device department")


def test_without_a_patient_the_adult_reference_person_is_assumed() -> None:
    event = b.projection_event(kap=10.0)
    report = b.report(DoseModality.FLUOROSCOPY, (event,), description="Coronarographie")
    out = effective_dose_for_event(event, report, EstimationSettings())
    e = _one(out)
    # Brambilla 2017 adult coronary angiography 0.30; unknown age adds 20 %
    assert e.value.value == pytest.approx(0.30 * 10.0)
    assert e.uncertainty_pct == _pct(30, 20) == 36.1
    assert _inputs(e)[3] == ("age", None, "unknown: adult reference person assumed", True)
