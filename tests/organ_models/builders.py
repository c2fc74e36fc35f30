"""Dose reports built directly from the domain dataclasses (no parser needed)."""

from __future__ import annotations

from dosewatch.domain.codes import (
    IEC_BODY_DOSIMETRY_PHANTOM,
    IEC_HEAD_DOSIMETRY_PHANTOM,
    RIGHT,
)
from dosewatch.domain.report import (
    AccumulatedProjectionDose,
    CtIrradiationEvent,
    CtXRaySource,
    DeviceFacts,
    DoseModality,
    DoseReport,
    IrradiationEvent,
    MammographyIrradiationEvent,
    OrganDose,
    PatientFacts,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
    SourceKind,
    StudyFacts,
    XRayFilter,
)
from dosewatch.domain.units import Quantity
from organ_models.organs import Code

CHEST = Code("51185008", "SCT", "Thorax")
HEAD = Code("69536005", "SCT", "Head")
ABDOMEN_SRT = Code("T-D4000", "SRT", "Abdomen")
FDG = Code("35321007", "SCT", "Fluorodeoxyglucose F^18^")
COPPER = Code("C-127F9", "SRT", "Copper or Copper compound")
MOLYBDENUM = Code("C-150F9", "SRT", "Molybdenum or Molybdenum compound")


def q(value: float, unit: str) -> Quantity:
    return Quantity(float(value), unit)


def patient(
    age: float | None = 40,
    sex: str | None = "M",
    weight: float | None = None,
    height_m: float | None = None,
) -> PatientFacts:
    return PatientFacts(
        sex=sex,
        age=q(age, "a") if age is not None else None,
        weight=q(weight, "kg") if weight is not None else None,
        height=q(height_m, "m") if height_m is not None else None,
    )


def report(
    modality: DoseModality,
    events: tuple[IrradiationEvent, ...],
    facts: PatientFacts | None = None,
    description: str | None = None,
    accumulated: tuple[AccumulatedProjectionDose, ...] = (),
) -> DoseReport:
    kind = (
        SourceKind.RADIOPHARMACEUTICAL_RDSR
        if modality is DoseModality.NUCLEAR_MEDICINE
        else SourceKind.XRAY_RDSR
    )
    return DoseReport(
        source_kind=kind,
        modality=modality,
        patient=facts or patient(),
        study=StudyFacts(study_instance_uid="1.2.3", study_description=description),
        device=DeviceFacts(),
        events=events,
        projection_accumulated=accumulated,
    )


def ct_event(
    uid: str = "1.1",
    dlp: float = 500.0,
    ctdivol: float = 10.0,
    region: Code | None = CHEST,
    head_phantom: bool = False,
    kv: float | None = 120.0,
    protocol: str | None = None,
    dw_mm: float | None = None,
    deff_mm: float | None = None,
) -> CtIrradiationEvent:
    return CtIrradiationEvent(
        irradiation_event_uid=uid,
        target_region=region,
        acquisition_protocol=protocol,
        ctdivol=q(ctdivol, "mGy"),
        dlp=q(dlp, "mGy.cm"),
        ctdiw_phantom_type=IEC_HEAD_DOSIMETRY_PHANTOM
        if head_phantom
        else IEC_BODY_DOSIMETRY_PHANTOM,
        xray_sources=(CtXRaySource(kvp=q(kv, "kV")),) if kv is not None else (),
        water_equivalent_diameter=q(dw_mm, "mm") if dw_mm is not None else None,
        derived_effective_diameter=q(deff_mm, "mm") if deff_mm is not None else None,
    )


def projection_event(
    uid: str = "2.1",
    kap: float = 10.0,
    dose_rp_gy: float | None = 0.1,
    cu_mm: float | None = None,
    geometry: bool = False,
    primary: float = 0.0,
) -> ProjectionIrradiationEvent:
    filters = (
        (XRayFilter(material=COPPER, thickness_maximum=q(cu_mm, "mm")),)
        if cu_mm is not None
        else ()
    )
    return ProjectionIrradiationEvent(
        irradiation_event_uid=uid,
        dose_area_product=q(kap, "Gy.cm2"),
        dose_rp=q(dose_rp_gy, "Gy") if dose_rp_gy is not None else None,
        filters=filters,
        distance_source_to_reference_point=q(600, "mm") if geometry else None,
        distance_source_to_table_plane=q(700, "mm") if geometry else None,
        positioner_primary_angle=q(primary, "deg"),
        positioner_secondary_angle=q(0, "deg"),
    )


def mammo_event(
    uid: str = "3.1",
    agd: float | None = 1.5,
    k_mgy: float = 5.0,
    hvl: float = 0.4,
    thickness_mm: float = 45.0,
) -> MammographyIrradiationEvent:
    return MammographyIrradiationEvent(
        irradiation_event_uid=uid,
        laterality=RIGHT,
        average_glandular_dose=q(agd, "mGy") if agd is not None else None,
        entrance_exposure_at_rp=q(k_mgy, "mGy"),
        half_value_layer=q(hvl, "mm[Al]"),
        compression_thickness=q(thickness_mm, "mm"),
        anode_target_material=MOLYBDENUM,
        filters=(XRayFilter(material=MOLYBDENUM),),
    )


def nm_admin(
    uid: str = "4.1",
    activity: float = 100.0,
    agent: Code | None = FDG,
    name: str | None = None,
    organ_doses: tuple[OrganDose, ...] = (),
) -> RadiopharmaceuticalAdministration:
    return RadiopharmaceuticalAdministration(
        administration_event_uid=uid,
        radiopharmaceutical_agent=agent,
        radiopharmaceutical_name=name,
        administered_activity=q(activity, "MBq"),
        organ_doses=organ_doses,
    )
