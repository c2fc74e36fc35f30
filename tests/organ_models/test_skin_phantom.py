"""The elliptical-cylinder skin phantom: surface, beam geometry, field coverage and the
inverse-square point dose, each against a hand formula (#15).

Phantom (module docstring of ``organ_models.skin_phantom``): adult trunk 34 cm x 22 cm
(semi-axes 17 cm lateral, 11 cm antero-posterior), skin sampled every 0.5 deg (720 points);
source at ``d_iso`` from the axis, 0 deg under the table (posterior); a point is in the field
when it faces the source and lies within atan(side / 2 / entry) of the central ray, entry =
d_iso minus the phantom radius toward the source; ``D = Ka,r (d_RP/d)^2 x factor [x T]``.
"""

from __future__ import annotations

import math

import pytest

from organ_models.skin_phantom import (
    DEFAULT_FIELD_SIDE_CM,
    SEMI_AXIS_AP_CM,
    SEMI_AXIS_LATERAL_CM,
    STEP_DEG,
    Beam,
    peak_skin_dose_gy,
    point_doses,
    surface_points,
)

A, B = 17.0, 11.0


def _beam(
    angle: float = 0.0,
    ka: float = 1.0,
    d_rp: float = 60.0,
    d_iso: float = 75.0,
    side: float = 10.0,
    table: bool = False,
) -> Beam:
    return Beam(ka, d_rp, d_iso, angle, side, table)


def test_phantom_constants() -> None:
    assert (SEMI_AXIS_LATERAL_CM, SEMI_AXIS_AP_CM) == (A, B)
    assert DEFAULT_FIELD_SIDE_CM == 10.0 and STEP_DEG == 0.5


def test_surface_points_lie_on_the_ellipse_with_outward_unit_normals() -> None:
    points = surface_points()
    assert len(points) == 720
    for i, (x, y, nx, ny) in enumerate(points):
        t = math.radians(i * 0.5)
        assert (x, y) == pytest.approx((A * math.cos(t), B * math.sin(t)), abs=1e-12)
        # outward normal of (a cos t, b sin t): (b cos t, a sin t), normalised
        n = math.hypot(B * math.cos(t), A * math.sin(t))
        assert (nx, ny) == pytest.approx((B * math.cos(t) / n, A * math.sin(t) / n), abs=1e-12)
    assert len(surface_points(10.0, 5.0, 90.0)) == 4
    assert surface_points(10.0, 5.0, 90.0)[1][:2] == pytest.approx((0.0, 5.0), abs=1e-12)


def _point_index(x: float, y: float) -> int:
    (i,) = [i for i, p in enumerate(surface_points()) if math.hypot(p[0] - x, p[1] - y) < 1e-9]
    return i


def test_a_pa_beam_peaks_at_the_posterior_skin_by_the_inverse_square() -> None:
    # source 75 cm below the axis, skin at 11 cm: 64 cm; d_RP 60 cm; factor 1.4, T 0.8
    doses = point_doses([_beam(table=True)], 1.4, 0.8)
    peak = max(doses)
    assert peak == pytest.approx(1.0 * (60.0 / 64.0) ** 2 * 1.4 * 0.8)
    assert doses.index(peak) == _point_index(0.0, -B)
    assert doses[_point_index(0.0, B)] == 0.0  # the anterior skin faces away
    # without the table the transmission does not apply
    assert peak_skin_dose_gy([_beam()], 1.4, 0.8) == pytest.approx((60.0 / 64.0) ** 2 * 1.4)


def test_a_lateral_beam_peaks_at_the_side_of_the_phantom() -> None:
    # 90 deg: the source on the patient's left at 75 cm, skin at 17 cm: 58 cm
    doses = point_doses([_beam(angle=90.0, d_rp=50.0)], 1.0, 0.5)
    peak = max(doses)
    assert peak == pytest.approx((50.0 / 58.0) ** 2)
    assert doses.index(peak) == _point_index(A, 0.0)
    left = point_doses([_beam(angle=-90.0, d_rp=50.0)], 1.0, 0.5)
    assert left.index(max(left)) == _point_index(-A, 0.0)


def _expected_doses(beam: Beam, factor: float) -> list[float]:
    """The docstring's rule written in polar form, independently of the module."""
    angle = math.radians(beam.primary_angle_deg)
    sx, sy = beam.d_iso_cm * math.sin(angle), -beam.d_iso_cm * math.cos(angle)
    # polar radius of the ellipse toward the source: a b / sqrt((b cos phi)^2 + (a sin phi)^2)
    phi = math.atan2(sy, sx)
    radius = A * B / math.hypot(B * math.cos(phi), A * math.sin(phi))
    half = math.atan(beam.field_side_cm / 2.0 / (beam.d_iso_cm - radius))
    doses = []
    for x, y, nx, ny in surface_points():
        to_source = (sx - x, sy - y)
        d = math.hypot(*to_source)
        faces = nx * to_source[0] + ny * to_source[1] > 0
        off_axis = math.acos(
            max(-1.0, min(1.0, ((x - sx) * -sx + (y - sy) * -sy) / (d * beam.d_iso_cm)))
        )
        inside = off_axis <= half + 1e-12
        doses.append(beam.ka_r_gy * (beam.d_rp_cm / d) ** 2 * factor if faces and inside else 0)
    return doses


@pytest.mark.parametrize(
    "beam",
    [
        _beam(),
        _beam(angle=30.0, side=6.0),
        _beam(angle=-45.0, d_iso=70.0, d_rp=55.0),
        _beam(angle=120.0, side=20.0),
        _beam(angle=90.0),
        # a very wide field: coverage is limited by the skin that faces the source
        _beam(angle=45.0, side=400.0),
        _beam(angle=0.0, side=400.0),
    ],
)
def test_point_doses_follow_the_field_and_the_inverse_square(beam: Beam) -> None:
    doses = point_doses([beam], 1.2, 0.8)
    expected = _expected_doses(beam, 1.2)
    covered = [i for i, d in enumerate(doses) if d > 0]
    assert covered == [i for i, d in enumerate(expected) if d > 0]
    assert len(covered) >= 5
    assert doses == pytest.approx(expected, rel=1e-9, abs=0.0)


def test_field_width_at_the_skin_of_a_pa_beam() -> None:
    # 10 cm at the entry point (64 cm from the source): half-angle atan(5/64), so the skin
    # within about 5 cm of the midline is covered; a 4 cm field: about 2 cm
    doses = point_doses([_beam()], 1.0, 1.0)
    xs = [p[0] for p, d in zip(surface_points(), doses, strict=True) if d > 0]
    assert 4.5 < max(xs) < 5.5 and -5.5 < min(xs) < -4.5
    narrow = point_doses([_beam(side=4.0)], 1.0, 1.0)
    xs = [p[0] for p, d in zip(surface_points(), narrow, strict=True) if d > 0]
    assert 1.5 < max(xs) < 2.5


def test_identical_beams_are_merged_and_add() -> None:
    one = point_doses([_beam(ka=0.7)], 1.0, 1.0)
    two = point_doses([_beam(ka=0.3), _beam(ka=0.4)], 1.0, 1.0)
    assert two == pytest.approx(one, rel=1e-12)
    # a different geometry is not merged: the fields add only where they overlap
    apart = point_doses([_beam(ka=0.3), _beam(ka=0.4, angle=90.0)], 1.0, 1.0)
    assert max(apart) == pytest.approx(0.4 * (60.0 / 58.0) ** 2)
    both_tables = point_doses([_beam(ka=0.3), _beam(ka=0.4, table=True)], 1.0, 0.5)
    assert max(both_tables) == pytest.approx((0.3 + 0.4 * 0.5) * (60.0 / 64.0) ** 2)


def test_no_beam_gives_zero() -> None:
    assert peak_skin_dose_gy([], 1.0, 1.0) == 0.0
    assert point_doses([], 1.0, 1.0) == [0.0] * 720


def test_the_central_ray_is_in_the_field_down_to_a_pinhole() -> None:
    # in this model a point's dose does not depend on the field size: as the field shrinks to
    # nothing (a collimated area of 0) the central-ray point keeps its inverse-square dose
    doses = point_doses([_beam(side=0.0)], 1.0, 1.0)
    assert [i for i, d in enumerate(doses) if d > 0] == [_point_index(0.0, -B)]
    assert max(doses) == pytest.approx((60.0 / 64.0) ** 2)
