"""Projection radiography (DX/CR): effective dose from KAP and entrance surface dose.

* E per event = c(exam, projection) x KAP. Every E/KAP row of ``radiography_conversion.csv``
  is ``unverified_recall`` (HPA-CRCE-028 not retrieved): refused by default, indicative only
  with ``ReferencePolicy(allow_indicative=True)``.
* Entrance surface dose per event = Dose (RP) x BSF, where the RDSR gives Dose (RP)
  (incident air kerma at the reference point taken as the skin entrance; +20 % for that).
"""

from __future__ import annotations

from dosewatch.domain.codes import code_key
from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import EstimateQuantity, NotEstimatedReason, WeightBasis
from dosewatch.domain.report import DoseReport, ProjectionIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    build,
    combine_pct,
    has_keyword,
    qty,
    refusal_reason,
    text_input,
    words,
)
from organ_models.fluoroscopy import skin_factor
from organ_models.tables import load_table

EFFECTIVE = ModelInfo(
    model_id="dx.effective.kap",
    version="1.0.0",
    modality="DX",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=("radiography_conversion",),
    formula="E = c(exam, projection) x KAP",
)
ESD = ModelInfo(
    model_id="dx.esd.dose_rp",
    version="1.0.0",
    modality="DX",
    quantities=(EstimateQuantity.ENTRANCE_SURFACE_DOSE,),
    tables=("skin_dose_factors",),
    formula="ESD = Dose (RP) x BSF",
)

E_PCT = 50.0
ESD_PCT = combine_pct(10.0, 20.0)  # BSF range, RP taken as skin entrance

#: anatomical structure codes (SCT, SRT normalised) -> exam of radiography_conversion.csv
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
}
EXAM_KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("lomb", "lumbar"), "lumbar_spine"),
    (("dors", "thoracic"), "thoracic_spine"),
    (("cervic",), "cervical_spine"),
    (("crane", "crâne", "skull"), "skull"),
    (("thorax", "chest", "pulm", "poumon"), "chest"),
    (("abdo", "asp"), "abdomen"),
    (("bassin", "pelvis"), "pelvis"),
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
    event: ProjectionIrradiationEvent, report: DoseReport, settings: EstimationSettings
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
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
    table = load_table("radiography_conversion")
    rows = table.select(settings.policy, exam=exam)
    if not rows:
        try:
            table.lookup(settings.policy, exam=exam)
        except ReferenceDataError as exc:
            out.refuse(
                uid,
                refusal_reason(exc),
                f"effective dose: {exc} (HPA-CRCE-028 E/KAP not retrieved)",
                _E,
            )
        return out
    row = rows[0]
    c = row.require_value()
    kap = event.dose_area_product.value_in("Gy.cm2")
    out.estimates.append(
        build(
            EFFECTIVE,
            EstimateQuantity.EFFECTIVE_DOSE,
            c * kap,
            "mSv",
            E_PCT,
            event_uid=uid,
            coefficients=(row.coefficient(f"E/KAP {exam} {row.get('projection')}"),),
            inputs=(
                qty("kap", kap, "Gy.cm2", "event Dose Area Product"),
                text_input("exam", exam),
                text_input(
                    "projection",
                    f"{row.get('projection')} (table row; event projection not matched)",
                    is_assumed=True,
                ),
            ),
            method=f"E = c x KAP = {c:g} mSv/(Gy.cm2) x {kap:g} Gy.cm2 (midpoint of the "
            "indicative range)",
            basis=WeightBasis.ICRP103,
        )
    )
    return out


def entrance_surface_dose_for_event(
    event: ProjectionIrradiationEvent, settings: EstimationSettings
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
    out.estimates.append(
        build(
            ESD,
            EstimateQuantity.ENTRANCE_SURFACE_DOSE,
            kar * b,
            "mGy",
            ESD_PCT,
            event_uid=uid,
            coefficients=(bsf.coefficient("BSF"),),
            inputs=(qty("dose_rp", kar, "mGy", "event Dose (RP)"),),
            method=f"ESD = Ka,RP x BSF = {kar:g} mGy x {b:g} (reference point taken as the skin "
            "entrance)",
        )
    )
    return out
