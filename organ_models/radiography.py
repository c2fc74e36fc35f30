"""Projection radiography (DX/CR): effective dose from KAP and entrance surface dose.

* E per event = c(body region) x KAP, adults (>= 16 y): HPA-CRCE-028 Table 7 (Wall et al.
  2011) E per unit DAP per body region, as transcribed with its citation in a regional
  medical-physics repository (``radiography_e_per_kap_hpa_crce_028.csv``,
  ``verified_secondary``). Every estimate says "secondary source" and carries the wider
  uncertainty of a region-level factor (projections not separated). Children are refused:
  the report's age-dependent tables were not found.
* Entrance surface dose per event = Dose (RP) x BSF, where the RDSR gives Dose (RP)
  (incident air kerma at the reference point taken as the skin entrance; +20 % for that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dosewatch.domain.codes import code_key
from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import EstimateQuantity, NotEstimatedReason, WeightBasis
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import DoseReport, ProjectionIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    assumed,
    build,
    combine_pct,
    finding,
    has_keyword,
    patient_inputs,
    qty,
    refusal_reason,
    text_input,
    words,
)
from organ_models.fluoroscopy import skin_factor
from organ_models.patient import Patient
from organ_models.tables import load_table

E_TABLE: Final = "radiography_e_per_kap_hpa_crce_028"
EFFECTIVE = ModelInfo(
    model_id="dx.effective.kap",
    version="2.0.0",
    modality="DX",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=(E_TABLE,),
    formula="E = c(body region) x KAP (HPA-CRCE-028 Table 7, adult, secondary source)",
    defaults=(
        "adult when the age is unknown",
        "ICRP 103 weighting of HPA-CRCE-028 (not restated by the transcription)",
    ),
)
ESD = ModelInfo(
    model_id="dx.esd.dose_rp",
    version="1.0.0",
    modality="DX",
    quantities=(EstimateQuantity.ENTRANCE_SURFACE_DOSE,),
    tables=("skin_dose_factors",),
    formula="ESD = Dose (RP) x BSF",
)

#: one patient, one projection of the region: E/KAP of one projection vs the region mean
#: differs by up to a factor ~2 (chest PA vs lateral), plus patient size
E_PCT = 50.0
#: a secondary transcription, not compared with the report itself
SECONDARY_PCT = 25.0
AGE_DEFAULT_PCT = 20.0
#: HPA-CRCE-028 adult factors apply from 16 y (as the transcribing code applies them)
ADULT_FROM_YEARS = 16.0

#: exam -> ``exam_or_organ`` prefix of the HPA-CRCE-028 Table 7 row
HPA_REGION: Final[Mapping[str, str]] = {
    "skull": "Head",
    "cervical_spine": "Cervical spine",
    "shoulder": "Shoulder",
    "chest": "Chest",
    "thoracic_spine": "Thoracic spine",
    "lumbar_spine": "Lumbar spine",
    "abdomen": "Abdomen",
    "pelvis": "Pelvis",
    "hip": "Hip",
    "femur": "Femur",
    "knee": "Knee",
    "foot": "Foot",
}

#: anatomical structure codes (SCT, SRT normalised) -> exam
EXAM_BY_CODE: dict[tuple[str, str], str] = {
    ("SCT", "51185008"): "chest",
    ("SCT", "43799004"): "chest",
    ("SCT", "113345001"): "abdomen",
    ("SCT", "818981001"): "abdomen",
    ("SCT", "12921003"): "pelvis",
    ("SCT", "816092008"): "pelvis",
    ("SCT", "122496007"): "lumbar_spine",
    ("SCT", "122495006"): "thoracic_spine",
    ("SCT", "122494005"): "cervical_spine",
    ("SCT", "89546000"): "skull",
    ("SCT", "69536005"): "skull",  # Head
    ("SCT", "16982005"): "shoulder",
    ("SCT", "29836001"): "hip",
    ("SCT", "71341001"): "femur",
    ("SCT", "72696002"): "knee",
    ("SCT", "56459004"): "foot",
}
#: protocol / description keywords (English and French); ``word=`` matches whole words
EXAM_KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("lomb", "lumbar"), "lumbar_spine"),
    (("dors", "thoracic"), "thoracic_spine"),
    (("cervic",), "cervical_spine"),
    (("crane", "crâne", "skull"), "skull"),
    (("thorax", "chest", "pulm", "poumon"), "chest"),
    (("abdo", "asp"), "abdomen"),
    (("bassin", "pelvis"), "pelvis"),
    (("epaule", "épaule", "shoulder"), "shoulder"),
    (("hanche", "hip="), "hip"),
    (("femur", "fémur", "cuisse"), "femur"),
    (("genou", "knee"), "knee"),
    (("pied", "foot", "feet"), "foot"),
)


def exam_of(event: ProjectionIrradiationEvent, report: DoseReport) -> str | None:
    if event.anatomical_structure is not None:
        exam = EXAM_BY_CODE.get(code_key(event.anatomical_structure))
        if exam is not None:
            return exam
    tokens = words(event.acquisition_protocol, report.study.study_description)
    for prefixes, exam in EXAM_KEYWORDS:
        if has_keyword(tokens, prefixes):
            return exam
    return None


_E = EstimateQuantity.EFFECTIVE_DOSE
_ESD = EstimateQuantity.ENTRANCE_SURFACE_DOSE


def effective_dose_for_event(
    event: ProjectionIrradiationEvent,
    report: DoseReport,
    settings: EstimationSettings,
    patient: Patient | None = None,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    patient = patient if patient is not None else Patient()
    if patient.age_years is not None and patient.age_years < ADULT_FROM_YEARS:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: patient {patient.age_years:g} y; no paediatric radiography E/KAP "
            "in the reference data (HPA-CRCE-028 age-dependent tables not found; the adult "
            "factors apply from 16 y)",
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
    exam = exam_of(event, report)
    if exam is None:
        out.refuse(
            uid,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "effective dose: radiographic exam not recognised (anatomical "
            "structure code or protocol keywords)",
            _E,
        )
        return out
    region = HPA_REGION[exam]
    matching = [
        r
        for r in load_table(E_TABLE).rows
        if r.get("topic") == "radiography_E_per_KAP"
        and r.get("exam_or_organ").split(" (")[0] == region
    ]
    rows = [r for r in matching if settings.policy.admits(r.verification) and r.value is not None]
    if not rows:
        refused = any(r.verification.indicative for r in matching)
        out.refuse(
            uid,
            NotEstimatedReason.POLICY_REFUSED if refused else NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: no usable E/KAP for {region} in HPA-CRCE-028 Table 7 ({E_TABLE}.csv)",
            _E,
        )
        return out
    (row,) = rows
    c = row.require_value()
    kap = event.dose_area_product.value_in("Gy.cm2")
    parts = [E_PCT, SECONDARY_PCT]
    if patient.age_years is None:
        parts.append(AGE_DEFAULT_PCT)
    out.estimates.append(
        build(
            EFFECTIVE,
            EstimateQuantity.EFFECTIVE_DOSE,
            c * kap,
            "mSv",
            combine_pct(*parts),
            event_uid=uid,
            coefficients=(
                row.coefficient(f"E/KAP {region} (HPA-CRCE-028 Table 7)", unit="mSv/(Gy.cm2)"),
            ),
            inputs=(
                qty("kap", kap, "Gy.cm2", "event Dose Area Product"),
                text_input("exam", f"{exam} -> body region {region}"),
                *patient_inputs(patient),
                assumed(
                    "projection",
                    "not used: Table 7 gives one factor per body region (projections not "
                    "separated)",
                ),
                assumed(
                    "weighting_basis",
                    "ICRP 103 (HPA-CRCE-028 computes E with ICRP 103 w_T); not restated by the "
                    "transcription",
                ),
            ),
            method=f"E = c x KAP = {c:g} mSv/(Gy.cm2) x {kap:g} Gy.cm2 (SECONDARY SOURCE: "
            "HPA-CRCE-028 Table 7 as transcribed in github:rvbCMTS/rvbrtg, not compared with "
            "the report; adult, per body region)",
            basis=WeightBasis.ICRP103,
        )
    )
    return out


#: CID 10025 Radiation Reference Point "113941 In Detector Plane": Dose (RP) is the incident
#: air kerma at the image receptor, not at the skin
IN_DETECTOR_PLANE = ("DCM", "113941")
#: assumed patient thickness plus table/grid-to-detector gap (cm) for trunk and skull
#: projections when the RP is in the detector plane: skin at SID - 25 cm (assumption; the
#: inverse-square factor is then (SID / (SID - 25))^2, 1.6-1.9 at SID 100-120 cm)
ASSUMED_SKIN_TO_DETECTOR_CM = 25.0
SKIN_DISTANCE_ASSUMED_PCT = 25.0
#: reference point not stated: taken as the skin entrance, with the doubt stated
RP_UNSTATED_PCT = 40.0
_TRUNK_OR_SKULL = frozenset(
    {"chest", "abdomen", "pelvis", "lumbar_spine", "thoracic_spine", "cervical_spine", "skull"}
)


def _in_detector_plane(event: ProjectionIrradiationEvent) -> bool:
    rp = event.reference_point_definition
    if rp is None:
        return False
    if isinstance(rp, str):
        return "detector plane" in rp.lower()
    return code_key(rp) == IN_DETECTOR_PLANE


def entrance_surface_dose_for_event(
    event: ProjectionIrradiationEvent,
    settings: EstimationSettings,
    report: DoseReport | None = None,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    if event.dose_rp is None:
        out.refuse(
            uid,
            NotEstimatedReason.MISSING_INPUT,
            "entrance surface dose: no Dose (RP) in the event",
            _ESD,
        )
        return out
    try:
        bsf = skin_factor("backscatter_factor", settings.policy)
    except ReferenceDataError as exc:
        out.refuse(uid, refusal_reason(exc), f"entrance surface dose: {exc}", _ESD)
        return out
    kar = event.dose_rp.value_in("mGy")
    b = bsf.require_value()
    parts = [10.0, 20.0]  # BSF range; reference point / skin distance
    inputs = [qty("dose_rp", kar, "mGy", "event Dose (RP)")]
    geometry = 1.0
    how = "reference point taken as the skin entrance"
    if _in_detector_plane(event):
        exam = exam_of(event, report) if report is not None else None
        sid = event.distance_source_to_detector
        if sid is None or exam not in _TRUNK_OR_SKULL:
            out.refuse(
                uid,
                NotEstimatedReason.MISSING_INPUT,
                "entrance surface dose: Dose (RP) is in the detector plane and the "
                + (
                    "source-to-detector distance is not reported"
                    if sid is None
                    else "exam (hence patient thickness) is not a trunk or skull projection"
                )
                + "; taking it as the skin dose would be 1.4-1.8x too low",
                _ESD,
            )
            return out
        sid_cm = sid.value_in("cm")
        skin_cm = sid_cm - ASSUMED_SKIN_TO_DETECTOR_CM
        if skin_cm <= 0:
            out.refuse(
                uid,
                NotEstimatedReason.MISSING_INPUT,
                f"entrance surface dose: source-to-detector distance {sid_cm:g} cm too short",
                _ESD,
            )
            return out
        geometry = (sid_cm / skin_cm) ** 2
        parts[1] = SKIN_DISTANCE_ASSUMED_PCT
        inputs += [
            qty("source_to_detector", sid_cm, "cm", "Distance Source to Detector"),
            assumed(
                "skin_to_detector",
                f"patient thickness + gap assumed for a {exam} projection",
                ASSUMED_SKIN_TO_DETECTOR_CM,
                "cm",
            ),
        ]
        how = f"RP in the detector plane: x (SID/d_skin)^2 = {geometry:.3g}"
    elif event.reference_point_definition is None:
        parts[1] = RP_UNSTATED_PCT
        out.findings.append(
            finding(
                FindingCode.MODEL_REFERENCE_POINT_UNSTATED,
                "Dose (RP) without a reference point definition: taken as the skin entrance "
                "(if it is the detector plane the ESD is 1.4-1.8x higher)",
            )
        )
        inputs.append(assumed("reference_point", "not stated: taken as the skin entrance"))
    out.estimates.append(
        build(
            ESD,
            EstimateQuantity.ENTRANCE_SURFACE_DOSE,
            kar * geometry * b,
            "mGy",
            combine_pct(*parts),
            event_uid=uid,
            coefficients=(bsf.coefficient("BSF"),),
            inputs=inputs,
            method=f"ESD = Ka,RP x (d_RP/d_skin)^2 x BSF = {kar:g} mGy x {geometry:.3g} x {b:g} "
            f"({how})",
        )
    )
    return out
