"""Mammography: glandular dose per breast.

The reported Average Glandular Dose (DCM 111631) of each event is kept as the glandular
(breast) dose. When it is absent, the Dance model ``AGD = K x g x c x s`` is applied with
K = Entrance Exposure at RP (incident air kerma, no backscatter), g interpolated in HVL and
compressed thickness (Dance 1990/2000, 50 % glandularity), c = 1 (50 % glandularity assumed:
the c tables were not retrieved) and s by target/filter. Tomosynthesis needs the T factor,
which is not tabulated: such events without a reported AGD are refused.
"""

from __future__ import annotations

import itertools

from dosewatch.domain.codes import (
    ALUMINUM_KEYS,
    LEFT,
    LEFT_BREAST,
    MOLYBDENUM_KEYS,
    RHODIUM_KEYS,
    RIGHT,
    RIGHT_BREAST,
    SILVER_KEYS,
    TUNGSTEN_KEYS,
    CodeKey,
    code_key,
    same,
)
from dosewatch.domain.errors import UnitError
from dosewatch.domain.estimate import EstimateOrigin, EstimateQuantity, NotEstimatedReason
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import MammographyIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    assumed,
    build,
    finding,
    has_keyword,
    qty,
    text_input,
    words,
)
from organ_models.organs import TISSUE_CODES, Code
from organ_models.tables import ReferenceRow, load_table

REPORTED = ModelInfo(
    model_id="mg.agd.reported",
    version="1.0.0",
    modality="MG",
    quantities=(EstimateQuantity.ORGAN_DOSE,),
    tables=(),
    formula="glandular dose = reported Average Glandular Dose (DCM 111631)",
)
DANCE = ModelInfo(
    model_id="mg.agd.dance",
    version="1.0.0",
    modality="MG",
    quantities=(EstimateQuantity.ORGAN_DOSE,),
    tables=("mammography_dance",),
    formula="AGD = K x g(HVL, thickness) x c x s(target/filter)",
    defaults=("c = 1 (50 % glandularity)", "K = Entrance Exposure at RP"),
)

REPORTED_PCT = 30.0  # Dance slab models vs heterogeneous breasts: about 30 %
DANCE_PCT = 40.0

_MATERIALS: tuple[tuple[frozenset[CodeKey], str], ...] = (
    (MOLYBDENUM_KEYS, "Mo"),
    (RHODIUM_KEYS, "Rh"),
    (TUNGSTEN_KEYS, "W"),
    (SILVER_KEYS, "Ag"),
    (ALUMINUM_KEYS, "Al"),
)


def _symbol(code: Code | None) -> str | None:
    if code is None:
        return None
    key = code_key(code)
    for keys, symbol in _MATERIALS:
        if key in keys:
            return symbol
    return None


def target_filter(event: MammographyIrradiationEvent) -> str | None:
    target = _symbol(event.anode_target_material)
    filters = [s for f in event.filters if (s := _symbol(f.material)) is not None]
    if target is None or not filters:
        return None
    return f"{target}/{filters[0]}"


def breast_code(event: MammographyIrradiationEvent) -> Code:
    if same(event.laterality, RIGHT):
        return RIGHT_BREAST
    if same(event.laterality, LEFT):
        return LEFT_BREAST
    return TISSUE_CODES["breast"]


#: CID 10002 Irradiation Event Type "113613 Rotational Acquisition": a tomosynthesis sweep
ROTATIONAL_ACQUISITION = ("DCM", "113613")
STATIONARY_ACQUISITION = ("DCM", "113611")
#: reported AGD and Dance disagreeing by more than this are flagged (issue #13 item 11)
DANCE_CROSS_CHECK_LIMIT = 0.25


def _is_tomo(event: MammographyIrradiationEvent) -> tuple[bool, str]:
    """(tomosynthesis?, how decided): the event type code first, keywords only without it."""
    if event.event_type is not None:
        key = code_key(event.event_type)
        if key == ROTATIONAL_ACQUISITION:
            return True, "Irradiation Event Type 113613 Rotational Acquisition"
        return False, f"Irradiation Event Type {event.event_type.value}"
    tomo = has_keyword(words(event.acquisition_protocol, event.comment), ("tomo", "dbt", "3d"))
    return tomo, "protocol keywords (no Irradiation Event Type)"


def hvl_mm_al(event: MammographyIrradiationEvent) -> float | None:
    """Half value layer in mm Al: ``mm[Al]`` as sent, or a length unit taken as mm of Al."""
    hvl = event.half_value_layer
    if hvl is None:
        return None
    if hvl.unit == "mm[Al]":
        return hvl.value
    try:
        return hvl.value_in("mm")
    except UnitError:
        return None


def g_factor(hvl_mm: float, thickness_cm: float, rows: list[ReferenceRow]) -> float:
    """Bilinear interpolation of g in HVL and thickness (no extrapolation)."""
    grid: dict[tuple[float, float], float] = {}
    for r in rows:
        h, t = r.number("hvl_mmAl_or_phantom"), r.number("breast_thickness_cm")
        if h is not None and t is not None:
            grid[(h, t)] = r.require_value()
    hvls = sorted({h for h, _ in grid})
    thick = sorted({t for _, t in grid})
    if not (hvls[0] <= hvl_mm <= hvls[-1] and thick[0] <= thickness_cm <= thick[-1]):
        raise ValueError(
            f"HVL {hvl_mm} mm Al / thickness {thickness_cm} cm outside the g table "
            f"({hvls[0]}-{hvls[-1]} mm, {thick[0]}-{thick[-1]} cm)"
        )

    def bracket(values: list[float], x: float) -> tuple[float, float]:
        for lo, hi in itertools.pairwise(values):
            if lo <= x <= hi:
                return lo, hi
        return values[-1], values[-1]

    h0, h1 = bracket(hvls, hvl_mm)
    t0, t1 = bracket(thick, thickness_cm)
    fh = 0.0 if h1 == h0 else (hvl_mm - h0) / (h1 - h0)
    ft = 0.0 if t1 == t0 else (thickness_cm - t0) / (t1 - t0)
    g00, g10 = grid[(h0, t0)], grid[(h1, t0)]
    g01, g11 = grid[(h0, t1)], grid[(h1, t1)]
    return (g00 * (1 - fh) + g10 * fh) * (1 - ft) + (g01 * (1 - fh) + g11 * fh) * ft


_Q = EstimateQuantity.ORGAN_DOSE


def glandular_dose_for_event(
    event: MammographyIrradiationEvent, settings: EstimationSettings
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    organ = breast_code(event)
    tomo, tomo_how = _is_tomo(event)
    dance = Outcome() if tomo else _dance(event, settings, organ)
    if event.average_glandular_dose is not None:
        agd = event.average_glandular_dose.value_in("mGy")
        findings = []
        if dance.estimates and agd > 0:
            computed = dance.estimates[0].value.value
            diff = abs(computed - agd) / agd
            if diff > DANCE_CROSS_CHECK_LIMIT:
                findings.append(
                    finding(
                        FindingCode.MODEL_AGD_DANCE_DISAGREES,
                        f"reported AGD {agd:.3g} mGy and Dance AGD {computed:.3g} mGy differ by "
                        f"{diff:.0%} (> {DANCE_CROSS_CHECK_LIMIT:.0%})",
                    )
                )
        out.findings.extend(findings)
        out.estimates.append(
            build(
                REPORTED,
                EstimateQuantity.ORGAN_DOSE,
                agd,
                "mGy",
                REPORTED_PCT,
                event_uid=uid,
                organ=organ,
                coefficients=(),
                inputs=(
                    qty("average_glandular_dose", agd, "mGy", "reported by the device"),
                    text_input(
                        "acquisition", ("tomosynthesis" if tomo else "2D") + f" ({tomo_how})"
                    ),
                ),
                method="glandular dose = reported AGD (device Dance-type model)"
                + ("" if not dance.estimates else "; cross-checked against Dance"),
                origin=EstimateOrigin.REPORTED,
                findings=findings,
            )
        )
        return out
    if tomo:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            "glandular dose: tomosynthesis without reported AGD (Dance T factor not tabulated; "
            f"tomosynthesis from {tomo_how})",
            _Q,
        )
        return out
    return dance


def _dance(
    event: MammographyIrradiationEvent, settings: EstimationSettings, organ: Code
) -> Outcome:
    """Dance AGD = K x g x c x s of a 2D event, or the reason why not."""
    out = Outcome()
    uid = event.irradiation_event_uid
    hvl = hvl_mm_al(event)
    missing = [
        name
        for name, value in (
            ("Entrance Exposure at RP", event.entrance_exposure_at_rp),
            ("Half Value Layer (mm Al)", hvl),
            ("Compression Thickness", event.compression_thickness),
        )
        if value is None
    ]
    tf = target_filter(event)
    if tf is None:
        missing.append("target/filter")
    if missing or tf is None or hvl is None:
        out.refuse(
            uid,
            NotEstimatedReason.MISSING_INPUT,
            f"glandular dose: no reported AGD and Dance inputs missing: {', '.join(missing)}",
            _Q,
        )
        return out
    assert event.entrance_exposure_at_rp is not None  # checked above
    assert event.compression_thickness is not None
    table = load_table("mammography_dance")
    policy = settings.policy
    s_rows = table.select(policy, record_type="s_factor", target_filter=tf)
    if not s_rows:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"glandular dose: no usable s factor for {tf}",
            _Q,
        )
        return out
    k = event.entrance_exposure_at_rp.value_in("mGy")
    thickness = event.compression_thickness.value_in("cm")
    g_rows = table.select(policy, record_type="g_factor")
    try:
        g = g_factor(hvl, thickness, g_rows)
    except ValueError as exc:
        out.refuse(uid, NotEstimatedReason.NO_COEFFICIENT, f"glandular dose: {exc}", _Q)
        return out
    s = s_rows[0].require_value()
    out.estimates.append(
        build(
            DANCE,
            EstimateQuantity.ORGAN_DOSE,
            k * g * s,
            "mGy",
            DANCE_PCT,
            event_uid=uid,
            organ=organ,
            coefficients=(
                s_rows[0].coefficient(f"s {tf}"),
                g_rows[0].coefficient("g (interpolated)", g, "mGy/mGy"),
            ),
            inputs=(
                qty("K", k, "mGy", "Entrance Exposure at RP"),
                qty("hvl", hvl, "mm[Al]", "Half Value Layer"),
                qty("thickness", thickness, "cm", "Compression Thickness"),
                text_input("target_filter", tf),
                assumed("c", "c = 1: 50 % glandularity (c tables not retrieved)"),
            ),
            method=f"AGD = K x g x c x s = {k:g} x {g:.4f} x 1 x {s:g}",
        )
    )
    return out
