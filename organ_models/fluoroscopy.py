"""Fluoroscopy / interventional: peak skin dose from Ka,r (effective dose from KAP is in
:mod:`organ_models.fluoro_effective`).

* Peak skin dose (study level), always an estimate:
  - with a source distance (RP or isocentre) in every event: overlapping fields on an
    elliptical-cylinder phantom (:mod:`organ_models.skin_phantom`), with BSF, the water/air
    energy-absorption ratio, table transmission for under-table beams and the inverse square
    to each skin point;
  - otherwise a conservative **upper bound** ``sum Ka,r x BSF_max x (mu_en/rho)_max``
    (Benmakhlouf 2011: 1.78 x Ka,r; every event on one skin spot, no table attenuation).
"""

from __future__ import annotations

import math

from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import (
    EstimateQuantity,
    NotEstimatedReason,
)
from dosewatch.domain.report import DoseReport, ProjectionIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    assumed,
    build,
    qty,
    refusal_reason,
    text_input,
)
from organ_models.skin_phantom import (
    DEFAULT_FIELD_SIDE_CM,
    SEMI_AXIS_AP_CM,
    SEMI_AXIS_LATERAL_CM,
    Beam,
    peak_skin_dose_gy,
)
from organ_models.tables import ReferencePolicy, ReferenceRow, load_table

SKIN = ModelInfo(
    model_id="rf.skin.psd",
    version="1.0.0",
    modality="RF",
    quantities=(EstimateQuantity.PEAK_SKIN_DOSE,),
    tables=("skin_dose_factors",),
    formula="PSD = sum Ka,r x BSF x T_table x (d_RP/d_skin)^2 (max over projections), "
    "else upper bound sum Ka,r x BSF_max x T_max",
    defaults=("reference point 15 cm toward the source from the isocentre when not reported",),
)

PSD_GEOMETRY_PCT = 50.0
#: an upper bound is not a point with a spread: no uncertainty is attached to it (the JSON
#: and views say "upper bound"); what the bound omits is stated in its method
PSD_BOUND_PCT = 0.0

_PSD = EstimateQuantity.PEAK_SKIN_DOSE


def skin_factor(name: str, policy: ReferencePolicy) -> ReferenceRow:
    return load_table("skin_dose_factors").lookup(policy, factor=name)


def _beam(event: ProjectionIrradiationEvent) -> Beam | None:
    """The event on the phantom, or None without a source distance (RP or isocentre)."""
    if event.dose_rp is None:
        return None
    d_rp = event.distance_source_to_reference_point
    d_iso = event.distance_source_to_isocenter
    if d_rp is None and d_iso is None:
        return None
    # IEC 60601-2-43 interventional reference point: 15 cm from the isocentre toward the source
    rp_cm = d_rp.value_in("cm") if d_rp is not None else d_iso.value_in("cm") - 15.0  # type: ignore[union-attr]
    iso_cm = d_iso.value_in("cm") if d_iso is not None else rp_cm + 15.0
    if rp_cm <= 0 or iso_cm <= SEMI_AXIS_LATERAL_CM:
        return None
    primary = event.positioner_primary_angle
    secondary = event.positioner_secondary_angle
    p = primary.value if primary is not None else 0.0
    sec = secondary.value if secondary is not None else 0.0
    side = DEFAULT_FIELD_SIDE_CM
    sid = event.distance_source_to_detector
    if event.collimated_field_area is not None and sid is not None:
        entry = iso_cm - SEMI_AXIS_AP_CM
        side = math.sqrt(event.collimated_field_area.value_in("cm2")) * entry / sid.value_in("cm")
    return Beam(
        ka_r_gy=event.dose_rp.value_in("Gy"),
        d_rp_cm=rp_cm,
        d_iso_cm=iso_cm,
        primary_angle_deg=p,
        field_side_cm=side,
        through_table=abs(p) < 90.0 and abs(sec) < 90.0,
    )


def peak_skin_dose(report: DoseReport, settings: EstimationSettings) -> Outcome:
    out = Outcome()
    events = [e for e in report.events if isinstance(e, ProjectionIrradiationEvent)]
    with_kar = [e for e in events if e.dose_rp is not None]
    total_kar = sum(e.dose_rp.value_in("Gy") for e in with_kar if e.dose_rp is not None)
    source = "sum of event Dose (RP)"
    if not with_kar:
        totals = [
            a.dose_rp_total.value_in("Gy")
            for a in report.projection_accumulated
            if a.dose_rp_total is not None
        ]
        if not totals:
            out.refuse(
                None,
                NotEstimatedReason.MISSING_INPUT,
                "peak skin dose: no Dose (RP) in events or accumulated data",
                _PSD,
            )
            return out
        total_kar = sum(totals)
        source = "accumulated Dose (RP) Total"
    try:
        bsf = skin_factor("backscatter_factor", settings.policy)
        table_t = skin_factor("table_pad_transmission", settings.policy)
    except ReferenceDataError as exc:
        out.refuse(None, refusal_reason(exc), f"peak skin dose: {exc}", _PSD)
        return out
    beams = [_beam(e) for e in with_kar]
    if with_kar and all(beam is not None for beam in beams):
        try:
            med = skin_factor("mu_en_ratio_water_air_typical", settings.policy)
        except ReferenceDataError as exc:
            out.refuse(None, refusal_reason(exc), f"peak skin dose: {exc}", _PSD)
            return out
        b, t, f = bsf.require_value(), table_t.require_value(), med.require_value()
        psd_gy = peak_skin_dose_gy([x for x in beams if x is not None], b * f, t)
        out.estimates.append(
            build(
                SKIN,
                EstimateQuantity.PEAK_SKIN_DOSE,
                psd_gy * 1000.0,
                "mGy",
                PSD_GEOMETRY_PCT,
                event_uid=None,
                coefficients=(
                    bsf.coefficient("BSF"),
                    table_t.coefficient("T_table"),
                    med.coefficient("(mu_en/rho) water/air"),
                ),
                inputs=(
                    qty("ka_r_total", total_kar, "Gy", source),
                    text_input("events", f"{len(with_kar)} with source distance and angle"),
                    assumed(
                        "phantom",
                        f"elliptical cylinder {2 * SEMI_AXIS_LATERAL_CM:g} x "
                        f"{2 * SEMI_AXIS_AP_CM:g} cm (adult trunk), axis at the isocentre",
                    ),
                ),
                method="ESTIMATE (phantom, no skin map from the device): PSD = max over skin "
                "points of sum Ka,r x (d_RP/d_point)^2 x BSF x (mu_en/rho)_w/air x T_table "
                "(under-table beams); overlapping fields add; one transverse plane (table "
                "translation and secondary angulation not followed)",
            )
        )
        return out
    try:
        bsf_max = skin_factor("backscatter_factor_max", settings.policy)
        med_max = skin_factor("mu_en_ratio_water_air_max", settings.policy)
    except ReferenceDataError as exc:
        out.refuse(None, refusal_reason(exc), f"peak skin dose bound: {exc}", _PSD)
        return out
    b_max, f_max = bsf_max.require_value(), med_max.require_value()
    factor = b_max * f_max
    out.estimates.append(
        build(
            SKIN,
            EstimateQuantity.PEAK_SKIN_DOSE,
            total_kar * factor * 1000.0,
            "mGy",
            PSD_BOUND_PCT,
            event_uid=None,
            coefficients=(
                bsf_max.coefficient("BSF (largest tabulated)"),
                med_max.coefficient("(mu_en/rho) water/air (largest tabulated)"),
            ),
            inputs=(
                qty("ka_r_total", total_kar, "Gy", source),
                text_input("geometry", "not reported for every event"),
                assumed("table_transmission", "1 (no table attenuation credited in a bound)"),
            ),
            method="UPPER BOUND (no geometry): PSD <= sum Ka,r x BSF_max x (mu_en/rho)_w/air,max"
            f" = {total_kar:g} Gy x {factor:.3g}; all fields on one skin spot, no table "
            "attenuation; holds while the skin is not nearer the source than the reference "
            "point and the displayed Ka,r is accurate (its +/-35 % display tolerance is NOT "
            "included)",
            upper_bound=True,
        )
    )
    return out
