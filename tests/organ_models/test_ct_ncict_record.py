"""NCICT 2015 organ doses: the full record of an estimate and of each refusal (#15).

Coefficients: Lee et al., J Radiol Prot 2015;35:891, Table 1 (organ dose per CTDIvol,
120 kVp): adult male chest active marrow 0.314, adult head brain 35F 0.767 / 35M 0.717,
5 y male chest liver 0.491; "—" (< 0.02) taken as 0.01. Uncertainty components of
``organ_models.ct_ncict`` (30 % in field, 100 % scatter level, 57.7 % uniform below 0.02,
20 % age, 10 % sex, 10 % male phantom for a girl, 15 % phantom conversion or assumed phantom,
10 % kV not tabulated) combined in quadrature.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import Estimate, EstimateQuantity, NotEstimatedReason
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent, DoseModality
from organ_models import EstimationSettings, Patient
from organ_models.common import Outcome
from organ_models.ct_ncict import MODEL, coefficient_phantom_cm, organ_doses_for_event
from organ_models.tables import ReferencePolicy, ReferenceRow
from tests.organ_models import builders as b

ADULT_M = Patient(age_years=40, sex="M")
NOT_IN_TABLE_MESSAGE = (
    "NCICT organ doses not estimated for bone surface (Table 1 gives 'shallow marrow'; no "
    "verified mapping to the endosteum); extrathoracic region; lymphatic nodes; oral mucosa "
    "(Table 1 gives the oral cavity): no organ dose per CTDIvol in NCICT 2015 Table 1"
)


def _outcome(event: CtIrradiationEvent, patient: Patient = ADULT_M) -> Outcome:
    report = b.report(DoseModality.CT, (event,))
    return organ_doses_for_event(event, report, patient, EstimationSettings())


def _organ(out: Outcome, meaning: str) -> Estimate:
    (e,) = [x for x in out.estimates if x.organ is not None and x.organ.meaning == meaning]
    assert e.model_id == MODEL.model_id == "ct.organ.ncict2015"
    assert e.quantity is EstimateQuantity.ORGAN_DOSE and e.event_uid == "1.1"
    assert e.value.unit == "mGy" and not e.indicative
    return e


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


def _refusals(out: Outcome) -> list[tuple[NotEstimatedReason, str]]:
    for r in out.refused:
        assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.ORGAN_DOSE
    return [(r.reason, r.message) for r in out.refused]


def _pct(*parts: float) -> float:
    return round(math.sqrt(sum(p * p for p in parts)), 1)


def test_adult_male_chest_record() -> None:
    out = _outcome(b.ct_event())
    marrow = _organ(out, "Bone marrow")
    assert marrow.value.value == pytest.approx(0.314 * 10.0)
    assert marrow.uncertainty_pct == 100.0  # scatter level: below half the scan's peak
    assert marrow.method == (
        "D = (D/CTDIvol) x CTDIvol = 0.314 x 10 mGy (NCICT 2015 Table 1, at the edge of or "
        "outside the scan: scatter level)"
    )
    (c,) = marrow.coefficients
    assert c.name == "D/CTDIvol Active marrow chest scan ICRP reference phantom adult male (35M)"
    assert (c.value, c.unit) == (0.314, "mGy/mGy")
    assert _inputs(marrow) == [
        ("ctdivol", 10.0, "mGy", "event CTDIvol", False),
        ("ctdi_phantom", 32.0, "cm", "CTDIw phantom of the event", False),
        ("ctdivol_used", 10.0, "mGy", "CTDIvol in the 32 cm phantom of the coefficients", False),
        ("kv", 120.0, "kV", "Table 1 is for 120 kVp (reported 120 kV)", False),
        ("region", None, None, "chest scan (target region code)", False),
        ("age", 40.0, "a", "unknown", False),
        ("age_band", None, None, "adult", False),
        ("sex", None, None, "M (unknown)", False),
        ("phantom", None, None, "ICRP reference phantom adult male (35M)", False),
    ]
    lung = _organ(out, "Lung")
    assert lung.method == (
        "D = (D/CTDIvol) x CTDIvol = 1.237 x 10 mGy (NCICT 2015 Table 1, in the scan)"
    )
    assert out.findings == []
    assert _refusals(out) == [(NotEstimatedReason.NO_COEFFICIENT, NOT_IN_TABLE_MESSAGE)]


def test_young_girl_chest_record() -> None:
    # 5 y: only the male phantom; head (16 cm) CTDIvol = the coefficients' phantom
    out = _outcome(b.ct_event(kv=None, head_phantom=True), Patient(age_years=5, sex="F"))
    liver = _organ(out, "Liver")
    assert liver.value.value == pytest.approx(0.491 * 10.0)
    assert liver.uncertainty_pct == _pct(100, 10, 10) == 101.0
    assert _inputs(liver)[2:4] == [
        ("ctdivol_used", 10.0, "mGy", "CTDIvol in the 16 cm phantom of the coefficients", False),
        ("kv", 120.0, "kV", "Table 1 is for 120 kVp (tube voltage not reported)", True),
    ]
    assert _inputs(liver)[-1] == (
        "phantom",
        None,
        None,
        "ICRP reference phantom 5 y male",
        False,
    )
    assert [(f.code, f.message) for f in out.findings] == [
        (
            FindingCode.MODEL_DEFAULT_ASSUMED,
            "NCICT organ doses: only the male phantom is tabulated at age band 5y "
            "(male phantom used)",
        )
    ]
    assert _refusals(out) == [
        (
            NotEstimatedReason.NO_COEFFICIENT,
            "NCICT organ doses: no ovaries, uterus coefficient in age band 5y (NCICT 2015 "
            "Table 1 tabulates only the male phantom at that age)",
        ),
        (NotEstimatedReason.NO_COEFFICIENT, NOT_IN_TABLE_MESSAGE),
    ]


def test_unknown_adult_head_in_a_body_phantom_record() -> None:
    # CTDIvol 10 (32 cm) -> 20 in the 16 cm phantom of the head coefficients
    out = _outcome(b.ct_event(region=b.HEAD), Patient())
    brain = _organ(out, "Brain")
    assert brain.value.value == pytest.approx((0.767 + 0.717) / 2 * 20.0)
    assert brain.uncertainty_pct == _pct(30, 20, 10, 15) == 40.3
    assert brain.method == (
        "D = (D/CTDIvol) x CTDIvol = 0.742 x 20 mGy (NCICT 2015 Table 1, in the scan; mean "
        "of 2 phantoms)"
    )
    assert [c.name for c in brain.coefficients] == [
        "D/CTDIvol Brain head scan ICRP reference phantom adult female (35F)",
        "D/CTDIvol Brain head scan ICRP reference phantom adult male (35M)",
    ]
    assert _inputs(brain)[2] == (
        "ctdivol_used",
        20.0,
        "mGy",
        "CTDIvol in the 16 cm phantom of the coefficients, converted from the 32 cm value",
        False,
    )
    assert _inputs(brain)[5:] == [
        ("age", None, None, "unknown: adult reference person assumed", True),
        ("age_band", None, None, "adult", True),
        ("sex", None, None, "unknown: sex-averaged coefficients", True),
        ("phantom", None, None, "ICRP reference phantom adult female (35F)", False),
        ("phantom", None, None, "ICRP reference phantom adult male (35M)", False),
    ]
    testis = _organ(out, "Testis")
    # "—" in Table 1: 0.01, scatter level and the uniform spread
    assert testis.value.value == pytest.approx(0.01 * 20.0)
    assert testis.uncertainty_pct == _pct(100, 20, 10, 15, 57.7) == 118.6
    assert testis.method == (
        "D = (D/CTDIvol) x CTDIvol = 0.01 x 20 mGy (NCICT 2015 Table 1, at the edge of or "
        "outside the scan: scatter level; Table 1 prints '—' (below 0.02): 0.01 used, uniform "
        "on 0-0.02)"
    )
    assert _refusals(out) == [(NotEstimatedReason.NO_COEFFICIENT, NOT_IN_TABLE_MESSAGE)]


def test_unreported_phantom_is_stated() -> None:
    out = _outcome(dataclasses.replace(b.ct_event(), ctdiw_phantom_type=None))
    marrow = _organ(out, "Bone marrow")
    assert marrow.uncertainty_pct == _pct(100, 15) == 101.1
    assert _inputs(marrow)[1] == ("ctdi_phantom", 32.0, "cm", "CTDIw phantom not reported", True)


@pytest.mark.parametrize(
    ("event", "reason", "message"),
    [
        (
            b.ct_event(region=None, protocol="Neck"),
            NotEstimatedReason.NO_COEFFICIENT,
            "NCICT organ doses: no organ dose per CTDIvol for a neck scan (NCICT 2015 Table 1 "
            "covers head, chest, abdomen-pelvis and chest-abdomen-pelvis scans only)",
        ),
        (
            b.ct_event(region=None, protocol="foo"),
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "NCICT organ doses: body region unknown",
        ),
        (
            dataclasses.replace(b.ct_event(), ctdivol=None),
            NotEstimatedReason.MISSING_INPUT,
            "NCICT organ doses: no CTDIvol in the event",
        ),
    ],
)
def test_refusals_are_exact(
    event: CtIrradiationEvent, reason: NotEstimatedReason, message: str
) -> None:
    out = _outcome(event)
    assert out.estimates == [] and out.findings == []
    assert _refusals(out) == [(reason, message)]


def test_coefficient_phantom_by_age_band_and_region() -> None:
    # Table 1 caption: 32 cm only for the adult body; 16 cm for the adult head and children
    assert coefficient_phantom_cm("adult", BodyRegion.CHEST) == 32
    assert coefficient_phantom_cm("adult", BodyRegion.HEAD) == 16
    assert coefficient_phantom_cm("15y", BodyRegion.CHEST) == 16


def test_a_5_year_old_boys_oesophagus_is_in_the_field_of_his_own_phantom() -> None:
    # Table 1 chest scan, 5 y male: oesophagus 0.779 >= half of the scan's largest (thyroid
    # 1.070) -> in the field (30 %); the peak is that of the phantom used, not of others
    # (the adult male's 1.661 would put it at scatter level)
    out = _outcome(b.ct_event(head_phantom=True), Patient(age_years=5, sex="M"))
    oesophagus = _organ(out, "Esophagus")
    assert oesophagus.value.value == pytest.approx(0.779 * 10.0)
    assert oesophagus.uncertainty_pct == 30.0
    assert "in the scan" in oesophagus.method


def test_an_organ_whose_row_is_refused_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from organ_models import ct_ncict

    real = ct_ncict._coefficient

    def refuse_marrow(row: ReferenceRow, policy: ReferencePolicy) -> float | None:
        if row.get("exam_or_organ").endswith("| Active marrow"):
            return None
        return real(row, policy)

    monkeypatch.setattr(ct_ncict, "_coefficient", refuse_marrow)
    out = _outcome(b.ct_event())
    organs = {e.organ.meaning for e in out.estimates if e.organ is not None}
    assert "Bone marrow" not in organs
    # Active marrow is the first Table 1 organ: every other one is still estimated
    assert len(organs) == 27 and {"Lung", "Thyroid", "Testis"} <= organs
