"""Peak skin dose on an elliptical-cylinder phantom: overlapping fields, not angle bins.

Each event is a beam from a source at ``d_iso`` from the isocentre (at the phantom's axis),
rotated by the positioner primary angle about the patient's long axis (0 deg: tube under
the table, PA). The skin is the phantom's elliptical cross-section (assumed adult trunk
34 cm x 22 cm), sampled every 0.5 deg. A skin point is in a beam's field when it faces the
source and lies within the half-angle of a square field (side at the skin from the
collimated field area when reported, else 10 cm assumed). Dose to a point:

    D = Ka,r x (d_RP / d_point)^2 x BSF x (mu_en/rho)_w/air x T_table (under-table beams)

and the PSD is the largest sum over points. Limits (stated in the estimate): one transverse
plane (table translation and secondary angulation not followed), phantom size assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

#: assumed adult trunk cross-section: semi-axes lateral and antero-posterior (cm)
SEMI_AXIS_LATERAL_CM = 17.0
SEMI_AXIS_AP_CM = 11.0
#: field side at the skin when the RDSR gives no collimated field area (cm)
DEFAULT_FIELD_SIDE_CM = 10.0
STEP_DEG = 0.5


@dataclass(frozen=True, slots=True)
class Beam:
    """One irradiation event as the phantom sees it."""

    ka_r_gy: float
    d_rp_cm: float
    d_iso_cm: float
    primary_angle_deg: float
    field_side_cm: float
    through_table: bool


def _source(beam: Beam) -> tuple[float, float]:
    angle = math.radians(beam.primary_angle_deg)
    # x lateral (patient left positive), y anterior positive; 0 deg: source below (posterior)
    return beam.d_iso_cm * math.sin(angle), -beam.d_iso_cm * math.cos(angle)


@cache
def surface_points(
    a: float = SEMI_AXIS_LATERAL_CM, b: float = SEMI_AXIS_AP_CM, step_deg: float = STEP_DEG
) -> tuple[tuple[float, float, float, float], ...]:
    """(x, y, normal x, normal y) of skin points around the ellipse."""
    points = []
    n = round(360.0 / step_deg)
    for i in range(n):
        t = math.radians(i * step_deg)
        x, y = a * math.cos(t), b * math.sin(t)
        nx, ny = x / (a * a), y / (b * b)
        norm = math.hypot(nx, ny)
        points.append((x, y, nx / norm, ny / norm))
    return tuple(points)


def _merged(beams: list[Beam]) -> list[Beam]:
    """Beams of identical geometry as one beam with their Ka,r summed (dose is linear in it)."""
    merged: dict[tuple[float, float, float, float, bool], float] = {}
    for beam in beams:
        key = (
            beam.d_rp_cm,
            beam.d_iso_cm,
            beam.primary_angle_deg,
            beam.field_side_cm,
            beam.through_table,
        )
        merged[key] = merged.get(key, 0.0) + beam.ka_r_gy
    return [Beam(ka_r, *key) for key, ka_r in merged.items()]


def point_doses(beams: list[Beam], factor: float, table_t: float) -> list[float]:
    """Skin dose (Gy) at every surface point, summed over beams whose field covers it."""
    points = surface_points()
    doses = [0.0] * len(points)
    for beam in _merged(beams):
        sx, sy = _source(beam)
        cx, cy = -sx, -sy
        centre_dist = math.hypot(cx, cy)
        # entry point of the central ray: d_iso minus the phantom radius along it
        entry = centre_dist - _radius_towards(sx, sy)
        cos_half_angle = math.cos(math.atan(beam.field_side_cm / 2.0 / entry))
        weight = beam.ka_r_gy * beam.d_rp_cm**2 * factor
        if beam.through_table:
            weight *= table_t
        for i, (x, y, nx, ny) in enumerate(points):
            vx, vy = x - sx, y - sy
            if nx * -vx + ny * -vy <= 0:  # the point faces away from the source
                continue
            dist2 = vx * vx + vy * vy
            cos_angle = (vx * cx + vy * cy) / (math.sqrt(dist2) * centre_dist)
            if cos_angle < cos_half_angle:  # outside the field's half-angle
                continue
            doses[i] += weight / dist2
    return doses


def _radius_towards(sx: float, sy: float) -> float:
    """Distance from the axis to the ellipse along the direction of the source."""
    norm = math.hypot(sx, sy)
    ux, uy = sx / norm, sy / norm
    return 1.0 / math.sqrt((ux / SEMI_AXIS_LATERAL_CM) ** 2 + (uy / SEMI_AXIS_AP_CM) ** 2)


def peak_skin_dose_gy(beams: list[Beam], factor: float, table_t: float) -> float:
    """The largest point dose on the phantom surface (Gy)."""
    return max(point_doses(beams, factor, table_t), default=0.0)
