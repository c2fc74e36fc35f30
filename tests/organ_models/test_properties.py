"""Property tests: linear in the indicator, non-negative, monotone in size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewatch.domain.estimate import Estimate, EstimateQuantity
from dosewatch.domain.report import DoseModality
from organ_models import estimate
from organ_models.organs import Code
from organ_models.patient import Patient
from tests.organ_models import builders as b

positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
factor = st.floats(min_value=0.1, max_value=10.0)
ADULT = Patient(age_years=45, sex="F", weight_kg=70, height_cm=170)


def values(es: tuple[Estimate, ...], quantity: EstimateQuantity) -> list[float]:
    return [e.value.value for e in es if e.quantity is quantity]


def by_slot(es: tuple[Estimate, ...]) -> dict[tuple[str, str, str | None], float]:
    """Estimate values by (model, quantity, organ code): one value per slot."""
    out: dict[tuple[str, str, str | None], float] = {}
    for e in es:
        key = (e.model_id, str(e.quantity), e.organ.value if e.organ is not None else None)
        assert key not in out, key
        out[key] = e.value.value
    return out


@settings(max_examples=40, deadline=None)
@given(dlp=positive, k=factor, age=st.floats(min_value=0, max_value=100))
def test_ct_effective_and_organ_doses_linear_in_dlp(dlp: float, k: float, age: float) -> None:
    # DLP and CTDIvol scaled together (same scan length): k x DLP, korg x DLP and
    # (D/CTDIvol) x CTDIvol all scale by k; none of them may be refused for a chest CT
    p = Patient(age_years=age, sex="M")
    one = by_slot(estimate(b.report(DoseModality.CT, (b.ct_event(dlp=dlp, ctdivol=dlp / 40),)), p))
    two = by_slot(
        estimate(b.report(DoseModality.CT, (b.ct_event(dlp=dlp * k, ctdivol=dlp * k / 40),)), p)
    )
    assert one.keys() == two.keys()
    effective = [key for key in one if key[1] == "effective_dose"]
    organs = {key[2] for key in one if key[1] == "organ_dose"}
    assert len(effective) == 1 and len(organs) >= 20
    for key, x in one.items():
        assert two[key] == pytest.approx(x * k, rel=1e-9), key
        assert x > 0, key
    # Lee 2012 Table XII chest k: 0.014 (adult) to 0.051 (newborn) mSv/(mGy.cm); a child's
    # DLP on the 32 cm phantom is doubled for the 16 cm k
    assert 0.013 <= one[effective[0]] / dlp <= 0.11


@settings(max_examples=40, deadline=None)
@given(kap=positive, k=factor)
def test_fluoro_e_and_skin_linear_in_kap_and_kar(kap: float, k: float) -> None:
    def run(s: float) -> tuple[Estimate, ...]:
        return estimate(
            b.report(
                DoseModality.FLUOROSCOPY,
                (b.projection_event(kap=kap * s, dose_rp_gy=kap * s / 100),),
                description="coronarographie",
            ),
            ADULT,
        )

    one, two = run(1.0), run(k)
    for q in (EstimateQuantity.EFFECTIVE_DOSE, EstimateQuantity.PEAK_SKIN_DOSE):
        (x,), (y,) = values(one, q), values(two, q)
        assert y == pytest.approx(x * k, rel=1e-9) and x > 0


@settings(max_examples=40, deadline=None)
@given(activity=positive, k=factor, age=st.floats(min_value=1, max_value=100))
def test_nm_linear_in_activity(activity: float, k: float, age: float) -> None:
    p = Patient(age_years=age)
    one = estimate(b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(activity=activity),)), p)
    two = estimate(b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(activity=activity * k),)), p)
    assert len(one) == len(two) > 0
    for x, y in zip(one, two, strict=True):
        assert y.value.value == pytest.approx(x.value.value * k, rel=1e-9)
        assert x.value.value >= 0


@settings(max_examples=40, deadline=None)
@given(agd=positive, k=factor)
def test_mammography_linear_in_agd_and_k(agd: float, k: float) -> None:
    one = estimate(b.report(DoseModality.MAMMOGRAPHY, (b.mammo_event(agd=agd),)))
    two = estimate(b.report(DoseModality.MAMMOGRAPHY, (b.mammo_event(agd=agd * k),)))
    assert two[0].value.value == pytest.approx(one[0].value.value * k)
    d1 = estimate(b.report(DoseModality.MAMMOGRAPHY, (b.mammo_event(agd=None, k_mgy=agd),)))
    d2 = estimate(b.report(DoseModality.MAMMOGRAPHY, (b.mammo_event(agd=None, k_mgy=agd * k),)))
    assert d2[0].value.value == pytest.approx(d1[0].value.value * k)


@settings(max_examples=40, deadline=None)
@given(d1=st.floats(min_value=80, max_value=440), d2=st.floats(min_value=80, max_value=440))
def test_ssde_and_size_fit_organ_dose_decrease_with_diameter(d1: float, d2: float) -> None:
    small, large = sorted((d1, d2))

    def run(d: float, region: Code) -> tuple[Estimate, ...]:
        return estimate(b.report(DoseModality.CT, (b.ct_event(deff_mm=d, region=region),)), ADULT)

    for region in (b.CHEST, b.ABDOMEN_SRT):
        s, big = run(small, region), run(large, region)
        assert values(s, EstimateQuantity.SSDE)[0] >= values(big, EstimateQuantity.SSDE)[0]
    lung = "39607008"
    s_l = [e.value.value for e in run(small, b.CHEST) if e.organ and e.organ.value == lung]
    b_l = [e.value.value for e in run(large, b.CHEST) if e.organ and e.organ.value == lung]
    assert s_l[0] >= b_l[0] > 0


@settings(max_examples=30, deadline=None)
@given(thickness=st.floats(min_value=20, max_value=110), k=positive)
def test_dance_agd_non_negative_and_decreasing_in_thickness(thickness: float, k: float) -> None:
    thin = estimate(
        b.report(
            DoseModality.MAMMOGRAPHY, (b.mammo_event(agd=None, k_mgy=k, thickness_mm=thickness),)
        )
    )
    thick = estimate(
        b.report(
            DoseModality.MAMMOGRAPHY,
            (b.mammo_event(agd=None, k_mgy=k, thickness_mm=min(110.0, thickness + 5)),),
        )
    )
    assert thin[0].value.value >= thick[0].value.value >= 0
