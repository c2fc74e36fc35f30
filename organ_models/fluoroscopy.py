"""Fluoroscopy / interventional: effective dose from KAP and peak skin dose from Ka,r.

* E per event = c(procedure) x KAP; verified coefficients exist for cardiology only
  (coronary angiography, PCI; per-event by added Cu filtration when the RDSR gives it).
  Other procedures' coefficients are unverified: refused by default.
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

from dosewatch.domain.codes import COPPER_KEYS, code_key
from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import (
    EstimateQuantity,
    NotEstimatedReason,
    WeightBasis,
)
from dosewatch.domain.report import DoseReport, ProjectionIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    assumed,
    build,
    has_keyword,
    qty,
    refusal_reason,
    text_input,
    words,
)
from organ_models.patient import Patient, age_band
from organ_models.skin_phantom import (
    DEFAULT_FIELD_SIDE_CM,
    SEMI_AXIS_AP_CM,
    SEMI_AXIS_LATERAL_CM,
    Beam,
    peak_skin_dose_gy,
)
from organ_models.tables import ReferencePolicy, ReferenceRow, load_table

EFFECTIVE = ModelInfo(
    model_id="rf.effective.kap",
    version="1.0.0",
    modality="RF",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=("fluoro_conversion",),
    formula="E = c(procedure[, Cu filtration]) x KAP",
)
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

E_PCT = 30.0
PSD_GEOMETRY_PCT = 50.0
#: an upper bound is not a point with a spread: no uncertainty is attached to it (the JSON
#: and views say "upper bound"); what the bound omits is stated in its method
PSD_BOUND_PCT = 0.0

#: keyword prefixes -> fluoro_conversion procedure (the verified cardiology rows)
PROCEDURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("pci", "ptca", "angioplast", "stent"), "PCI"),
    (("coro", "coronar", "cardiac", "cardio"), "coronary_angiography"),
    (("tips",), "TIPS"),
    (("embolisation", "embolization", "uae"), "uterine_artery_embolisation"),
    (("chemoembol", "tace"), "hepatic_chemoembolisation"),
    (("cerebral", "neuro", "anevrism", "aneurysm"), "cerebral_angiography_embolisation"),
    (("lavement", "enema"), "barium_enema"),
    (("swallow", "tog", "oesophag", "esophag", "transit"), "barium_swallow_meal"),
)
CARDIAC = frozenset({"PCI", "coronary_angiography"})
#: device implantation (pacemaker, defibrillator): no verified E/KAP; never coronary factors
DEVICE_IMPLANT = ("pacemaker", "pace=", "stimulat", "defibril", "icd=", "crt=", "resynchro")
CU_LEVELS_MM = (0.0, 0.1, 0.4, 0.9)


def procedure_of(report: DoseReport) -> str | None:
    study = report.study
    tokens = words(
        study.study_description, study.requested_procedure_description, study.series_description
    )
    for prefixes, procedure in PROCEDURES:
        if has_keyword(tokens, prefixes):
            return procedure
    return None


def _is_device_implant(report: DoseReport) -> bool:
    study = report.study
    tokens = words(
        study.study_description, study.requested_procedure_description, study.series_description
    )
    return has_keyword(tokens, DEVICE_IMPLANT)


def copper_mm(event: ProjectionIrradiationEvent) -> float | None:
    for f in event.filters:
        if f.material is not None and code_key(f.material) in COPPER_KEYS:
            thickness = f.thickness_maximum or f.thickness_minimum
            if thickness is not None:
                return thickness.value_in("mm")
    return None


_E = EstimateQuantity.EFFECTIVE_DOSE
_PSD = EstimateQuantity.PEAK_SKIN_DOSE


def effective_dose_for_event(
    event: ProjectionIrradiationEvent,
    report: DoseReport,
    settings: EstimationSettings,
    patient: Patient | None = None,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    band = age_band(patient.age_years if patient is not None else None)
    if band != "adult":
        # published paediatric E/KAP are 3-7x the adult ones (issue #13; e.g. paediatric
        # cardiac catheterisation): adult factors would understate a child's E several-fold
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: patient in age band {band}; no verified paediatric E/KAP "
            "coefficient for this procedure in the reference tables (adult factors would "
            "understate a child's E 3-7x)",
            _E,
        )
        return out
    if event.dose_area_product is None:
        out.refuse(
            uid,
            NotEstimatedReason.MISSING_INPUT,
            "effective dose: no Dose Area Product in the event",
            _E,
        )
        return out
    procedure = procedure_of(report)
    if procedure is None or _is_device_implant(report):
        out.refuse(
            uid,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "effective dose: procedure type not recognised from the study "
            "description (E/KAP coefficients are procedure-specific)",
            _E,
        )
        return out
    kap = event.dose_area_product.value_in("Gy.cm2")
    table = load_table("fluoro_conversion")
    cu = copper_mm(event) if procedure in CARDIAC else None
    try:
        if cu is not None:
            level = min(CU_LEVELS_MM, key=lambda x: abs(x - cu))
            row = table.lookup(
                settings.policy,
                record_type="E_per_KAP",
                procedure_or_quantity="cardiac_radiation_event_by_Cu_filtration",
                qualifier=f"Cu={level:.1f} mm",
            )
            how = f"per-event factor for {level:.1f} mm Cu (reported {cu:g} mm)"
        else:
            row = table.lookup(
                settings.policy, record_type="E_per_KAP", procedure_or_quantity=procedure
            )
            how = "procedure factor"
    except ReferenceDataError as exc:
        out.refuse(uid, refusal_reason(exc), f"effective dose: {exc}", _E)
        return out
    c = row.require_value()
    out.estimates.append(
        build(
            EFFECTIVE,
            EstimateQuantity.EFFECTIVE_DOSE,
            c * kap,
            "mSv",
            E_PCT,
            event_uid=uid,
            coefficients=(row.coefficient(f"E/KAP {procedure}"),),
            inputs=(
                qty("kap", kap, "Gy.cm2", "event Dose Area Product"),
                text_input("procedure", f"{procedure} (from description)"),
                text_input("factor", how),
            ),
            method=f"E = c x KAP = {c:g} mSv/(Gy.cm2) x {kap:g} Gy.cm2",
            basis=WeightBasis.ICRP103,
        )
    )
    return out


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
