"""Issue #13 clinical corrections, each against a published value or a physical bound."""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
    WeightBasis,
)
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import DoseModality, OrganDose
from organ_models import EstimationResult, Patient, estimate_with_reasons
from organ_models.ct import region_from_text
from organ_models.organs import TISSUE_CODES
from organ_models.tissue_weights import effective_dose_from_organs, tissue_weights
from tests.organ_models import builders as b

E, ORGAN, PSD, SSDE = (
    EstimateQuantity.EFFECTIVE_DOSE,
    EstimateQuantity.ORGAN_DOSE,
    EstimateQuantity.PEAK_SKIN_DOSE,
    EstimateQuantity.SSDE,
)


def _of(
    result: EstimationResult, quantity: EstimateQuantity, model: str | None = None
) -> list[Estimate]:
    return [
        e
        for e in result.estimates
        if e.quantity is quantity and (model is None or e.model_id == model)
    ]


# ------------------------------------------------------------------ 1. fluoroscopy and age
def test_child_fluoroscopy_never_gets_adult_factors() -> None:
    # published paediatric E/KAP are 3-7x the adult ones (issue #13 item 1): a child's
    # cardiac catheterisation gets Karambatsakidou 2009 (1 y: 1.9 mSv/(Gy cm2), ICRP 60),
    # never the adult coronary factor (Brambilla 2017: 0.30, ICRP 103)
    report = b.report(
        DoseModality.FLUOROSCOPY, (b.projection_event(kap=5.0),), description="Coronarography"
    )
    adult = estimate_with_reasons(report, Patient(age_years=55))
    (e_adult,) = _of(adult, E)
    assert e_adult.value.value == pytest.approx(0.30 * 5.0)
    child = estimate_with_reasons(report, Patient(age_years=2))
    (e_child,) = _of(child, E)
    assert e_child.value.value == pytest.approx(1.9 * 5.0)
    assert e_child.value.value >= 3 * e_adult.value.value
    assert e_child.basis is WeightBasis.ICRP60
    # a non-cardiac paediatric procedure has no published factor: refused with the reason
    swallow = b.report(DoseModality.FLUOROSCOPY, (b.projection_event(kap=5.0),), description="TOGD")
    child_swallow = estimate_with_reasons(swallow, Patient(age_years=2))
    assert not _of(child_swallow, E)
    (why,) = [r for r in child_swallow.not_estimated if r.quantity is E]
    assert why.reason is NotEstimatedReason.NO_COEFFICIENT and "paediatric" in why.message


def test_pacemaker_in_rf_room_is_not_a_coronary_angiography() -> None:
    report = b.report(
        DoseModality.FLUOROSCOPY,
        (b.projection_event(kap=5.0),),
        description="Pose stimulateur cardiaque (pacemaker)",
    )
    result = estimate_with_reasons(report, Patient(age_years=80))
    assert not _of(result, E)
    (why,) = [r for r in result.not_estimated if r.quantity is E]
    assert why.reason is NotEstimatedReason.NO_COEFFICIENT
    assert "device implantation has no verified E/KAP" in why.message


# ------------------------------------------------------------------ 2. PSD upper bound
def test_psd_bound_is_between_1_7_and_2_4_times_kar() -> None:
    # issue #13 item 2: a defensible bound is ~1.7-2.4 x Ka,r; BSF_max 1.662 x
    # (mu_en/rho)_water/air,max 1.073 (Benmakhlouf et al. PMB 2011, via PySkinDose) = 1.78
    report = b.report(
        DoseModality.FLUOROSCOPY,
        (b.projection_event(dose_rp_gy=1.0), b.projection_event(uid="2.2", dose_rp_gy=0.5)),
        description="Coronarography",
    )
    (psd,) = _of(estimate_with_reasons(report, Patient(age_years=60)), PSD)
    assert psd.upper_bound
    ratio = psd.value.value_in("Gy") / 1.5
    assert 1.7 <= ratio <= 2.4
    assert ratio == pytest.approx(1.662 * 1.073, rel=1e-9)
    assert psd.uncertainty_pct == 0.0  # a bound, not a point with a spread
    assert all("README" not in c.source for c in psd.coefficients)
    assert "35 %" in psd.method  # what the bound omits is said


# ------------------------------------------------------------------ 5. head SSDE
def test_head_ssde_is_not_the_body_fit() -> None:
    # AAPM 293 (head) is not verified in the reference data; AAPM 204 is a body fit
    event = b.ct_event(region=b.HEAD, head_phantom=True, dw_mm=160.0)
    result = estimate_with_reasons(b.report(DoseModality.CT, (event,)))
    assert not _of(result, SSDE)
    assert any("AAPM Report 293" in r.message for r in result.not_estimated if r.quantity is SSDE)
    body = estimate_with_reasons(b.report(DoseModality.CT, (b.ct_event(dw_mm=300.0),)))
    (ssde,) = _of(body, SSDE)
    # AAPM 204 32 cm fit at 30 cm: 3.704369 exp(-0.03671937 x 30) = 1.233
    assert ssde.value.value == pytest.approx(10.0 * 3.704369 * 2.718281828 ** (-0.03671937 * 30))


# ------------------------------------------------------------------ 6. paediatric phantom
def test_paediatric_body_dlp_doubling_carries_the_doubt() -> None:
    # reference README section 2: paediatric k assume 16 cm, body DLP often 32 cm; the Lee
    # 2012 convention is not confirmed, so the x2 is a factor-2 doubt (>= 50 % uncertainty)
    report = b.report(DoseModality.CT, (b.ct_event(dlp=100.0),))
    result = estimate_with_reasons(report, Patient(age_years=5))
    (e,) = _of(result, E, "ct.effective.k_dlp")
    assert e.uncertainty_pct >= 50.0
    assert any(f.code == "model.phantom_convention_unconfirmed" for f in result.findings)
    k = e.coefficients[0].value
    assert e.value.value == pytest.approx(k * 200.0)  # DLP_16 = 2 x DLP_32 still applied


# ------------------------------------------------------------------ 7. cardiac k, kV > 120
def test_cardiac_ct_says_it_uses_the_chest_k() -> None:
    heart = b.ct_event(region=None, protocol="Coronary CTA")
    chest = b.ct_event(region=None, protocol="Thorax")
    r_heart = estimate_with_reasons(b.report(DoseModality.CT, (heart,)))
    r_chest = estimate_with_reasons(b.report(DoseModality.CT, (chest,)))
    (e_heart,) = _of(r_heart, E, "ct.effective.k_dlp")
    (e_chest,) = _of(r_chest, E, "ct.effective.k_dlp")
    assert e_heart.value.value == pytest.approx(e_chest.value.value)
    # published cardiac k ~25 % above chest: stated as uncertainty and a finding
    assert e_heart.uncertainty_pct > e_chest.uncertainty_pct
    assert any(f.code == "model.cardiac_chest_k" for f in r_heart.findings)


def test_kv_above_120_is_said() -> None:
    result = estimate_with_reasons(b.report(DoseModality.CT, (b.ct_event(kv=140.0),)))
    (e,) = _of(result, E, "ct.effective.k_dlp")
    plain = _of(estimate_with_reasons(b.report(DoseModality.CT, (b.ct_event(),))), E)[0]
    assert any(f.code == "model.kv_above_table" for f in result.findings)
    assert e.uncertainty_pct > plain.uncertainty_pct
    kv = e.input("kv")
    assert kv is not None and kv.quantity is not None and kv.quantity.value == 120.0
    assert kv.text is not None and "140" in kv.text


# ------------------------------------------------------------------ 8. French keywords
@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("TDM coude droit", BodyRegion.EXTREMITY),
        ("Scanner genou", BodyRegion.EXTREMITY),
        ("coupes fines thorax", BodyRegion.CHEST),
        ("capsule articulaire", None),
        ("TDM cou", BodyRegion.NECK),
        ("TAP injecte", BodyRegion.CHEST_ABDOMEN_PELVIS),
        ("CAP", BodyRegion.CHEST_ABDOMEN_PELVIS),
    ],
)
def test_whole_word_keywords(text: str, region: BodyRegion | None) -> None:
    assert region_from_text(text) == region


def test_elbow_ct_gets_no_neck_effective_dose() -> None:
    event = b.ct_event(region=None, protocol="TDM coude")
    result = estimate_with_reasons(b.report(DoseModality.CT, (event,)))
    assert not _of(result, E)
    # the E refusal of this very event, for the reason that the limb has no k row (AAPM 96
    # tabulates trunk and head regions only), not a refusal of anything else
    (refusal,) = [r for r in result.not_estimated if r.quantity is E]
    assert (refusal.event_uid, refusal.reason) == (
        event.irradiation_event_uid,
        NotEstimatedReason.NO_COEFFICIENT,
    )
    assert refusal.message == (
        "effective dose: ct_k_factors: no row for dataset=AAPM96_Shrimpton, "
        "icrp_wt_basis=ICRP60, body_region=extremity, age_group=adult"
    )


# ------------------------------------------------------------------ 9. NM bladder once
def test_nm_reported_bladder_counted_once() -> None:
    bladder = TISSUE_CODES["bladder"]
    doses = (OrganDose(bladder, None, b.q(12.0, "mGy"), reference_authority="ICRP 128"),)
    report = b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(organ_doses=doses),))
    result = estimate_with_reasons(report, Patient(age_years=50))
    bladders = [e for e in _of(result, ORGAN) if e.organ == bladder]
    # both values are kept (issue 7: keep both, mark the counted one); exactly one is the
    # reported one, and the finding names it as the counted value (the ledger's election,
    # tests/ledger/test_estimates.py, counts it once)
    (reported,) = [e for e in bladders if e.origin is EstimateOrigin.REPORTED]
    (modelled,) = [e for e in bladders if e.origin is EstimateOrigin.MODEL]
    assert reported.value.value == 12.0
    assert modelled.value.value == pytest.approx(0.13 * 100.0)  # ICRP 106 FDG 0.13 mGy/MBq
    assert any(f.code == "model.reported_organ_counted" for f in result.findings)
    # without a reported bladder dose the coefficient value (ICRP 106 FDG 0.13 mGy/MBq) counts
    alone = estimate_with_reasons(
        b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(),)), Patient(age_years=50)
    )
    (model,) = [e for e in _of(alone, ORGAN) if e.organ == bladder]
    assert model.origin is EstimateOrigin.MODEL
    assert model.value.value == pytest.approx(0.13 * 100.0)


# ------------------------------------------------------------------ 10. sex-averaged E
def test_icrp103_effective_dose_is_sex_averaged() -> None:
    # ICRP 103: E = sum w_T (H_T^M + H_T^F)/2; w_gonads = 0.08. 10 mGy to the testes only
    # gives 0.08 x 10 / 2 = 0.4 mSv (a sex-specific sum would say 0.8)
    keys = set(tissue_weights(WeightBasis.ICRP103).rows) | {"testis", "ovary"}
    doses = dict.fromkeys(keys, 0.0)
    doses["testis"] = 10.0
    doses.pop("gonads", None)
    for sex in ("M", "F", None):
        assert effective_dose_from_organs(doses, WeightBasis.ICRP103, sex) == pytest.approx(0.4)


def test_icrp103_male_and_female_phantoms_are_averaged() -> None:
    keys = set(tissue_weights(WeightBasis.ICRP103).rows) | {"testis", "ovary"}
    male = dict.fromkeys(keys, 2.0)
    female = dict.fromkeys(keys, 4.0)
    male.pop("gonads", None)
    female.pop("gonads", None)
    # sum of w_T = 1 (ICRP 103 Table 3): uniform 2 and 4 mGy average to 3 mSv
    e = effective_dose_from_organs(male, WeightBasis.ICRP103, female_doses_mgy=female)
    assert e == pytest.approx(3.0)


# ------------------------------------------------------------------ 4. DX reference point
def test_dx_esd_in_detector_plane_is_brought_to_the_skin() -> None:
    # issue #13 item 4: RP at the detector (CID 10025 113941) understates the ESD 1.4-1.8x;
    # chest PA at SID 110 cm, skin 25 cm before the detector: (110/85)^2 = 1.675
    from dosewatch.domain.codes import Code

    event = dataclasses.replace(
        b.projection_event(dose_rp_gy=0.0001),
        reference_point_definition=Code("113941", "DCM", "In Detector Plane"),
        anatomical_structure=b.CHEST,
        distance_source_to_detector=b.q(1100, "mm"),
    )
    result = estimate_with_reasons(b.report(DoseModality.RADIOGRAPHY, (event,)))
    (esd,) = _of(result, EstimateQuantity.ENTRANCE_SURFACE_DOSE)
    bsf = esd.coefficients[0].value
    ratio = esd.value.value / (0.1 * bsf)
    assert ratio == pytest.approx((110.0 / 85.0) ** 2)
    assert 1.4 <= ratio <= 1.8
    skin = esd.input("skin_to_detector")
    assert skin is not None and skin.assumed


def test_dx_sample_in_detector_plane_of_a_limb_is_refused() -> None:
    # DX-RDSR-Carestream_DRXEvolution: hip/leg projections with RP in the detector plane:
    # patient thickness unknown, so no ESD rather than one 1.4-1.8x too low
    from pathlib import Path

    from rdsr_parsers import parse

    path = Path(__file__).parents[1] / "data/openrem/DX-RDSR-Carestream_DRXEvolution.dcm"
    result = estimate_with_reasons(parse(path).report)
    assert not _of(result, EstimateQuantity.ENTRANCE_SURFACE_DOSE)
    refused = [
        r for r in result.not_estimated if r.quantity is EstimateQuantity.ENTRANCE_SURFACE_DOSE
    ]
    assert refused and all("detector plane" in r.message for r in refused)


def test_dx_esd_without_distance_in_detector_plane_is_refused() -> None:
    from dosewatch.domain.codes import Code

    event = dataclasses.replace(
        b.projection_event(),
        reference_point_definition=Code("113941", "DCM", "In Detector Plane"),
    )
    result = estimate_with_reasons(b.report(DoseModality.RADIOGRAPHY, (event,)))
    assert not _of(result, EstimateQuantity.ENTRANCE_SURFACE_DOSE)
    assert any("detector plane" in r.message for r in result.not_estimated)


# ------------------------------------------------------------------ 11. mammography
def _dance_value(**changes: object) -> float:
    event = dataclasses.replace(b.mammo_event(agd=None), **changes)  # type: ignore[arg-type]
    (est,) = _of(estimate_with_reasons(b.report(DoseModality.MAMMOGRAPHY, (event,))), ORGAN)
    assert est.model_id == "mg.agd.dance"
    return est.value.value


def test_reported_agd_cross_checked_against_dance() -> None:
    dance = _dance_value()
    assert 0.0 < dance < 5.0  # AGD < K for g < 1 (Dance 2000 g factors are all below 1)
    for agd, flagged in ((dance * 1.10, False), (dance * 1.40, True), (dance * 0.70, True)):
        event = b.mammo_event(agd=agd)
        result = estimate_with_reasons(b.report(DoseModality.MAMMOGRAPHY, (event,)))
        (est,) = _of(result, ORGAN)
        assert est.origin is EstimateOrigin.REPORTED and est.value.value == pytest.approx(agd)
        assert any(f.code == "model.agd_dance_disagrees" for f in result.findings) is flagged


def test_hvl_in_mm_is_converted_to_mm_aluminium() -> None:
    assert _dance_value(half_value_layer=b.q(0.4, "mm")) == pytest.approx(_dance_value())
    assert _dance_value(half_value_layer=b.q(0.04, "cm")) == pytest.approx(_dance_value())


def test_tomosynthesis_is_decided_by_the_event_type_code() -> None:
    from dosewatch.domain.codes import Code

    rotational = Code("113613", "DCM", "Rotational Acquisition")
    stationary = Code("113611", "DCM", "Stationary Acquisition")
    tomo = dataclasses.replace(b.mammo_event(agd=None), event_type=rotational)
    result = estimate_with_reasons(b.report(DoseModality.MAMMOGRAPHY, (tomo,)))
    assert not _of(result, ORGAN)
    assert any("113613" in r.message for r in result.not_estimated)
    # a "3D" protocol name does not override a Stationary Acquisition code
    flat = dataclasses.replace(
        b.mammo_event(agd=None), event_type=stationary, acquisition_protocol="3D_ROUTINE"
    )
    assert _of(estimate_with_reasons(b.report(DoseModality.MAMMOGRAPHY, (flat,))), ORGAN)


# ------------------------------------------------------------------ 3. geometry PSD
def _psd_of(*angles_gy: tuple[float, float]) -> float:
    events = tuple(
        b.projection_event(uid=f"2.{i}", dose_rp_gy=gy, geometry=True, primary=angle)
        for i, (angle, gy) in enumerate(angles_gy)
    )
    report = b.report(DoseModality.FLUOROSCOPY, events, description="Coronarography")
    (psd,) = _of(estimate_with_reasons(report, Patient(age_years=60)), PSD)
    assert not psd.upper_bound
    return psd.value.value_in("Gy")


def test_neighbouring_beams_overlap_on_the_phantom() -> None:
    # issue #13 item 3: two 1 Gy beams at 9 and 11 deg hit the same skin: ~2x one beam
    # (~1.6 Gy with the issue's factors; 20 deg bins gave 0.79 Gy)
    one = _psd_of((10.0, 1.0))
    two = _psd_of((9.0, 1.0), (11.0, 1.0))
    assert two == pytest.approx(2 * one, rel=0.03)
    assert 1.5 <= two <= 2.2
    # beams 90 deg apart do not overlap: the PSD is one beam's (the PA one, through the table,
    # is the lower; the lateral one is unattenuated and nearer the source)
    apart = _psd_of((0.0, 1.0), (90.0, 1.0))
    assert apart == pytest.approx(max(_psd_of((0.0, 1.0)), _psd_of((90.0, 1.0))), rel=1e-6)


def test_lateral_beam_skin_is_nearer_than_the_table_plane() -> None:
    # a lateral beam's skin is the phantom side (17 cm from the axis), not the table plane,
    # and no table transmission applies: its point dose exceeds a PA beam's of the same Ka,r
    assert _psd_of((90.0, 1.0)) > _psd_of((0.0, 1.0))
