"""NCICT 2015 CT organ doses (issue #13 coverage), pinned to Lee et al., J Radiol Prot
2015;35:891, Table 1 (organ absorbed dose per CTDIvol, 120 kVp, ICRP reference phantoms;
CTDIvol in the 16 cm phantom for children and the adult head, 32 cm for the adult body)."""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateQuantity,
    NotEstimated,
    NotEstimatedReason,
    Verification,
    WeightBasis,
)
from dosewatch.domain.report import DoseModality
from organ_models import EstimationResult, Patient, estimate_with_reasons
from organ_models.ct_ncict import MODEL, NOT_IN_TABLE, _coefficient
from organ_models.organs import TISSUE_CODES, Code
from organ_models.tables import ReferencePolicy, ReferenceRow, load_table
from organ_models.tissue_weights import tissue_weights
from tests.organ_models import builders as b

ORGAN = EstimateQuantity.ORGAN_DOSE
NECK = Code("45048000", "SCT", "Neck")
HEART = Code("80891009", "SCT", "Heart")
CAP = Code("416775004", "SCT", "Chest, Abdomen and Pelvis")

ADULT_M = Patient(age_years=40, sex="M")
ADULT_F = Patient(age_years=40, sex="F")


def _run(patient: Patient, **event: object) -> EstimationResult:
    return estimate_with_reasons(b.report(DoseModality.CT, (b.ct_event(**event),)), patient)  # type: ignore[arg-type]


def _ncict(result: EstimationResult) -> dict[str, Estimate]:
    """NCICT estimates by tissue key (the test fails if one organ appears twice)."""
    keys = {code.value: key for key, code in TISSUE_CODES.items()}
    out: dict[str, Estimate] = {}
    for e in result.estimates:
        if e.model_id == MODEL.model_id:
            assert e.organ is not None and e.quantity is ORGAN
            key = keys[e.organ.value]
            assert key not in out, key
            out[key] = e
    return out


def _ncict_refusals(result: EstimationResult) -> list[NotEstimated]:
    return [r for r in result.not_estimated if r.message.startswith("NCICT")]


def test_adult_male_chest_uses_the_35m_phantom_at_32_cm() -> None:
    # Table 1(b) chest scans, 35 M, per CTDIvol (32 cm): thyroid 1.661, lungs 1.237,
    # breast 1.160, heart wall 1.289
    organs = _ncict(_run(ADULT_M, ctdivol=10.0))
    assert organs["thyroid"].value.value == pytest.approx(16.61)
    assert organs["lung"].value.value == pytest.approx(12.37)
    assert organs["breast"].value.value == pytest.approx(11.60)
    assert organs["heart"].value.value == pytest.approx(12.89)
    lung = organs["lung"]
    assert lung.value.unit == "mGy"
    # in the field, every input reported: the 30 % of the model, nothing added
    assert lung.uncertainty_pct == pytest.approx(30.0)
    (c,) = lung.coefficients
    assert c.value == pytest.approx(1.237)
    assert c.verification is Verification.VERIFIED
    assert "J Radiol Prot 2015;35:891, Table 1" in c.source
    assert c.locator.startswith("organ_models/data/ct_organ_dose_per_ctdivol_ncict2015.csv row")
    assert "ct_organ_dose_per_ctdivol_ncict2015@" in lung.table_version
    phantoms = [i.text for i in lung.inputs if i.name == "phantom"]
    assert phantoms == ["ICRP reference phantom adult male (35M)"]
    # a man has no ovaries nor uterus
    assert "ovary" not in organs and "uterus_cervix" not in organs
    assert organs["testis"].value.value == pytest.approx(0.1)  # "—" (< 0.02) in Table 1


def test_adult_female_head_uses_the_35f_phantom_at_16_cm() -> None:
    # Table 1(a) head scans, 35 F: brain 0.767, lens 0.863 per CTDIvol (16 cm)
    organs = _ncict(_run(ADULT_F, ctdivol=50.0, region=b.HEAD, head_phantom=True))
    assert organs["brain"].value.value == pytest.approx(38.35)
    assert organs["lens_of_eye"].value.value == pytest.approx(43.15)
    assert "testis" not in organs and "prostate" not in organs


def test_unknown_sex_is_the_mean_of_both_adult_phantoms() -> None:
    # chest lungs 35 F 1.494, 35 M 1.237 -> 1.3655; sex-specific organs from their phantom
    organs = _ncict(_run(Patient(age_years=40), ctdivol=10.0))
    lungs = organs["lung"]
    assert lungs.value.value == pytest.approx(13.655)
    assert len(lungs.coefficients) == 2
    assert lungs.uncertainty_pct > 30.0  # sex default added
    assert {"testis", "ovary", "prostate", "uterus_cervix"} <= set(organs)
    assert len(organs["ovary"].coefficients) == 1


def test_child_phantom_by_age_and_body_ctdivol_brought_to_16_cm() -> None:
    # 5 y male, chest: thyroid 1.070 per CTDIvol(16 cm); the event's 32 cm CTDIvol is x2
    organs = _ncict(_run(Patient(age_years=6, sex="M"), ctdivol=4.0))
    thyroid = organs["thyroid"]
    assert thyroid.value.value == pytest.approx(1.070 * 8.0)
    used = thyroid.input("ctdivol_used")
    assert used is not None and used.quantity is not None and used.quantity.value == 8.0
    # newborn head: brain 1.049 (16 cm CTDIvol reported: no conversion)
    newborn = _ncict(
        _run(Patient(age_years=0.2, sex="M"), ctdivol=20.0, region=b.HEAD, head_phantom=True)
    )
    assert newborn["brain"].value.value == pytest.approx(20.98)
    # 10 y male (age 12): abdomen-pelvis liver 0.793
    ten = _ncict(_run(Patient(age_years=12, sex="M"), ctdivol=5.0, region=b.ABDOMEN_SRT))
    assert ten["liver"].value.value == pytest.approx(0.793 * 10.0)
    # 15 y female: abdomen-pelvis ovaries 0.537, uterus 0.467
    girl15 = _ncict(_run(Patient(age_years=16, sex="F"), ctdivol=5.0, region=b.ABDOMEN_SRT))
    assert girl15["ovary"].value.value == pytest.approx(0.537 * 10.0)
    assert girl15["uterus_cervix"].value.value == pytest.approx(0.467 * 10.0)


def test_young_girl_gets_the_male_phantom_and_no_ovary_dose() -> None:
    result = _run(Patient(age_years=6, sex="F"), ctdivol=5.0, region=b.ABDOMEN_SRT)
    organs = _ncict(result)
    # 5 y male phantom, abdomen-pelvis: liver 0.912 per CTDIvol(16 cm)
    assert organs["liver"].value.value == pytest.approx(0.912 * 10.0)
    assert not {"ovary", "uterus_cervix", "testis", "prostate"} & set(organs)
    messages = " ".join(r.message for r in _ncict_refusals(result))
    assert "no ovaries, uterus coefficient in age band 5y" in messages
    assert any("male phantom" in f.message for f in result.findings)


def test_out_of_field_organs_are_at_scatter_level_with_a_wide_uncertainty() -> None:
    # adult chest: brain "—" (< 0.02 per CTDIvol) -> 0.01 x CTDIvol, never above 0.02 x
    organs = _ncict(_run(ADULT_M, ctdivol=10.0))
    brain = organs["brain"]
    assert brain.value.value == pytest.approx(0.1)
    assert brain.value.value <= 0.02 * 10.0
    assert brain.uncertainty_pct >= 100.0
    assert "below 0.02" in brain.method
    # colon 0.108 (35 M chest): out of the field, scatter level, 100 %
    assert organs["colon"].value.value == pytest.approx(1.08)
    assert organs["colon"].uncertainty_pct == pytest.approx(100.0)
    assert "scatter" in organs["colon"].method


def test_every_icrp103_tissue_is_estimated_or_refused_by_name() -> None:
    result = _run(Patient(age_years=40), ctdivol=10.0, region=CAP)
    organs = _ncict(result)
    weights = tissue_weights(WeightBasis.ICRP103)
    wanted = {k for k in weights.named if k != "gonads"} | set(weights.remainder_members)
    wanted |= {"testis", "ovary"}
    refused = " ".join(r.message for r in _ncict_refusals(result))
    names = {
        "bone_surface": "bone surface",
        "extrathoracic_region": "extrathoracic region",
        "lymphatic_nodes": "lymphatic nodes",
        "oral_mucosa": "oral mucosa",
    }
    for tissue in wanted - set(organs):
        assert names[tissue] in refused, tissue
    assert len(wanted & set(organs)) == len(wanted) - len(NOT_IN_TABLE)
    # CAP colon: 35 F 1.625, 35 M 1.509
    assert organs["colon"].value.value == pytest.approx((1.625 + 1.509) / 2 * 10.0)


@pytest.mark.parametrize(
    ("region", "protocol", "says"),
    [
        (NECK, None, "neck scan"),
        (HEART, None, "cardiac scan"),
        (None, "GENOU DROIT", "extremity scan"),
    ],
)
def test_regions_without_ncict_coefficients_are_refused(
    region: Code | None, protocol: str | None, says: str
) -> None:
    result = _run(ADULT_M, region=region, protocol=protocol)
    assert not _ncict(result)
    (refusal,) = _ncict_refusals(result)
    assert refusal.reason is NotEstimatedReason.NO_COEFFICIENT
    assert says in refusal.message and "NCICT 2015 Table 1 covers head, chest" in refusal.message


def test_no_ctdivol_is_refused() -> None:
    event = dataclasses.replace(b.ct_event(), ctdivol=None)
    result = estimate_with_reasons(b.report(DoseModality.CT, (event,)), ADULT_M)
    assert not _ncict(result)
    assert any(
        r.reason is NotEstimatedReason.MISSING_INPUT and "no CTDIvol" in r.message
        for r in _ncict_refusals(result)
    )


def test_defaults_widen_the_uncertainty() -> None:
    reported = _ncict(_run(ADULT_M, ctdivol=10.0))["lung"].uncertainty_pct
    at_80_kv = _ncict(_run(ADULT_M, ctdivol=10.0, kv=80.0))["lung"]
    assert at_80_kv.uncertainty_pct == pytest.approx(31.6)  # 30 (+) 10 kV not tabulated
    assert reported == pytest.approx(30.0)
    no_age = _ncict(_run(Patient(sex="M"), ctdivol=10.0))["lung"]
    assert no_age.uncertainty_pct == pytest.approx(36.1)  # 30 (+) 20 age assumed
    assert no_age.value.value == pytest.approx(12.37)  # adult phantom assumed


def test_unverified_rows_are_refused() -> None:
    row = load_table("ct_organ_dose_per_ctdivol_ncict2015").rows[0]
    unverified = ReferenceRow(
        table=row.table,
        row_number=row.row_number,
        fields=row.fields,
        value=row.value,
        unit=row.unit,
        source=row.source,
        verification=Verification.UNVERIFIED_RECALL,
    )
    assert _coefficient(row, ReferencePolicy()) == pytest.approx(1.049)
    assert _coefficient(unverified, ReferencePolicy()) is None
    assert _coefficient(unverified, ReferencePolicy(allow_indicative=True)) == pytest.approx(1.049)


def test_ctdi_phantom_conversions_and_defaults() -> None:
    # adult body coefficients are per CTDIvol(32 cm): a 16 cm value is halved
    halved = _ncict(_run(ADULT_M, ctdivol=10.0, head_phantom=True))["lung"]
    assert halved.value.value == pytest.approx(1.237 * 5.0)
    assert halved.uncertainty_pct == pytest.approx(33.5)  # 30 (+) 15 conversion
    # phantom not reported: 16 cm for a head scan (no conversion for an adult head)
    event = dataclasses.replace(b.ct_event(ctdivol=40.0, region=b.HEAD), ctdiw_phantom_type=None)
    result = estimate_with_reasons(b.report(DoseModality.CT, (event,)), ADULT_M)
    brain = _ncict(result)["brain"]
    assert brain.value.value == pytest.approx(0.717 * 40.0)  # 35 M head brain
    phantom = brain.input("ctdi_phantom")
    assert phantom is not None and phantom.assumed
    assert phantom.quantity is not None and phantom.quantity.value == 16.0
    assert brain.uncertainty_pct == pytest.approx(33.5)  # 30 (+) 15 phantom assumed
    # ... and 32 cm for a body scan
    body = dataclasses.replace(b.ct_event(ctdivol=10.0), ctdiw_phantom_type=None)
    lungs = _ncict(estimate_with_reasons(b.report(DoseModality.CT, (body,)), ADULT_M))["lung"]
    assert lungs.value.value == pytest.approx(12.37)


@pytest.mark.parametrize(("kv", "pct"), [(120.0, 30.0), (130.0, 30.0), (131.0, 31.6)])
def test_kv_within_10_of_the_tabulated_120_adds_nothing(kv: float, pct: float) -> None:
    lung = _ncict(_run(ADULT_M, ctdivol=10.0, kv=kv))["lung"]
    assert lung.uncertainty_pct == pytest.approx(pct)
    item = lung.input("kv")
    assert item is not None and item.assumed is (pct > 30.0)
    unreported = _ncict(_run(ADULT_M, ctdivol=10.0, kv=None))["lung"]
    assert unreported.uncertainty_pct == pytest.approx(31.6)


def test_below_tabulated_spread_and_phantom_mean_are_stated() -> None:
    organs = _ncict(_run(Patient(age_years=40), ctdivol=10.0))
    brain = organs["brain"]  # "—" in both adult phantoms of a chest scan
    # 100 (scatter) (+) 57.7 (uniform on 0-0.02) (+) 10 (sex unknown)
    assert brain.uncertainty_pct == pytest.approx(115.9)
    assert "mean of 2 phantoms" in organs["lung"].method
    male = _ncict(_run(ADULT_M, ctdivol=10.0))["brain"]
    assert male.uncertainty_pct == pytest.approx(115.5)  # 100 (+) 57.7
    assert "mean of" not in male.method


def test_unknown_region_and_child_of_unknown_sex() -> None:
    unknown = _run(ADULT_M, region=None)
    (refusal,) = _ncict_refusals(unknown)
    assert refusal.reason is NotEstimatedReason.UNKNOWN_CONTEXT
    assert not _ncict(unknown)
    child = _run(Patient(age_years=6), ctdivol=5.0, region=b.ABDOMEN_SRT)
    organs = _ncict(child)
    # only the 5 y male phantom: testes 0.139 and prostate 0.216 per CTDIvol(16 cm)
    assert organs["testis"].value.value == pytest.approx(0.139 * 10.0)
    assert organs["prostate"].value.value == pytest.approx(0.216 * 10.0)
    assert "ovary" not in organs
    assert any("no ovaries, uterus coefficient" in r.message for r in _ncict_refusals(child))
