"""Mammography glandular dose: the full record of a reported and a Dance AGD, the exact
refusals, the tomosynthesis decision and the g interpolation at the table's edges (#15).

Dance model ``AGD = K x g x c x s`` (Dance 1990/2000, ``mammography_dance.csv``): g at
HVL 0.40 mm Al / 4.5 cm = 0.232 (row 33), g at 0.30 / 2 cm = 0.39 (row 8), g at
0.60 / 11 cm = 0.1385 (row 84), s(Mo/Mo) = 1.0 (row 1), s(Rh/Rh) = 1.061 (row 3);
W/Ag (row 6) is ``unverified_recall``, refused by the default policy. Uncertainty: 30 % for
a reported AGD, 40 % for Dance. A reported AGD and the Dance one differing by more than
25 % of the reported value are flagged (issue #13 item 11).
"""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.codes import (
    ALUMINUM,
    BREAST,
    COPPER,
    LEFT,
    LEFT_BREAST,
    MOLYBDENUM,
    RHODIUM,
    RIGHT_AND_LEFT,
    RIGHT_BREAST,
    SILVER,
    TUNGSTEN,
    Code,
)
from dosewatch.domain.estimate import (
    Estimate,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import MammographyIrradiationEvent, XRayFilter
from organ_models import EstimationSettings
from organ_models.common import Outcome
from organ_models.mammography import (
    DANCE,
    REPORTED,
    breast_code,
    g_factor,
    glandular_dose_for_event,
    hvl_mm_al,
    target_filter,
)
from organ_models.tables import ReferencePolicy, ReferenceRow, load_table
from tests.organ_models import builders as b

ROTATIONAL = Code("113613", "DCM", "Rotational Acquisition")
STATIONARY = Code("113611", "DCM", "Stationary Acquisition")
TABLE = "organ_models/data/mammography_dance.csv"
#: K that makes the Dance AGD of the default event exactly 5.0 mGy (g = 0.232, s = 1)
K_FOR_5 = 5.0 / 0.232
_TWO_D = "2D (protocol keywords (no Irradiation Event Type))"


def _outcome(event: MammographyIrradiationEvent) -> Outcome:
    return glandular_dose_for_event(event, EstimationSettings())


def _one(out: Outcome) -> Estimate:
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.ORGAN_DOSE and e.event_uid == "3.1"
    assert e.value.unit == "mGy" and e.basis is None and not e.upper_bound
    assert not e.indicative
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


def _coefficients(e: Estimate) -> list[tuple[str, float, str, str]]:
    return [(c.name, c.value, c.unit, c.locator) for c in e.coefficients]


def _refusal(out: Outcome) -> tuple[NotEstimatedReason, str]:
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "3.1" and r.quantity is EstimateQuantity.ORGAN_DOSE
    return r.reason, r.message


def test_dance_agd_full_record() -> None:
    e = _one(_outcome(b.mammo_event(agd=None)))
    assert (e.model_id, e.model_version) == (DANCE.model_id, DANCE.version)
    assert e.origin is EstimateOrigin.MODEL
    assert e.value.value == pytest.approx(5.0 * 0.232 * 1.0)
    assert e.uncertainty_pct == 40.0
    assert e.organ == RIGHT_BREAST
    assert e.table_version == "mammography_dance@" + load_table("mammography_dance").version
    assert e.method == "AGD = K x g x c x s = 5 x 0.2320 x 1 x 1"
    assert _coefficients(e) == [
        ("s Mo/Mo", 1.0, "dimensionless", f"{TABLE} row 1"),
        ("g (interpolated)", 0.232, "mGy/mGy", f"{TABLE} row 8"),
    ]
    assert e.coefficients[1].source.startswith("Dance DR 1990 / Dance et al. 2000 g-factor")
    assert _inputs(e) == [
        ("K", 5.0, "mGy", "Entrance Exposure at RP", False),
        ("hvl", 0.4, "mm[Al]", "Half Value Layer", False),
        ("thickness", 4.5, "cm", "Compression Thickness", False),
        ("target_filter", None, None, "Mo/Mo", False),
        ("c", None, None, "c = 1: 50 % glandularity (c tables not retrieved)", True),
    ]
    assert e.findings == ()


def test_dance_agd_multiplies_by_s_and_interpolates_g() -> None:
    # Rh/Rh: s = 1.061 (row 3); HVL 0.425 mm, 4.75 cm: the mean of g(0.40/0.45, 4.5/5)
    # = (0.232 + 0.258 + 0.209 + 0.232) / 4 = 0.23275
    event = dataclasses.replace(
        b.mammo_event(agd=None, k_mgy=8.0, hvl=0.425, thickness_mm=47.5),
        anode_target_material=RHODIUM,
        filters=(XRayFilter(material=RHODIUM),),
    )
    e = _one(_outcome(event))
    g = (0.232 + 0.258 + 0.209 + 0.232) / 4
    assert e.value.value == pytest.approx(8.0 * g * 1.061)
    assert e.method == f"AGD = K x g x c x s = 8 x {g:.4f} x 1 x 1.061"
    assert _coefficients(e) == [
        ("s Rh/Rh", 1.061, "dimensionless", f"{TABLE} row 3"),
        ("g (interpolated)", pytest.approx(g), "mGy/mGy", f"{TABLE} row 8"),
    ]
    assert _inputs(e)[:4] == [
        ("K", 8.0, "mGy", "Entrance Exposure at RP", False),
        ("hvl", 0.425, "mm[Al]", "Half Value Layer", False),
        ("thickness", pytest.approx(4.75), "cm", "Compression Thickness", False),
        ("target_filter", None, None, "Rh/Rh", False),
    ]


def test_reported_agd_full_record_cross_checked() -> None:
    # Dance gives 1.16 mGy; |1.16 - 1.5| / 1.5 = 23 %: within 25 %, no finding
    out = _outcome(b.mammo_event(agd=1.5))
    e = _one(out)
    assert (e.model_id, e.model_version) == (REPORTED.model_id, REPORTED.version)
    assert e.origin is EstimateOrigin.REPORTED
    assert e.value.value == 1.5 and e.uncertainty_pct == 30.0
    assert e.organ == RIGHT_BREAST
    assert e.coefficients == () and e.table_version == "none"
    assert e.method == (
        "glandular dose = reported AGD (device Dance-type model); cross-checked against Dance"
    )
    assert _inputs(e) == [
        ("average_glandular_dose", 1.5, "mGy", "reported by the device", False),
        ("acquisition", None, None, _TWO_D, False),
    ]
    assert e.findings == () and out.findings == []


def test_reported_agd_that_disagrees_with_dance_is_flagged() -> None:
    out = _outcome(b.mammo_event(agd=2.0))
    e = _one(out)
    message = "reported AGD 2 mGy and Dance AGD 1.16 mGy differ by 42% (> 25%)"
    assert [(f.code, f.message) for f in out.findings] == [
        (FindingCode.MODEL_AGD_DANCE_DISAGREES, message)
    ]
    assert [(f.code, f.message) for f in e.findings] == [
        (FindingCode.MODEL_AGD_DANCE_DISAGREES, message)
    ]
    assert e.value.value == 2.0


@pytest.mark.parametrize(
    ("agd", "flagged"),
    [
        (4.0, False),  # |5 - 4| / 4 = 25 % exactly: not more than the limit
        (3.99, True),
        (6.0, False),  # 1 / 6 = 17 % (relative to the reported value, not to Dance)
        (7.0, True),  # 2 / 7 = 29 %
    ],
)
def test_cross_check_limit_is_25_percent_of_the_reported_agd(agd: float, flagged: bool) -> None:
    out = _outcome(b.mammo_event(agd=agd, k_mgy=K_FOR_5))
    assert _one(out).value.value == agd
    assert [f.code for f in out.findings] == (
        [FindingCode.MODEL_AGD_DANCE_DISAGREES] if flagged else []
    )


def test_a_reported_zero_agd_is_kept_and_not_compared() -> None:
    out = _outcome(b.mammo_event(agd=0.0))
    assert _one(out).value.value == 0.0
    assert out.findings == []


def test_reported_agd_without_dance_inputs_is_not_cross_checked() -> None:
    event = dataclasses.replace(b.mammo_event(agd=1.5), half_value_layer=None)
    e = _one(_outcome(event))
    assert e.method == "glandular dose = reported AGD (device Dance-type model)"
    assert e.findings == ()


def test_tomosynthesis_with_reported_agd() -> None:
    event = dataclasses.replace(b.mammo_event(agd=1.5), event_type=ROTATIONAL)
    out = _outcome(event)
    e = _one(out)
    assert e.model_id == REPORTED.model_id and e.value.value == 1.5
    # Dance does not apply to a sweep: no cross-check
    assert e.method == "glandular dose = reported AGD (device Dance-type model)"
    assert _inputs(e)[1] == (
        "acquisition",
        None,
        None,
        "tomosynthesis (Irradiation Event Type 113613 Rotational Acquisition)",
        False,
    )
    assert out.findings == []


def test_tomosynthesis_without_reported_agd_is_refused() -> None:
    event = dataclasses.replace(b.mammo_event(agd=None), event_type=ROTATIONAL)
    assert _refusal(_outcome(event)) == (
        NotEstimatedReason.NO_COEFFICIENT,
        "glandular dose: tomosynthesis without reported AGD (Dance T factor not tabulated; "
        "tomosynthesis from Irradiation Event Type 113613 Rotational Acquisition)",
    )


def test_a_stationary_acquisition_is_2d_whatever_its_protocol() -> None:
    event = dataclasses.replace(
        b.mammo_event(agd=1.5), event_type=STATIONARY, acquisition_protocol="Tomo 3D"
    )
    e = _one(_outcome(event))
    assert _inputs(e)[1][3] == "2D (Irradiation Event Type 113611)"


@pytest.mark.parametrize(
    ("protocol", "comment", "tomo"),
    [
        ("TomoHD", None, True),
        ("R CC DBT", None, True),
        ("3D R MLO", None, True),
        (None, "tomo sweep", True),
        ("R CC", "dbt", True),
        ("R CC", None, False),
        ("R CC 2D", "routine", False),
    ],
)
def test_tomosynthesis_keywords_without_event_type(
    protocol: str | None, comment: str | None, tomo: bool
) -> None:
    event = dataclasses.replace(
        b.mammo_event(agd=None), acquisition_protocol=protocol, comment=comment
    )
    out = _outcome(event)
    if tomo:
        assert _refusal(out) == (
            NotEstimatedReason.NO_COEFFICIENT,
            "glandular dose: tomosynthesis without reported AGD (Dance T factor not "
            "tabulated; tomosynthesis from protocol keywords (no Irradiation Event Type))",
        )
    else:
        assert _one(out).model_id == DANCE.model_id


def test_breast_code_by_laterality() -> None:
    event = b.mammo_event()
    assert breast_code(event) == RIGHT_BREAST
    assert breast_code(dataclasses.replace(event, laterality=LEFT)) == LEFT_BREAST
    assert breast_code(dataclasses.replace(event, laterality=None)) == BREAST
    assert breast_code(dataclasses.replace(event, laterality=RIGHT_AND_LEFT)) == BREAST
    left = dataclasses.replace(b.mammo_event(agd=None), laterality=LEFT)
    assert _one(_outcome(left)).organ == LEFT_BREAST
    assert _one(_outcome(dataclasses.replace(left, laterality=None))).organ == BREAST


def _with(target: Code | None, *filters: Code | None) -> MammographyIrradiationEvent:
    return dataclasses.replace(
        b.mammo_event(),
        anode_target_material=target,
        filters=tuple(XRayFilter(material=f) for f in filters),
    )


def test_target_filter_symbols() -> None:
    # SCT codes and their SRT predecessors (PS3.16 CID 10016 / 10006)
    assert target_filter(_with(MOLYBDENUM, MOLYBDENUM)) == "Mo/Mo"
    assert target_filter(_with(RHODIUM, RHODIUM)) == "Rh/Rh"
    assert target_filter(_with(TUNGSTEN, SILVER)) == "W/Ag"
    assert target_filter(_with(TUNGSTEN, ALUMINUM)) == "W/Al"
    assert target_filter(_with(Code("C-164F9", "SRT", "Tungsten"), RHODIUM)) == "W/Rh"
    # the first filter with a known material; copper is not a mammography filter symbol
    assert target_filter(_with(MOLYBDENUM, COPPER, RHODIUM, MOLYBDENUM)) == "Mo/Rh"
    assert target_filter(_with(MOLYBDENUM, None, RHODIUM)) == "Mo/Rh"
    assert target_filter(_with(MOLYBDENUM)) is None
    assert target_filter(_with(MOLYBDENUM, COPPER)) is None
    assert target_filter(_with(None, MOLYBDENUM)) is None
    assert target_filter(_with(COPPER, MOLYBDENUM)) is None


def test_hvl_units() -> None:
    event = b.mammo_event()
    assert hvl_mm_al(event) == 0.4
    assert hvl_mm_al(dataclasses.replace(event, half_value_layer=b.q(0.05, "cm"))) == (
        pytest.approx(0.5)
    )
    assert hvl_mm_al(dataclasses.replace(event, half_value_layer=b.q(0.4, "mGy"))) is None
    assert hvl_mm_al(dataclasses.replace(event, half_value_layer=None)) is None


def test_missing_dance_inputs_are_named() -> None:
    event = dataclasses.replace(
        _with(None),
        average_glandular_dose=None,
        entrance_exposure_at_rp=None,
        half_value_layer=b.q(0.4, "mGy"),  # not a length: unusable, counted as missing
        compression_thickness=None,
    )
    assert _refusal(_outcome(event)) == (
        NotEstimatedReason.MISSING_INPUT,
        "glandular dose: no reported AGD and Dance inputs missing: Entrance Exposure at RP, "
        "Half Value Layer (mm Al), Compression Thickness, target/filter",
    )
    for field, name in (
        ("entrance_exposure_at_rp", "Entrance Exposure at RP"),
        ("half_value_layer", "Half Value Layer (mm Al)"),
        ("compression_thickness", "Compression Thickness"),
    ):
        one = dataclasses.replace(b.mammo_event(agd=None), **{field: None})  # type: ignore[arg-type]
        assert _refusal(_outcome(one)) == (
            NotEstimatedReason.MISSING_INPUT,
            f"glandular dose: no reported AGD and Dance inputs missing: {name}",
        )
    no_filter = dataclasses.replace(_with(MOLYBDENUM), average_glandular_dose=None)
    assert _refusal(_outcome(no_filter)) == (
        NotEstimatedReason.MISSING_INPUT,
        "glandular dose: no reported AGD and Dance inputs missing: target/filter",
    )


@pytest.mark.parametrize(
    ("target", "filt", "tf"),
    [(TUNGSTEN, SILVER, "W/Ag"), (TUNGSTEN, ALUMINUM, "W/Al"), (RHODIUM, MOLYBDENUM, "Rh/Mo")],
)
def test_no_usable_s_factor_is_refused(target: Code, filt: Code, tf: str) -> None:
    # W/Ag is unverified_recall (refused by the default policy); W/Al is tabulated as
    # "W/Al (0.5 mm)" without a value; Rh/Mo is not in the table
    event = dataclasses.replace(_with(target, filt), average_glandular_dose=None)
    assert _refusal(_outcome(event)) == (
        NotEstimatedReason.NO_COEFFICIENT,
        f"glandular dose: no usable s factor for {tf}",
    )


@pytest.mark.parametrize(
    ("hvl", "thickness_mm", "message"),
    [
        (0.29, 45.0, "HVL 0.29 mm Al / thickness 4.5 cm"),
        (0.61, 45.0, "HVL 0.61 mm Al / thickness 4.5 cm"),
        (0.4, 15.0, "HVL 0.4 mm Al / thickness 1.5 cm"),
        (0.4, 120.0, "HVL 0.4 mm Al / thickness 12.0 cm"),
    ],
)
def test_outside_the_g_table_is_refused(hvl: float, thickness_mm: float, message: str) -> None:
    event = b.mammo_event(agd=None, hvl=hvl, thickness_mm=thickness_mm)
    assert _refusal(_outcome(event)) == (
        NotEstimatedReason.NO_COEFFICIENT,
        f"glandular dose: {message} outside the g table (0.3-0.6 mm, 2.0-11.0 cm)",
    )


def _g_rows() -> list[ReferenceRow]:
    return load_table("mammography_dance").select(ReferencePolicy(), record_type="g_factor")


@pytest.mark.parametrize(
    ("hvl", "thickness", "g"),
    [
        # the four corners of the table (rows 8, 18, 74, 84) and inner grid points (rows 9, 72)
        (0.3, 2.0, 0.39),
        (0.3, 11.0, 0.0687),
        (0.6, 2.0, 0.587),
        (0.6, 11.0, 0.1385),
        (0.3, 3.0, 0.274),
        (0.55, 10.0, 0.1375),
    ],
)
def test_g_at_grid_points_is_the_table_value(hvl: float, thickness: float, g: float) -> None:
    assert g_factor(hvl, thickness, _g_rows()) == g


def test_g_interpolates_in_hvl_and_thickness_separately() -> None:
    rows = _g_rows()
    # along thickness at HVL 0.3: a quarter of the way from 2 cm (0.39) to 3 cm (0.274)
    assert g_factor(0.3, 2.25, rows) == pytest.approx(0.39 + 0.25 * (0.274 - 0.39))
    # along HVL at 2 cm: three quarters of the way from 0.30 (0.39) to 0.35 (0.433)
    assert g_factor(0.3375, 2.0, rows) == pytest.approx(0.39 + 0.75 * (0.433 - 0.39))
    # in the top cell (0.55-0.60 mm, 10-11 cm, rows 72, 73, 83, 84): a quarter along HVL,
    # three quarters along thickness
    at_10 = 0.75 * 0.1375 + 0.25 * 0.154
    at_11 = 0.75 * 0.124 + 0.25 * 0.1385
    assert g_factor(0.5625, 10.75, rows) == pytest.approx(0.25 * at_10 + 0.75 * at_11)


def test_g_of_a_table_with_one_hvl_or_one_thickness() -> None:
    # a one-column table (rows of HVL 0.40 mm only, rows 30-40): g varies with thickness
    # alone; a one-row-per-HVL table (4.5 cm only): with HVL alone
    rows = _g_rows()
    column = [r for r in rows if r.number("hvl_mmAl_or_phantom") == 0.4]
    assert g_factor(0.4, 4.5, column) == 0.232
    assert g_factor(0.4, 4.75, column) == pytest.approx((0.232 + 0.209) / 2)
    line = [r for r in rows if r.number("breast_thickness_cm") == 4.5]
    assert g_factor(0.425, 4.5, line) == pytest.approx((0.232 + 0.258) / 2)
    assert g_factor(0.6, 4.5, line) == 0.339
    with pytest.raises(ValueError, match="outside the g table"):
        g_factor(0.45, 4.5, column)
