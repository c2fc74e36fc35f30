"""CT effective-dose numbers pinned to their sources (mutation survivors of #15 killed here)."""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import Estimate, EstimateQuantity, WeightBasis
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtXRaySource, DoseModality
from organ_models import EstimationSettings, Patient, estimate_with_reasons
from organ_models.ct import region_from_text
from tests.organ_models import builders as b

ADULT = Patient(age_years=40, sex="M")


def _e(event: object, settings: EstimationSettings | None = None) -> Estimate:
    result = estimate_with_reasons(
        b.report(DoseModality.CT, (event,)),  # type: ignore[arg-type]
        ADULT,
        settings,
    )
    (e,) = [
        x
        for x in result.estimates
        if x.quantity is EstimateQuantity.EFFECTIVE_DOSE and x.model_id == "ct.effective.k_dlp"
    ]
    return e


def test_icrp60_chest_uses_lee_2012_table_xii() -> None:
    # Lee et al. Med Phys 2012;39:2129 Table XII, adult chest 120 kV, ICRP 60: 0.0186
    e = _e(b.ct_event(dlp=100.0), EstimationSettings(basis=WeightBasis.ICRP60))
    assert e.basis is WeightBasis.ICRP60
    assert e.coefficients[0].value == 0.0186 and "Lee" in e.coefficients[0].source
    # k phantom "as_in_source" (not confirmed): assumed 32 cm for an adult body
    k_phantom = e.input("k_phantom")
    assert k_phantom is not None and k_phantom.assumed


def test_neck_uses_aapm96_icrp60_with_its_stated_phantom() -> None:
    # AAPM Report 96 Table 4 adult neck: 0.0059 mSv/(mGy.cm), 32 cm phantom column
    neck = b.ct_event(dlp=100.0, region=None, protocol="Neck")
    e = _e(neck)
    assert e.basis is WeightBasis.ICRP60 and e.coefficients[0].value == 0.0059
    k_phantom = e.input("k_phantom")
    assert k_phantom is not None and not k_phantom.assumed
    assert e.value.value == pytest.approx(0.0059 * 100.0)


def test_dual_source_kv_is_the_mean() -> None:
    # two tubes at 80 and 100 kV: mean 90 kV -> the 80 kV column (nearest, first on a tie)
    event = dataclasses.replace(
        b.ct_event(),
        xray_sources=(CtXRaySource(kvp=b.q(80, "kV")), CtXRaySource(kvp=b.q(100, "kV"))),
    )
    kv = _e(event).input("kv")
    assert kv is not None and kv.quantity is not None and kv.quantity.value == 80.0
    assert kv.text is not None and "90" in kv.text


def test_unreported_kv_is_120_and_assumed() -> None:
    kv = _e(b.ct_event(kv=None)).input("kv")
    assert kv is not None and kv.quantity is not None and kv.quantity.value == 120.0
    assert kv.assumed


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Abdomen", BodyRegion.ABDOMEN_PELVIS),
        ("Thorax abdomen", BodyRegion.CHEST_ABDOMEN_PELVIS),
        ("Cardiac abdomen", BodyRegion.CHEST_ABDOMEN_PELVIS),
        ("Cardiac", BodyRegion.CARDIAC),
        ("Head", BodyRegion.HEAD),
        ("Head neck", BodyRegion.HEAD_AND_NECK),
        ("Neck", BodyRegion.NECK),
        ("Thorax", BodyRegion.CHEST),
        ("whole body", BodyRegion.CHEST_ABDOMEN_PELVIS),
        ("foo", None),
    ],
)
def test_region_keywords(text: str, region: BodyRegion | None) -> None:
    assert region_from_text(text) == region
