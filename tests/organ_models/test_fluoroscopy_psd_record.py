"""Fluoroscopy peak skin dose: the full record of the phantom estimate and of the upper
bound, the beam read from each event, and the exact refusals (#15).

``skin_dose_factors.csv``: BSF 1.35 (row 1), table/pad transmission 0.8 (row 2), largest
tabulated BSF 1.662 (row 3, Benmakhlouf 2011), largest (mu_en/rho) water/air 1.073 (row 4),
typical 1.044 (row 5). Reference point: IEC 60601-2-43, 15 cm from the isocentre toward the
source. Phantom: 34 cm x 22 cm elliptical cylinder (``organ_models.skin_phantom``).
"""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
    Verification,
)
from dosewatch.domain.report import (
    AccumulatedProjectionDose,
    DoseModality,
    DoseReport,
    ProjectionIrradiationEvent,
)
from organ_models import EstimationSettings, fluoroscopy
from organ_models.common import Outcome
from organ_models.fluoroscopy import SKIN, _beam, peak_skin_dose
from organ_models.skin_phantom import Beam
from organ_models.tables import ReferenceTable, load_table
from tests.organ_models import builders as b

TABLE = "organ_models/data/skin_dose_factors.csv"
PSD = EstimateQuantity.PEAK_SKIN_DOSE
GEOMETRY_METHOD = (
    "ESTIMATE (phantom, no skin map from the device): PSD = max over skin points of sum "
    "Ka,r x (d_RP/d_point)^2 x BSF x (mu_en/rho)_w/air x T_table (under-table beams); "
    "overlapping fields add; one transverse plane (table translation and secondary "
    "angulation not followed)"
)
PHANTOM = "elliptical cylinder 34 x 22 cm (adult trunk), axis at the isocentre"


def _report(
    *events: ProjectionIrradiationEvent, accumulated: tuple[float | None, ...] = ()
) -> DoseReport:
    acc = tuple(
        AccumulatedProjectionDose(dose_rp_total=None if gy is None else b.q(gy, "Gy"))
        for gy in accumulated
    )
    return b.report(DoseModality.FLUOROSCOPY, events, accumulated=acc)


def _outcome(report: DoseReport) -> Outcome:
    return peak_skin_dose(report, EstimationSettings())


def _one(out: Outcome) -> Estimate:
    assert out.refused == [] and out.findings == []
    (e,) = out.estimates
    assert e.quantity is PSD and e.event_uid is None and e.organ is None and e.basis is None
    assert (e.model_id, e.model_version) == (SKIN.model_id, SKIN.version)
    assert e.origin is EstimateOrigin.MODEL and e.value.unit == "mGy"
    assert e.table_version == "skin_dose_factors@" + load_table("skin_dose_factors").version
    assert not e.indicative and e.findings == ()
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


def test_phantom_psd_full_record() -> None:
    # PA beam, d_RP 60 cm, isocentre 75 cm, skin at 75 - 11 cm: 0.1 Gy x (60/64)^2 x BSF x
    # (mu_en/rho) x T
    e = _one(_outcome(_report(b.projection_event(geometry=True))))
    assert e.value.value == pytest.approx(100.0 * (60 / 64) ** 2 * 1.35 * 1.044 * 0.8)
    assert e.uncertainty_pct == 50.0 and not e.upper_bound
    assert e.method == GEOMETRY_METHOD
    assert _coefficients(e) == [
        ("BSF", 1.35, "1", f"{TABLE} row 1"),
        ("T_table", 0.8, "1", f"{TABLE} row 2"),
        ("(mu_en/rho) water/air", 1.044, "1", f"{TABLE} row 5"),
    ]
    assert _inputs(e) == [
        ("ka_r_total", 0.1, "Gy", "sum of event Dose (RP)", False),
        ("events", None, None, "1 with source distance and angle", False),
        ("phantom", None, None, PHANTOM, True),
    ]


def test_phantom_psd_of_two_events_apart() -> None:
    # 0 deg (through the table) and 90 deg (lateral, 58 cm to the skin, no table): the
    # fields do not overlap, the lateral one is the peak
    events = (
        b.projection_event(uid="2.1", dose_rp_gy=0.2, geometry=True),
        b.projection_event(uid="2.2", dose_rp_gy=0.3, geometry=True, primary=90.0),
        b.projection_event(uid="2.3", dose_rp_gy=None, geometry=True),  # no Ka,r: not counted
    )
    e = _one(_outcome(_report(*events, accumulated=(5.0,))))
    assert e.value.value == pytest.approx(300.0 * (60 / 58) ** 2 * 1.35 * 1.044)
    assert _inputs(e)[:2] == [
        ("ka_r_total", pytest.approx(0.5), "Gy", "sum of event Dose (RP)", False),
        ("events", None, None, "2 with source distance and angle", False),
    ]


def test_upper_bound_full_record() -> None:
    e = _one(_outcome(_report(b.projection_event(dose_rp_gy=0.2))))
    factor = 1.662 * 1.073
    assert e.value.value == pytest.approx(0.2 * factor * 1000.0)
    assert e.upper_bound and e.uncertainty_pct == 0.0
    assert e.method == (
        f"UPPER BOUND (no geometry): PSD <= sum Ka,r x BSF_max x (mu_en/rho)_w/air,max = "
        f"0.2 Gy x {factor:.3g}; all fields on one skin spot, no table attenuation; holds "
        "while the skin is not nearer the source than the reference point and the displayed "
        "Ka,r is accurate (its +/-35 % display tolerance is NOT included)"
    )
    assert "x 1.78;" in e.method
    assert _coefficients(e) == [
        ("BSF (largest tabulated)", 1.662, "1", f"{TABLE} row 3"),
        ("(mu_en/rho) water/air (largest tabulated)", 1.073, "1", f"{TABLE} row 4"),
    ]
    assert _inputs(e) == [
        ("ka_r_total", 0.2, "Gy", "sum of event Dose (RP)", False),
        ("geometry", None, None, "not reported for every event", False),
        ("table_transmission", None, None, "1 (no table attenuation credited in a bound)", True),
    ]


def test_one_event_without_geometry_makes_the_whole_study_a_bound() -> None:
    events = (
        b.projection_event(uid="2.1", dose_rp_gy=0.2, geometry=True),
        b.projection_event(uid="2.2", dose_rp_gy=0.3),
    )
    e = _one(_outcome(_report(*events)))
    assert e.upper_bound
    assert e.value.value == pytest.approx(0.5 * 1.662 * 1.073 * 1000.0)


def test_accumulated_dose_rp_total_when_no_event_has_one() -> None:
    report = _report(b.projection_event(dose_rp_gy=None), accumulated=(0.25, None, 0.5))
    e = _one(_outcome(report))
    assert e.upper_bound
    assert e.value.value == pytest.approx(0.75 * 1.662 * 1.073 * 1000.0)
    assert _inputs(e)[0] == ("ka_r_total", 0.75, "Gy", "accumulated Dose (RP) Total", False)


def test_accumulated_total_in_mgy_is_converted() -> None:
    acc = (AccumulatedProjectionDose(dose_rp_total=b.q(400.0, "mGy")),)
    report = b.report(DoseModality.FLUOROSCOPY, (), accumulated=acc)
    e = _one(_outcome(report))
    assert _inputs(e)[0][:3] == ("ka_r_total", 0.4, "Gy")


@pytest.mark.parametrize("accumulated", [(), (None,)])
def test_no_dose_rp_anywhere_is_refused(accumulated: tuple[float | None, ...]) -> None:
    out = _outcome(_report(b.projection_event(dose_rp_gy=None), accumulated=accumulated))
    assert out.estimates == [] and out.findings == []
    assert [(r.event_uid, r.reason, r.message, r.quantity) for r in out.refused] == [
        (
            None,
            NotEstimatedReason.MISSING_INPUT,
            "peak skin dose: no Dose (RP) in events or accumulated data",
            PSD,
        )
    ]


def _patch_table(
    monkeypatch: pytest.MonkeyPatch, factor: str, verification: Verification | None
) -> None:
    """``skin_dose_factors`` without the row of ``factor`` (or with it at ``verification``)."""
    real = load_table("skin_dose_factors")
    rows = tuple(
        (dataclasses.replace(r, verification=verification) if verification else None)
        if r.get("factor") == factor
        else r
        for r in real.rows
    )
    table = ReferenceTable(real.name, real.version, tuple(r for r in rows if r is not None))
    monkeypatch.setattr(fluoroscopy, "load_table", lambda name: table)


_NO_ROW = "skin_dose_factors: no row for factor="
_REFUSED = (
    "skin_dose_factors: the only rows for factor={} are unverified_recall; refused by the "
    "reference policy (allow_indicative=False)"
)


@pytest.mark.parametrize(
    ("factor", "geometry", "prefix"),
    [
        ("backscatter_factor", True, "peak skin dose"),
        ("backscatter_factor", False, "peak skin dose"),
        ("table_pad_transmission", False, "peak skin dose"),
        ("mu_en_ratio_water_air_typical", True, "peak skin dose"),
        ("backscatter_factor_max", False, "peak skin dose bound"),
        ("mu_en_ratio_water_air_max", False, "peak skin dose bound"),
    ],
)
@pytest.mark.parametrize("verification", [None, Verification.UNVERIFIED_RECALL])
def test_a_missing_or_refused_factor_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
    factor: str,
    geometry: bool,
    prefix: str,
    verification: Verification | None,
) -> None:
    _patch_table(monkeypatch, factor, verification)
    out = _outcome(_report(b.projection_event(geometry=geometry)))
    assert out.estimates == [] and out.findings == []
    if verification is None:
        reason, message = NotEstimatedReason.NO_COEFFICIENT, _NO_ROW + factor
    else:
        reason, message = NotEstimatedReason.POLICY_REFUSED, _REFUSED.format(factor)
    assert [(r.event_uid, r.reason, r.message, r.quantity) for r in out.refused] == [
        (None, reason, f"{prefix}: {message}", PSD)
    ]


@pytest.mark.parametrize(
    ("factor", "geometry"),
    [
        ("mu_en_ratio_water_air_typical", False),  # the bound does not use it
        ("backscatter_factor_max", True),  # the phantom estimate does not use them
        ("mu_en_ratio_water_air_max", True),
    ],
)
def test_a_factor_of_the_other_path_is_not_needed(
    monkeypatch: pytest.MonkeyPatch, factor: str, geometry: bool
) -> None:
    _patch_table(monkeypatch, factor, None)
    e = _one(_outcome(_report(b.projection_event(geometry=geometry))))
    assert e.upper_bound is not geometry


# ---------------------------------------------------------------- the beam of one event
def _event(**changes: object) -> ProjectionIrradiationEvent:
    base = dataclasses.replace(
        b.projection_event(dose_rp_gy=0.25), distance_source_to_table_plane=None
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _mm(value: float) -> object:
    return b.q(value, "mm")


@pytest.mark.parametrize(
    ("changes", "rp", "iso"),
    [
        ({"distance_source_to_reference_point": _mm(600)}, 60.0, 75.0),
        ({"distance_source_to_isocenter": _mm(800)}, 65.0, 80.0),
        (
            {
                "distance_source_to_reference_point": _mm(600),
                "distance_source_to_isocenter": _mm(700),
            },
            60.0,
            70.0,
        ),
        # just inside: d_RP > 0 and the isocentre beyond the phantom's side (17 cm)
        (
            {
                "distance_source_to_reference_point": _mm(10),
                "distance_source_to_isocenter": _mm(175),
            },
            1.0,
            17.5,
        ),
    ],
)
def test_beam_distances(changes: dict[str, object], rp: float, iso: float) -> None:
    beam = _beam(_event(**changes))
    assert beam == Beam(
        ka_r_gy=0.25,
        d_rp_cm=rp,
        d_iso_cm=iso,
        primary_angle_deg=0.0,
        field_side_cm=10.0,
        through_table=True,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"dose_rp": None, "distance_source_to_reference_point": _mm(600)},
        {},  # no distance at all (the table plane alone is not used)
        {"distance_source_to_table_plane": _mm(700)},
        {"distance_source_to_reference_point": _mm(0), "distance_source_to_isocenter": _mm(700)},
        {"distance_source_to_isocenter": _mm(150)},  # d_RP = 0
        {"distance_source_to_reference_point": _mm(10), "distance_source_to_isocenter": _mm(170)},
        {"distance_source_to_reference_point": _mm(20)},  # isocentre 17 cm: inside the skin
        {"distance_source_to_isocenter": _mm(165)},  # d_RP 1.5 cm but isocentre 16.5 cm
    ],
)
def test_no_beam_without_a_usable_distance(changes: dict[str, object]) -> None:
    assert _beam(_event(**changes)) is None


def test_beam_dose_in_mgy_and_angles() -> None:
    beam = _beam(
        _event(
            dose_rp=b.q(250.0, "mGy"),
            distance_source_to_reference_point=_mm(600),
            positioner_primary_angle=b.q(30.0, "deg"),
            positioner_secondary_angle=b.q(-20.0, "deg"),
        )
    )
    assert beam is not None
    assert (beam.ka_r_gy, beam.primary_angle_deg, beam.through_table) == (0.25, 30.0, True)
    none = _beam(
        _event(
            distance_source_to_reference_point=_mm(600),
            positioner_primary_angle=None,
            positioner_secondary_angle=None,
        )
    )
    assert none is not None and (none.primary_angle_deg, none.through_table) == (0.0, True)


@pytest.mark.parametrize(
    ("primary", "secondary", "under"),
    [
        (89.0, 0.0, True),
        (90.0, 0.0, False),
        (90.5, 0.0, False),
        (-90.0, 0.0, False),
        (-89.5, 0.0, True),
        (180.0, 0.0, False),
        (0.0, 89.5, True),
        (0.0, 90.0, False),
        (0.0, 90.5, False),
        (0.0, -90.0, False),
        (0.0, -45.0, True),
        (120.0, 100.0, False),
    ],
)
def test_tube_under_the_table(primary: float, secondary: float, under: bool) -> None:
    beam = _beam(
        _event(
            distance_source_to_reference_point=_mm(600),
            positioner_primary_angle=b.q(primary, "deg"),
            positioner_secondary_angle=b.q(secondary, "deg"),
        )
    )
    assert beam is not None and beam.through_table is under
    assert beam.primary_angle_deg == primary


def test_field_side_at_the_skin_from_the_collimated_area() -> None:
    # 100 cm2 at the detector (SID 100 cm) -> 10 cm there; at the entry point, 75 - 11 cm
    # from the source: 10 x 64 / 100 = 6.4 cm
    geometry = {"distance_source_to_reference_point": _mm(600)}
    beam = _beam(
        _event(
            collimated_field_area=b.q(100.0, "cm2"),
            distance_source_to_detector=_mm(1000),
            **geometry,
        )
    )
    assert beam is not None and beam.field_side_cm == pytest.approx(6.4)
    in_m2 = _beam(
        _event(
            collimated_field_area=b.q(0.04, "m2"), distance_source_to_detector=_mm(1280), **geometry
        )
    )
    assert in_m2 is not None and in_m2.field_side_cm == pytest.approx(20.0 * 64 / 128)
    for partial in (
        {"collimated_field_area": b.q(100.0, "cm2")},
        {"distance_source_to_detector": _mm(1000)},
    ):
        only = _beam(_event(**partial, **geometry))
        assert only is not None and only.field_side_cm == 10.0
