"""CT organ doses korg x DLP / h x CTDIvol: full records and exact refusals (#15).

korg: AJR Am J Roentgenol 2020 (PMC7393764) Table 4 (DLP-normalised organ doses by BMI
class): chest lungs male/female normal weight 0.028/0.034, obese I 0.023/0.026; chest thyroid
male normal 0.033; head brain male 0.048; abdomen-pelvis liver male normal 0.023, obese I
0.017; abdomen-pelvis adrenals (normal weight only) male 0.021. Size fit of the lungs in chest
CT (Li 2012 / Turner 2011): h = 4.04 exp(-0.035 d). Children, chest scan: Lee et al. Med Phys
2012;39:2129 Table IV, h (organ dose per CTDIvol), 5 y thyroid 1.0 / 0.991 / 0.991 at
80 / 100 / 120 kV, 5 y brain 0.021 at 120 kV. Uncertainty components of
``organ_models.ct_organs``: 35 % korg in the field, 100 % at the edge or outside, 30 % size
fit, 20 % size class assumed, 10 % sex unknown, 15 % phantom conversion or Dw for a
geometric diameter, 20 % Lee phantom.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import Estimate, EstimateQuantity, NotEstimatedReason
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import CtIrradiationEvent, DoseModality
from organ_models import EstimationSettings, Patient
from organ_models.common import Outcome
from organ_models.ct_organs import MODEL, bmi_class, organ_doses_for_event
from organ_models.tables import ReferenceRow
from tests.organ_models import builders as b

ADULT_M = Patient(age_years=40, sex="M")


def _outcome(event: CtIrradiationEvent, patient: Patient = ADULT_M) -> Outcome:
    report = b.report(DoseModality.CT, (event,))
    return organ_doses_for_event(event, report, patient, EstimationSettings())


def _organs(out: Outcome) -> dict[str, Estimate]:
    found: dict[str, Estimate] = {}
    for e in out.estimates:
        assert e.model_id == MODEL.model_id == "ct.organ.korg_h"
        assert e.quantity is EstimateQuantity.ORGAN_DOSE and e.event_uid == "1.1"
        assert e.value.unit == "mGy" and e.organ is not None
        assert e.organ.meaning not in found
        found[e.organ.meaning] = e
    return found


def _inputs(e: Estimate) -> list[tuple[str, float | None, str | None, bool]]:
    return [
        (i.name, None if i.quantity is None else i.quantity.value, i.text, i.assumed)
        for i in e.inputs
    ]


def _pct(*parts: float) -> float:
    return round(math.sqrt(sum(p * p for p in parts)), 1)


CHEST_ORGANS = {
    "Adrenal gland", "Breast", "Heart", "Kidney", "Liver", "Lung", "Spleen", "Stomach",
    "Thymus", "Thyroid",
}  # fmt: skip


def test_adult_male_chest_record() -> None:
    out = _outcome(b.ct_event())
    organs = _organs(out)
    assert set(organs) == CHEST_ORGANS
    lung = organs["Lung"]
    assert lung.value.value == pytest.approx(0.028 * 500.0)
    assert lung.uncertainty_pct == _pct(35, 20) == 40.3  # in the field; BMI unknown
    assert lung.method == "D = korg x DLP = 0.028 mGy/(mGy.cm) x 500 mGy.cm"
    assert [(c.name, c.value) for c in lung.coefficients] == [
        ("korg lungs male adult_normal_weight", 0.028)
    ]
    assert lung.coefficients[0].source.startswith("AJR Am J Roentgenol (2020) PMC7393764")
    assert _inputs(lung) == [
        ("dlp", 500.0, "event DLP", False),
        ("dlp_used", 500.0, "32 cm phantom", False),
        ("region", None, "chest (target region code)", False),
        ("size_class", None, "adult_normal_weight", True),
        ("age", 40.0, "unknown", False),
        ("sex", None, "M (unknown)", False),
    ]
    thyroid = organs["Thyroid"]
    assert thyroid.value.value == pytest.approx(0.033 * 500.0)
    assert thyroid.uncertainty_pct == _pct(100, 20) == 102.0  # outside the chest scan
    assert out.refused == [] and out.findings == []


def test_female_chest_takes_the_female_korg() -> None:
    lung = _organs(_outcome(b.ct_event(), Patient(age_years=40, sex="F")))["Lung"]
    assert lung.value.value == pytest.approx(0.034 * 500.0)
    assert [c.name for c in lung.coefficients] == ["korg lungs female adult_normal_weight"]


def test_obese_patient_of_unknown_sex_in_a_head_phantom() -> None:
    # BMI 90 / 1.7^2 = 31.1 -> obese I; sex unknown -> mean of 0.023 and 0.026;
    # DLP of the 16 cm phantom -> 0.5 x 500 in the 32 cm phantom of the chest korg
    patient = Patient(age_years=40, weight_kg=90, height_cm=170)
    lung = _organs(_outcome(b.ct_event(head_phantom=True), patient))["Lung"]
    assert lung.value.value == pytest.approx((0.023 + 0.026) / 2 * 250.0)
    assert lung.uncertainty_pct == _pct(35, 15, 10) == 39.4
    assert lung.method == "D = korg x DLP = 0.0245 mGy/(mGy.cm) x 250 mGy.cm"
    assert [c.name for c in lung.coefficients] == [
        "korg lungs male adult_obese_I",
        "korg lungs female adult_obese_I",
    ]
    assert _inputs(lung)[1] == ("dlp_used", 250.0, "32 cm phantom", False)
    assert _inputs(lung)[3] == ("size_class", None, "adult_obese_I", False)
    assert _inputs(lung)[6:] == [
        ("weight", 90.0, "unknown", False),
        ("height", 170.0, "unknown", False),
    ]


def test_adult_head_in_a_body_phantom_record() -> None:
    out = _outcome(b.ct_event(region=b.HEAD))
    organs = _organs(out)
    assert set(organs) == {"Bone marrow", "Brain", "Lens", "Salivary gland"}
    brain = organs["Brain"]
    assert brain.value.value == pytest.approx(0.048 * 1000.0)  # DLP_16 = 2 x DLP_32
    assert brain.uncertainty_pct == _pct(35, 15, 20) == 43.0
    assert _inputs(brain)[:2] == [
        ("dlp", 500.0, "event DLP", False),
        ("dlp_used", 1000.0, "16 cm phantom", False),
    ]
    assert [(r.event_uid, r.reason, r.message, r.quantity) for r in out.refused] == [
        (
            "1.1",
            NotEstimatedReason.NO_ORGAN_CODE,
            "organ dose extrathoracic_region: no SCT code",
            EstimateQuantity.ORGAN_DOSE,
        )
    ]


def test_adult_head_in_the_head_phantom_is_not_converted() -> None:
    brain = _organs(_outcome(b.ct_event(region=b.HEAD, head_phantom=True)))["Brain"]
    assert brain.value.value == pytest.approx(0.048 * 500.0)
    assert brain.uncertainty_pct == _pct(35, 20)


def test_abdomen_of_an_obese_man() -> None:
    # BMI 31.1 -> obese I: liver 0.017; adrenals tabulated for normal weight only (0.021)
    organs = _organs(
        _outcome(
            b.ct_event(region=b.ABDOMEN_SRT),
            Patient(age_years=40, sex="M", weight_kg=90, height_cm=170),
        )
    )
    assert set(organs) == {"Adrenal gland", "Liver", "Spleen"}
    assert organs["Liver"].value.value == pytest.approx(0.017 * 500.0)
    assert organs["Liver"].uncertainty_pct == 35.0
    adrenals = organs["Adrenal gland"]
    assert adrenals.value.value == pytest.approx(0.021 * 500.0)
    assert [c.name for c in adrenals.coefficients] == ["korg adrenals male adult_normal_weight"]


def test_a_bmi_class_without_korg_falls_back_to_normal_weight() -> None:
    # BMI 130 / 1.7^2 = 45 -> obese III, not tabulated for abdomen-pelvis: normal weight
    patient = Patient(age_years=40, sex="M", weight_kg=130, height_cm=170)
    liver = _organs(_outcome(b.ct_event(region=b.ABDOMEN_SRT), patient))["Liver"]
    assert liver.value.value == pytest.approx(0.023 * 500.0)
    assert liver.uncertainty_pct == _pct(35, 20)
    assert _inputs(liver)[3] == ("size_class", None, "adult_normal_weight", True)


def test_lung_size_fit_from_the_effective_diameter() -> None:
    # h = 4.04 exp(-0.035 x 30) = 1.414; D = h x CTDIvol 10 mGy
    organs = _organs(_outcome(b.ct_event(deff_mm=300)))
    assert set(organs) == CHEST_ORGANS  # the fitted lungs replace the korg lungs only
    lung = organs["Lung"]
    assert lung.value.value == pytest.approx(4.04 * math.exp(-0.035 * 30.0) * 10.0)
    assert lung.uncertainty_pct == 30.0 and not lung.upper_bound
    assert lung.method == "D = A*exp(-B*size) x CTDIvol = 1.414 x 10 mGy"
    assert [(c.name, c.value, c.unit) for c in lung.coefficients] == [
        ("size fit A (lung)", 4.04, "mGy/mGy"),
        ("size fit B (lung)", 0.035, "1/cm"),
    ]
    assert _inputs(lung) == [
        ("ctdivol", 10.0, "32 cm phantom", False),
        ("size", 30.0, "average_chest_diameter_cm; from effective diameter (RDSR)", False),
        ("age", 40.0, "unknown", False),
        ("sex", None, "M (unknown)", False),
    ]


def test_lung_size_fit_above_30_cm_from_dw_is_an_upper_estimate() -> None:
    lung = _organs(_outcome(b.ct_event(dw_mm=310)))["Lung"]
    assert lung.value.value == pytest.approx(4.04 * math.exp(-0.035 * 31.0) * 10.0)
    assert lung.uncertainty_pct == _pct(30, 15) == 33.5 and lung.upper_bound
    assert lung.method == (
        "D = A*exp(-B*size) x CTDIvol = 1.365 x 10 mGy (fit above 30 cm: upper estimate)"
    )
    assert _inputs(lung)[1] == (
        "size",
        31.0,
        "average_chest_diameter_cm; from water-equivalent diameter used for a geometric one",
        False,
    )


def test_the_effective_diameter_wins_over_dw() -> None:
    lung = _organs(_outcome(b.ct_event(deff_mm=300, dw_mm=250)))["Lung"]
    assert lung.value.value == pytest.approx(4.04 * math.exp(-0.035 * 30.0) * 10.0)


def test_no_size_fit_without_ctdivol() -> None:
    # the DLP route stays: korg x DLP for the lungs
    event = dataclasses.replace(b.ct_event(deff_mm=300), ctdivol=None)
    lung = _organs(_outcome(event))["Lung"]
    assert lung.value.value == pytest.approx(0.028 * 500.0)


def test_a_head_diameter_has_no_size_fit() -> None:
    brain = _organs(_outcome(b.ct_event(region=b.HEAD, head_phantom=True, deff_mm=160)))["Brain"]
    assert brain.method.startswith("D = korg x DLP")


def test_derived_dlp_carries_its_finding() -> None:
    event = dataclasses.replace(b.ct_event(), dlp=None, scanning_length=b.q(300, "mm"))
    lung = _organs(_outcome(event))["Lung"]
    assert lung.value.value == pytest.approx(0.028 * 300.0)
    assert [f.code for f in lung.findings] == [FindingCode.MODEL_DLP_DERIVED]


def test_child_chest_record() -> None:
    out = _outcome(b.ct_event(kv=None), Patient(age_years=5, sex="F"))
    organs = _organs(out)
    assert set(organs) == {
        "Brain", "Eyeball", "Lens", "Oral cavity", "Pituitary", "Salivary gland",
        "Spinal cord", "Thyroid",
    }  # fmt: skip
    brain = organs["Brain"]
    assert brain.value.value == pytest.approx(0.021 * 10.0)
    assert brain.uncertainty_pct == _pct(100, 20) == 102.0
    assert brain.method == (
        "D = h x CTDIvol = 0.021 x 10 mGy (organ at the edge of or outside a chest scan: "
        "scatter-level dose)"
    )
    assert [c.name for c in brain.coefficients] == ["h brain 5y 120 kV both"]
    assert brain.coefficients[0].source.startswith("Lee C et al. Med Phys 2012")
    assert _inputs(brain) == [
        ("ctdivol", 10.0, "phantom as reported; Lee 2012 convention not recorded", False),
        ("age", 5.0, "unknown", False),
        ("age_band", None, "5y", False),
        ("sex", None, "F (unknown)", False),
        ("kv", 120.0, "tube voltage not reported", True),
    ]
    assert out.refused == []


def test_child_chest_at_80_kv() -> None:
    thyroid = _organs(_outcome(b.ct_event(kv=80.0), Patient(age_years=5)))["Thyroid"]
    assert thyroid.value.value == pytest.approx(1.0 * 10.0)
    assert [c.name for c in thyroid.coefficients] == ["h thyroid 5y 80 kV both"]
    assert _inputs(thyroid)[-1] == ("kv", 80.0, "nearest tabulated; reported 80 kV", False)


@pytest.mark.parametrize(
    ("event", "patient", "reason", "message"),
    [
        (
            b.ct_event(region=None, protocol="foo"),
            ADULT_M,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "organ doses: body region unknown",
        ),
        (
            b.ct_event(region=None, protocol="Neck"),
            ADULT_M,
            NotEstimatedReason.NO_COEFFICIENT,
            "organ doses: no adult organ coefficients for region neck (tables cover head, "
            "chest and abdomen-pelvis scans)",
        ),
        (
            b.ct_event(region=b.HEAD),
            Patient(age_years=5),
            NotEstimatedReason.NO_COEFFICIENT,
            "organ doses: no paediatric coefficients for region head in the reference data "
            "(only chest-scan organs outside the field, Lee 2012)",
        ),
        (
            dataclasses.replace(b.ct_event(), dlp=None),
            ADULT_M,
            NotEstimatedReason.MISSING_INPUT,
            "organ doses: no DLP",
        ),
        (
            dataclasses.replace(b.ct_event(), ctdivol=None),
            Patient(age_years=5),
            NotEstimatedReason.MISSING_INPUT,
            "organ doses: no CTDIvol",
        ),
    ],
)
def test_refusals_are_exact(
    event: CtIrradiationEvent, patient: Patient, reason: NotEstimatedReason, message: str
) -> None:
    out = _outcome(event, patient)
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.ORGAN_DOSE
    assert (r.reason, r.message) == (reason, message)


@pytest.mark.parametrize(
    ("bmi", "label"),
    [
        (None, None),
        (24.99, "adult_normal_weight"),
        (25.0, "adult_overweight"),
        (29.99, "adult_overweight"),
        (30.0, "adult_obese_I"),
        (34.99, "adult_obese_I"),
        (35.0, "adult_obese_II"),
        (39.99, "adult_obese_II"),
        (40.0, "adult_obese_III"),
    ],
)
def test_bmi_classes(bmi: float | None, label: str | None) -> None:
    # WHO BMI classes (kg/m2): < 25 normal, 25-30 overweight, 30-35 / 35-40 / >= 40 obese I-III
    assert bmi_class(bmi) == label


def test_a_child_band_without_h_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from organ_models import ct_organs
    from organ_models.tables import load_table

    real = load_table("ct_organ_dose_coefficients")
    no_5y = dataclasses.replace(
        real, rows=tuple(r for r in real.rows if r.get("age_or_size_class") != "5y")
    )
    monkeypatch.setattr(ct_organs, "load_table", lambda name: no_5y)
    out = _outcome(b.ct_event(kv=100.0), Patient(age_years=5))
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.ORGAN_DOSE
    assert (r.reason, r.message) == (
        NotEstimatedReason.NO_COEFFICIENT,
        "organ doses: no paediatric chest coefficients for 5y 100 kV",
    )


def test_a_child_organ_without_a_code_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from organ_models import ct_organs
    from organ_models.organs import organ_code as real

    monkeypatch.setattr(ct_organs, "organ_code", lambda key: None if key == "brain" else real(key))
    out = _outcome(b.ct_event(), Patient(age_years=5))
    assert "Brain" not in _organs(out) and "Thyroid" in _organs(out)
    (r,) = out.refused
    assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.ORGAN_DOSE
    assert (r.reason, r.message) == (
        NotEstimatedReason.NO_ORGAN_CODE,
        "organ dose brain: no SCT code",
    )


def test_a_childs_sex_selects_sex_specific_h_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # fixture, not a source: Lee 2012 Table IV gives "both" for the 5 y thyroid (0.991 at
    # 120 kV); split here into male 0.9 / female 1.1 to check the selection by sex
    from organ_models import ct_organs
    from organ_models.tables import load_table

    real = load_table("ct_organ_dose_coefficients")

    def split(row: ReferenceRow) -> tuple[ReferenceRow, ...]:
        key = (row.get("record_type"), row.get("organ"), row.get("age_or_size_class"))
        if key != ("h_CTDIvol_normalised", "thyroid", "5y") or row.get("kvp_kV") != "120":
            return (row,)
        return tuple(
            dataclasses.replace(row, fields={**row.fields, "sex": sex}, value=value)
            for sex, value in (("male", 0.9), ("female", 1.1))
        )

    table = dataclasses.replace(real, rows=tuple(x for r in real.rows for x in split(r)))
    monkeypatch.setattr(ct_organs, "load_table", lambda name: table)
    for sex, h, names in (
        ("M", 0.9, ["h thyroid 5y 120 kV male"]),
        ("F", 1.1, ["h thyroid 5y 120 kV female"]),
        (None, 1.0, ["h thyroid 5y 120 kV male", "h thyroid 5y 120 kV female"]),
    ):
        thyroid = _organs(_outcome(b.ct_event(), Patient(age_years=5, sex=sex)))["Thyroid"]
        assert thyroid.value.value == pytest.approx(h * 10.0), sex
        assert [c.name for c in thyroid.coefficients] == names
    # rows of "both" sexes are kept for a child of known sex
    brain = _organs(_outcome(b.ct_event(), Patient(age_years=5, sex="M")))["Brain"]
    assert brain.value.value == pytest.approx(0.021 * 10.0)
