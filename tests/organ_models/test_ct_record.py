"""The full record of a CT effective-dose estimate (or refusal), pinned by value (#15).

k factors: Lee C et al., Med Phys 2012;39:2129, Table XII (ICRP 103 and ICRP 60 columns;
adult chest 80/100/120 kV 0.0191/0.0203/0.0210, adult head 120 kV 0.0017, 5 y head 0.0043);
AAPM Report 96 Table 4 (ICRP 60; adult neck 0.0059, 10 y neck 0.0079). Uncertainty: the
relative components of ``organ_models.ct`` (base 40 %, reference README section 2; region
from text 25 %, unknown age 20 %, unreported kV 10 %, assumed phantom 15 %, phantom
conversion 15 %, unconfirmed phantom convention 50 %, kV above the table 15 %, cardiac as
chest 25 %) combined in quadrature and rounded to 0.1 %.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateQuantity,
    NotEstimated,
    NotEstimatedReason,
    Verification,
    WeightBasis,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent, DoseModality
from organ_models import EstimationSettings, Patient
from organ_models.common import Outcome
from organ_models.ct import (
    MODEL,
    effective_dose_for_event,
    event_region,
    k_phantom_cm,
    nearest_kv,
    region_from_text,
)
from organ_models.tables import ReferencePolicy, load_table
from tests.organ_models import builders as b

ADULT = Patient(age_years=40, sex="M")
LEE = "Lee C, Kim KP, Long DJ, Bolch WE"


def _outcome(
    event: CtIrradiationEvent,
    patient: Patient = ADULT,
    settings: EstimationSettings | None = None,
    description: str | None = None,
) -> Outcome:
    report = b.report(DoseModality.CT, (event,), description=description)
    return effective_dose_for_event(event, report, patient, settings or EstimationSettings())


def _one(out: Outcome) -> Estimate:
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.EFFECTIVE_DOSE
    assert e.model_id == MODEL.model_id == "ct.effective.k_dlp"
    assert e.event_uid == "1.1"
    assert e.value.unit == "mSv"
    assert not e.indicative
    # the findings of the estimate are those of the outcome
    assert list(e.findings) == out.findings
    return e


def _refusal(out: Outcome) -> NotEstimated:
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.EFFECTIVE_DOSE
    return r


def _inputs(e: Estimate) -> list[tuple[str, float | None, str | None, str | None, bool]]:
    return [
        (
            i.name,
            None if i.quantity is None else i.quantity.value,
            None if i.quantity is None else i.quantity.unit,
            i.text,
            i.assumed,
        )
        for i in e.inputs
    ]


def _findings(e: Estimate) -> list[tuple[FindingCode, str]]:
    return [(f.code, f.message) for f in e.findings]


def _pct(*parts: float) -> float:
    return round(math.sqrt(sum(p * p for p in parts)), 1)


def test_adult_chest_full_record() -> None:
    # Lee 2012 Table XII ICRP 103, adult chest, 120 kV: 0.021 mSv/(mGy.cm); DLP 500 (32 cm)
    e = _one(_outcome(b.ct_event()))
    assert e.value.value == pytest.approx(0.021 * 500.0)
    assert e.basis is WeightBasis.ICRP103
    # base 40 % and the k phantom taken from the AAPM 96 convention (15 %)
    assert e.uncertainty_pct == _pct(40, 15) == 42.7
    assert e.method == "E = k x DLP = 0.021 mSv/(mGy.cm) x 500 mGy.cm"
    (c,) = e.coefficients
    assert (c.name, c.value, c.unit) == ("k chest adult 120 kV ICRP103", 0.021, "mSv/(mGy.cm)")
    assert c.source.startswith(LEE) and c.locator.startswith("organ_models/data/ct_k_factors")
    assert _inputs(e) == [
        ("dlp", 500.0, "mGy.cm", "event DLP", False),
        ("ctdi_phantom", 32.0, "cm", "CTDIw phantom of the DLP", False),
        ("k_phantom", 32.0, "cm", "CTDI phantom of the k factor", True),
        ("phantom_conversion", None, None, "none", False),
        ("region", None, None, "chest (target region code)", False),
        ("age", 40.0, "a", "unknown", False),
        ("age_band", None, None, "adult", False),
        ("sex", None, None, "M (unknown)", False),
        ("kv", 120.0, "kV", "nearest tabulated kV (reported 120 kV)", False),
    ]
    assert _findings(e) == []


def test_cardiac_protocol_above_the_table_kv() -> None:
    # cardiac -> chest k (no verified cardiac k); 140 kV -> the 120 kV column
    e = _one(_outcome(b.ct_event(region=None, protocol="Cardiac", kv=140.0)))
    assert e.value.value == pytest.approx(0.021 * 500.0)
    assert e.uncertainty_pct == _pct(40, 25, 15, 25, 15) == 57.4
    assert e.coefficients[0].name == "k cardiac adult 120 kV ICRP103"
    assert e.input("region") is not None
    assert e.input("region").text == "cardiac (acquisition protocol keywords)"  # type: ignore[union-attr]
    kv = e.input("kv")
    assert kv is not None and kv.text == "nearest tabulated kV (reported 140 kV)"
    assert not kv.assumed
    assert _findings(e) == [
        (
            FindingCode.MODEL_REGION_FROM_TEXT,
            "CT region 'cardiac' taken from acquisition protocol keywords",
        ),
        (
            FindingCode.MODEL_KV_ABOVE_TABLE,
            "tube voltage 140 kV is above the tabulated 120 kV; the 120 kV k is used "
            "(+15 % uncertainty)",
        ),
        (
            FindingCode.MODEL_CARDIAC_CHEST_K,
            "cardiac CT: no verified cardiac k in the reference data; the chest k is used "
            "(published cardiac k ~25 % higher; +25 % uncertainty)",
        ),
    ]


def test_tabulated_kv_is_not_above_the_table() -> None:
    # 120 kV is the last tabulated column itself: no extrapolation finding, no extra %
    e = _one(_outcome(b.ct_event(kv=120.0)))
    assert all(f.code is not FindingCode.MODEL_KV_ABOVE_TABLE for f in e.findings)
    assert e.uncertainty_pct == 42.7


def test_adult_head_body_phantom_dlp_is_doubled() -> None:
    # Lee 2012 ICRP 103 adult head 120 kV 0.0017, k phantom 16 cm (AAPM 96 convention):
    # DLP_16 = 2 x DLP_32 = 200 mGy.cm
    e = _one(_outcome(b.ct_event(region=b.HEAD, dlp=100.0)))
    assert e.value.value == pytest.approx(0.0017 * 200.0)
    assert e.uncertainty_pct == _pct(40, 15, 15, 50) == 67.5
    assert e.method == "E = k x DLP = 0.0017 mSv/(mGy.cm) x 200 mGy.cm"
    assert _inputs(e)[:4] == [
        ("dlp", 100.0, "mGy.cm", "event DLP", False),
        ("ctdi_phantom", 32.0, "cm", "CTDIw phantom of the DLP", False),
        ("k_phantom", 16.0, "cm", "CTDI phantom of the k factor", True),
        ("phantom_conversion", None, None, "DLP_16 = 2 x DLP_32", False),
    ]
    assert _findings(e) == [
        (
            FindingCode.MODEL_PHANTOM_CONVENTION_UNCONFIRMED,
            "k phantom (16 cm) not confirmed in the source; DLP converted from 32 cm "
            "(a factor-2 doubt: +50 % uncertainty)",
        )
    ]


def test_adult_chest_head_phantom_dlp_is_halved() -> None:
    # Lee 2012 ICRP 103 adult chest 100 kV 0.0203; DLP_32 = 0.5 x DLP_16 = 250 mGy.cm
    e = _one(_outcome(b.ct_event(head_phantom=True, kv=100.0)))
    assert e.value.value == pytest.approx(0.0203 * 250.0)
    assert e.uncertainty_pct == 67.5
    conversion = e.input("phantom_conversion")
    assert conversion is not None and conversion.text == "DLP_32 = 0.5 x DLP_16"
    assert e.coefficients[0].name == "k chest adult 100 kV ICRP103"


def test_neck_of_an_unknown_adult_falls_back_to_aapm96() -> None:
    # AAPM 96 Table 4 adult neck 0.0059 (ICRP 60, 32 cm stated): no ICRP 103 k exists
    e = _one(_outcome(b.ct_event(region=None, protocol="Neck"), Patient()))
    assert e.value.value == pytest.approx(0.0059 * 500.0)
    assert e.basis is WeightBasis.ICRP60
    assert e.uncertainty_pct == _pct(40, 25, 20) == 51.2
    assert e.coefficients[0].name == "k neck adult 120 kV ICRP60"
    assert _inputs(e)[2] == ("k_phantom", 32.0, "cm", "CTDI phantom of the k factor", False)
    assert _inputs(e)[5:8] == [
        ("age", None, None, "unknown: adult reference person assumed", True),
        ("age_band", None, None, "adult", True),
        ("sex", None, None, "unknown: sex-averaged coefficients", True),
    ]
    assert _findings(e) == [
        (
            FindingCode.MODEL_REGION_FROM_TEXT,
            "CT region 'neck' taken from acquisition protocol keywords",
        ),
        (
            FindingCode.MODEL_BASIS_FALLBACK,
            "no ICRP 103 k factor for region neck; ICRP 60 (AAPM 96) used and recorded as "
            "basis ICRP60 (never add it to ICRP 103 doses)",
        ),
    ]


def test_neck_of_a_15_year_old_uses_the_10_year_column() -> None:
    # AAPM 96 has no 15 y column: 10 y neck 0.0079 (16 cm), DLP_16 = 2 x 500
    e = _one(_outcome(b.ct_event(region=None, protocol="Neck"), Patient(age_years=15, sex="F")))
    assert e.value.value == pytest.approx(0.0079 * 1000.0)
    assert e.uncertainty_pct == _pct(40, 25, 15) == 49.5
    assert e.coefficients[0].value == 0.0079
    assert _findings(e)[2] == (FindingCode.MODEL_AGE_BAND, "AAPM 96 has no 15 y column; 10 y used")


def test_neck_under_icrp60_settings_has_no_fallback_finding() -> None:
    e = _one(
        _outcome(
            b.ct_event(region=None, protocol="Neck"),
            settings=EstimationSettings(basis=WeightBasis.ICRP60),
        )
    )
    assert e.basis is WeightBasis.ICRP60 and e.coefficients[0].value == 0.0059
    assert [f.code for f in e.findings] == [FindingCode.MODEL_REGION_FROM_TEXT]


def test_icrp60_chest_record() -> None:
    # Lee 2012 Table XII ICRP 60 adult chest 120 kV: 0.0186
    e = _one(_outcome(b.ct_event(), settings=EstimationSettings(basis=WeightBasis.ICRP60)))
    assert e.value.value == pytest.approx(0.0186 * 500.0)
    assert e.coefficients[0].name == "k chest adult 120 kV ICRP60"
    assert e.coefficients[0].source.startswith(LEE)
    assert _findings(e) == []


def test_region_from_the_study_description() -> None:
    # Lee 2012 ICRP 103 adult chest 80 kV: 0.0191
    e = _one(_outcome(b.ct_event(region=None, kv=80.0), description="CT THORAX"))
    assert e.value.value == pytest.approx(0.0191 * 500.0)
    assert e.uncertainty_pct == _pct(40, 25, 15) == 49.5
    region = e.input("region")
    assert region is not None and region.text == "chest (study/procedure description keywords)"
    assert _findings(e) == [
        (
            FindingCode.MODEL_REGION_FROM_TEXT,
            "CT region 'chest' taken from study/procedure description keywords",
        )
    ]


def test_child_head_in_the_head_phantom() -> None:
    # Lee 2012 ICRP 103 5 y head 120 kV: 0.0043; 16 cm k and DLP: no conversion
    e = _one(_outcome(b.ct_event(region=b.HEAD, head_phantom=True), Patient(age_years=5, sex="F")))
    assert e.value.value == pytest.approx(0.0043 * 500.0)
    assert e.uncertainty_pct == 42.7
    assert e.coefficients[0].name == "k head 5y 120 kV ICRP103"
    assert _inputs(e)[1:4] == [
        ("ctdi_phantom", 16.0, "cm", "CTDIw phantom of the DLP", False),
        ("k_phantom", 16.0, "cm", "CTDI phantom of the k factor", True),
        ("phantom_conversion", None, None, "none", False),
    ]


def test_unreported_phantom_is_assumed_body_for_a_chest() -> None:
    e = _one(_outcome(dataclasses.replace(b.ct_event(), ctdiw_phantom_type=None)))
    assert e.value.value == pytest.approx(0.021 * 500.0)
    assert e.uncertainty_pct == _pct(40, 15, 15) == 45.3
    assert _inputs(e)[1] == ("ctdi_phantom", 32.0, "cm", "CTDIw phantom of the DLP", True)
    assert _findings(e) == [
        (FindingCode.MODEL_DEFAULT_ASSUMED, "CTDIw phantom not reported; 32 cm assumed")
    ]


def test_unreported_phantom_is_assumed_head_for_a_head() -> None:
    e = _one(_outcome(dataclasses.replace(b.ct_event(region=b.HEAD), ctdiw_phantom_type=None)))
    # 16 cm assumed = the k's phantom: no conversion, E = 0.0017 x 500
    assert e.value.value == pytest.approx(0.0017 * 500.0)
    assert _findings(e) == [
        (FindingCode.MODEL_DEFAULT_ASSUMED, "CTDIw phantom not reported; 16 cm assumed")
    ]


def test_unreported_kv_adds_its_uncertainty() -> None:
    e = _one(_outcome(b.ct_event(kv=None)))
    assert e.uncertainty_pct == _pct(40, 10, 15) == 43.9
    kv = e.input("kv")
    assert kv is not None and kv.text == "nearest tabulated kV" and kv.assumed


def test_dlp_from_ctdivol_and_length() -> None:
    # 10 mGy x 30 cm = 300 mGy.cm
    event = dataclasses.replace(b.ct_event(), dlp=None, scanning_length=b.q(300, "mm"))
    e = _one(_outcome(event))
    assert e.value.value == pytest.approx(0.021 * 300.0)
    assert _inputs(e)[0] == ("dlp", 300.0, "mGy.cm", "event DLP", False)
    assert _findings(e) == [
        (FindingCode.MODEL_DLP_DERIVED, "event DLP absent; CTDIvol x scanning length used")
    ]


@pytest.mark.parametrize(
    "event",
    [
        dataclasses.replace(b.ct_event(), dlp=None),
        dataclasses.replace(b.ct_event(), dlp=None, ctdivol=None, scanning_length=b.q(30, "cm")),
    ],
)
def test_no_dlp_is_refused(event: CtIrradiationEvent) -> None:
    r = _refusal(_outcome(event))
    assert r.reason is NotEstimatedReason.MISSING_INPUT
    assert r.message == "effective dose: no DLP (and no CTDIvol x scanning length) in the event"


def test_unknown_region_is_refused() -> None:
    r = _refusal(_outcome(b.ct_event(region=None, protocol="foo")))
    assert r.reason is NotEstimatedReason.UNKNOWN_CONTEXT
    assert r.message == (
        "effective dose: body region unknown (no usable target region code, no region "
        "keyword in protocol or descriptions)"
    )


def test_a_limb_is_refused_not_given_a_trunk_k() -> None:
    r = _refusal(_outcome(b.ct_event(region=None, protocol="Knee")))
    assert r.reason is NotEstimatedReason.NO_COEFFICIENT
    assert r.message == (
        "effective dose: ct_k_factors: no row for dataset=AAPM96_Shrimpton, "
        "icrp_wt_basis=ICRP60, body_region=extremity, age_group=adult"
    )


def test_event_region_order() -> None:
    report = b.report(DoseModality.CT, (), description="Abdomen")
    assert event_region(b.ct_event(), report) == (BodyRegion.CHEST, "target region code")
    assert event_region(b.ct_event(region=None, protocol="Head"), report) == (
        BodyRegion.HEAD,
        "acquisition protocol keywords",
    )
    assert event_region(b.ct_event(region=None), report) == (
        BodyRegion.ABDOMEN_PELVIS,
        "study/procedure description keywords",
    )
    empty = b.report(DoseModality.CT, ())
    assert event_region(b.ct_event(region=None), empty) == (None, "not found")


@pytest.mark.parametrize(
    ("kv", "column"),
    [(None, 120), (60.0, 80), (89.0, 80), (90.0, 80), (91.0, 100), (110.0, 100), (111.0, 120)],
)
def test_nearest_kv(kv: float | None, column: int) -> None:
    assert nearest_kv(kv) == column


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Knee", BodyRegion.EXTREMITY),
        ("Cardiac thorax", BodyRegion.CARDIAC),
        ("Chest", BodyRegion.CHEST),
        ("TAP", BodyRegion.CHEST_ABDOMEN_PELVIS),
        ("Cou", BodyRegion.NECK),
        ("Coude", BodyRegion.EXTREMITY),
        ("", None),
    ],
)
def test_more_region_keywords(text: str, region: BodyRegion | None) -> None:
    assert region_from_text(text) == region


def test_region_from_several_texts_and_none() -> None:
    assert region_from_text(None, "Head") is BodyRegion.HEAD
    assert region_from_text(None) is None
    assert region_from_text() is None


def test_k_phantom_of_a_stated_and_an_unstated_row() -> None:
    table = load_table("ct_k_factors")
    stated = table.lookup(
        ReferencePolicy(),
        dataset="AAPM96_Shrimpton",
        icrp_wt_basis="ICRP60",
        body_region="chest",
        age_group="adult",
    )
    assert k_phantom_cm(stated, "chest", "adult") == (32, False)
    lee = table.lookup(
        ReferencePolicy(),
        dataset="NCI_Lee2012",
        icrp_wt_basis="ICRP103",
        body_region="chest",
        age_group="adult",
        kvp_kV="120",
    )
    # AAPM 96 convention: adult body 32 cm; head and every child 16 cm
    assert k_phantom_cm(lee, "chest", "adult") == (32, True)
    assert k_phantom_cm(lee, "head", "adult") == (16, True)
    assert k_phantom_cm(lee, "chest", "5y") == (16, True)


@pytest.mark.parametrize(
    ("field", "text"),
    [("requested_procedure_description", "Scanner thorax"), ("series_description", "Thorax")],
)
def test_region_from_the_procedure_or_series_description(field: str, text: str) -> None:
    report = b.report(DoseModality.CT, ())
    study = (
        dataclasses.replace(report.study, requested_procedure_description=text)
        if field == "requested_procedure_description"
        else dataclasses.replace(report.study, series_description=text)
    )
    report = dataclasses.replace(report, study=study)
    assert event_region(b.ct_event(region=None), report) == (
        BodyRegion.CHEST,
        "study/procedure description keywords",
    )


@pytest.mark.parametrize(
    ("region", "k"),
    # Lee 2012 Table XII, ICRP 60 columns, adult 120 kV (not AAPM 96: head 0.0021,
    # abdomen-pelvis 0.015, no chest-abdomen-pelvis row)
    [(b.HEAD, 0.0017), (b.ABDOMEN_SRT, 0.0219), (None, 0.0175)],
)
def test_icrp60_head_abdomen_and_cap_use_lee_2012(region: object, k: float) -> None:
    event = b.ct_event(region=region, protocol="Thorax abdomen", head_phantom=region is b.HEAD)  # type: ignore[arg-type]
    e = _one(_outcome(event, settings=EstimationSettings(basis=WeightBasis.ICRP60)))
    assert e.basis is WeightBasis.ICRP60
    assert e.coefficients[0].value == k and e.coefficients[0].source.startswith(LEE)
    assert e.value.value == pytest.approx(k * 500.0)


def test_an_unverified_k_row_is_refused_by_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    from organ_models import ct

    real = load_table("ct_k_factors")
    unverified = dataclasses.replace(
        real,
        rows=tuple(
            dataclasses.replace(r, verification=Verification.UNVERIFIED_RECALL) for r in real.rows
        ),
    )
    monkeypatch.setattr(ct, "load_table", lambda name: unverified)
    r = _refusal(_outcome(b.ct_event()))
    assert r.reason is NotEstimatedReason.POLICY_REFUSED
    assert r.message.startswith("effective dose: ct_k_factors: the only rows for ")
