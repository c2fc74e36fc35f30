"""The dose report read from one DICOM object: patient, study, device, events, totals.

Frozen dataclasses only; a repeated concept is always a tuple. Every dose quantity is a
:class:`~dosewatch.domain.units.Quantity` already converted to the canonical unit named in
its field's docstring (parsers convert, with a finding when the source deviated).

Canonical units: CTDIvol, AGD, Ka,r-like air kerma in mGy except Dose (RP) in Gy;
DLP mGy.cm; KAP Gy.cm2; activity MBq; effective dose mSv; time s; length mm;
tube voltage kV; tube current mA; exposure mA.s; angles deg.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydicom.sr.coding import Code

from dosewatch.domain.units import Quantity

# Canonical units, one per indicator (the ledger names columns after them).
UNIT_CTDIVOL = "mGy"
UNIT_DLP = "mGy.cm"
UNIT_KAP = "Gy.cm2"
UNIT_DOSE_RP = "Gy"
UNIT_AGD = "mGy"
UNIT_ACTIVITY = "MBq"
UNIT_EFFECTIVE_DOSE = "mSv"
UNIT_ORGAN_DOSE = "mGy"
UNIT_TIME = "s"
UNIT_LENGTH = "mm"


class DoseModality(enum.StrEnum):
    """Clinical family of a dose report, decided per report (not per device)."""

    CT = "CT"
    FLUOROSCOPY = "RF"  # fluoroscopy / interventional (TID 10001 with fluoroscopy)
    RADIOGRAPHY = "DX"  # projection radiography (DX/CR/PX)
    MAMMOGRAPHY = "MG"
    NUCLEAR_MEDICINE = "NM"  # radiopharmaceutical administrations (NM and PET)


class SourceKind(enum.StrEnum):
    """What kind of DICOM object the report was read from."""

    XRAY_RDSR = "xray_rdsr"  # X-Ray Radiation Dose SR 1.2.840.10008.5.1.4.1.1.88.67
    RADIOPHARMACEUTICAL_RDSR = "rrdsr"  # 1.2.840.10008.5.1.4.1.1.88.68
    ENHANCED_SR_DOSE = "enhanced_sr"  # dose report carried in Enhanced SR 88.22
    ENHANCED_XRAY_RDSR = "enhanced_xray_rdsr"  # 1.2.840.10008.5.1.4.1.1.88.76
    VENDOR_SUMMARY = "vendor_summary"  # vendor-private dose summary (SR or secondary capture)
    IMAGE_HEADER = "image_header"  # dose attributes of an image object


# --------------------------------------------------------------------------- patient/study


@dataclass(frozen=True, slots=True)
class PatientIdentifier:
    """A patient identifier qualified by its issuer (Issuer of Patient ID or its OID)."""

    value: str = field(repr=False)
    issuer: str | None = None
    issuer_universal_id: str | None = None  # e.g. the INS OID 1.2.250.1.213.1.4.8
    issuer_universal_id_type: str | None = None  # "ISO" ...
    type_of_id: str | None = None  # (0010,0022) TEXT / RFID / BARCODE ...


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the object says about the patient. Name and IDs never appear in repr/logs."""

    patient_id: PatientIdentifier | None = None
    other_ids: tuple[PatientIdentifier, ...] = ()
    name: str | None = field(default=None, repr=False)
    birth_date: date | None = field(default=None, repr=False)
    sex: str | None = None  # "M", "F", "O" as in (0010,0040)
    age: Quantity | None = None  # unit "a", "mo", "wk" or "d" as sent in (0010,1010)
    weight: Quantity | None = None  # kg
    height: Quantity | None = None  # m (DICOM Patient's Size)


@dataclass(frozen=True, slots=True)
class StudyFacts:
    """Study, series and instance identity of the object."""

    study_instance_uid: str
    series_instance_uid: str | None = None
    sop_instance_uid: str = ""
    sop_class_uid: str = ""
    study_date: date | None = None
    study_time: time | None = None
    accession_number: str | None = None
    study_description: str | None = None
    series_description: str | None = None
    requested_procedure_description: str | None = None
    requested_procedure_code: Code | None = None
    procedure_codes: tuple[Code, ...] = ()
    modality: str | None = None  # the DICOM Modality tag (SR, CT, DX, MG, PT, ...)
    content_datetime: datetime | None = None
    acquisition_datetime: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """The irradiating device as the object names it."""

    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    device_observer_uid: str | None = None
    device_observer_name: str | None = None
    station_name: str | None = None
    institution_name: str | None = None
    institution_address: str | None = None
    institutional_department: str | None = None
    software_versions: tuple[str, ...] = ()


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Measurement:
    """A numeric content item kept as sent, for concepts without a dedicated field."""

    concept: Code
    value: Quantity | None
    content_path: str | None = None


@dataclass(frozen=True, slots=True)
class CtXRaySource:
    """One CT X-Ray Source Parameters container (TID 10014, 113831)."""

    identification: str | None = None
    kvp: Quantity | None = None  # kV
    maximum_tube_current: Quantity | None = None  # mA
    tube_current: Quantity | None = None  # mA (mean, 113734)
    exposure_time_per_rotation: Quantity | None = None  # s


@dataclass(frozen=True, slots=True)
class DoseCheckDetails:
    """CT Dose Check alert or notification details (TID 10015)."""

    kind: str  # "alert" | "notification"
    dlp_value_configured: bool | None = None
    ctdivol_value_configured: bool | None = None
    dlp_value: Quantity | None = None  # mGy.cm
    ctdivol_value: Quantity | None = None  # mGy
    accumulated_dlp_forward_estimate: Quantity | None = None
    accumulated_ctdivol_forward_estimate: Quantity | None = None
    reason_for_proceeding: str | None = None
    person_authorizing: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class CtIrradiationEvent:
    """One CT irradiation event (TID 10013 CT Irradiation Event Data)."""

    irradiation_event_uid: str | None
    acquisition_type: Code | None = None
    acquisition_protocol: str | None = None
    target_region: Code | None = None
    datetime_started: datetime | None = None
    ctdivol: Quantity | None = None  # mGy (Mean CTDIvol 113830)
    ctdiw_phantom_type: Code | None = None  # IEC head (16 cm) or body (32 cm)
    dlp: Quantity | None = None  # mGy.cm
    mean_ctdifreeair: Quantity | None = None  # mGy
    ctdifreeair_calculation_factor: Quantity | None = None  # mGy/mA.s
    scanning_length: Quantity | None = None  # mm
    exposed_range: Quantity | None = None  # mm
    nominal_single_collimation_width: Quantity | None = None  # mm
    nominal_total_collimation_width: Quantity | None = None  # mm
    pitch_factor: Quantity | None = None  # {ratio}
    exposure_time: Quantity | None = None  # s
    number_of_xray_sources: int | None = None
    xray_sources: tuple[CtXRaySource, ...] = ()
    xray_modulation_type: str | None = None
    ssde: Quantity | None = None  # mGy (113930), as reported
    water_equivalent_diameter: Quantity | None = None  # mm (113980), as reported
    derived_effective_diameter: Quantity | None = None  # mm (113933), as reported
    ssde_method: Code | None = None
    reported_effective_dose: Quantity | None = None  # mSv, as reported by the device
    reported_effective_dose_conversion_factor: Quantity | None = None
    dose_check_alerts: tuple[DoseCheckDetails, ...] = ()
    comment: str | None = None
    other_measurements: tuple[Measurement, ...] = ()

    @property
    def phantom_diameter_cm(self) -> int | None:
        """16 or 32 from the CTDIw phantom type code, else None."""
        from dosewatch.domain.codes import (
            IEC_BODY_DOSIMETRY_PHANTOM,
            IEC_HEAD_DOSIMETRY_PHANTOM,
            same,
        )

        if same(self.ctdiw_phantom_type, IEC_HEAD_DOSIMETRY_PHANTOM):
            return 16
        if same(self.ctdiw_phantom_type, IEC_BODY_DOSIMETRY_PHANTOM):
            return 32
        return None


@dataclass(frozen=True, slots=True)
class XRayFilter:
    """One X-Ray Filters container (TID 10003, 113771)."""

    filter_type: Code | None = None
    material: Code | None = None
    thickness_minimum: Quantity | None = None  # mm
    thickness_maximum: Quantity | None = None  # mm


@dataclass(frozen=True, slots=True)
class ProjectionIrradiationEvent:
    """One projection X-ray irradiation event (TID 10003), fluoroscopy or radiography."""

    irradiation_event_uid: str | None
    event_type: Code | None = None  # Fluoroscopy, Stationary/Stepping/Rotational Acquisition
    acquisition_plane: Code | None = None
    datetime_started: datetime | None = None
    acquisition_protocol: str | None = None
    anatomical_structure: Code | None = None  # Target Region (123014) / Anatomical structure
    laterality: Code | None = None
    image_view: Code | None = None
    reference_point_definition: Code | str | None = None  # CODE per standard; TEXT seen
    dose_area_product: Quantity | None = None  # Gy.cm2 (122130)
    dose_rp: Quantity | None = None  # Gy (113738)
    fluoro_mode: Code | None = None
    pulse_rate: Quantity | None = None  # /s
    number_of_pulses: Quantity | None = None
    kvp: tuple[Quantity, ...] = ()  # kV; several values when sent per pulse
    tube_current: tuple[Quantity, ...] = ()  # mA
    average_tube_current: Quantity | None = None  # mA
    pulse_width: tuple[Quantity, ...] = ()  # s
    exposure_time: Quantity | None = None  # s
    exposure: Quantity | None = None  # mA.s
    irradiation_duration: Quantity | None = None  # s
    focal_spot_size: Quantity | None = None  # mm
    positioner_primary_angle: Quantity | None = None  # deg
    positioner_secondary_angle: Quantity | None = None  # deg
    positioner_primary_end_angle: Quantity | None = None
    positioner_secondary_end_angle: Quantity | None = None
    column_angulation: Quantity | None = None
    distance_source_to_isocenter: Quantity | None = None  # mm
    distance_source_to_detector: Quantity | None = None  # mm
    distance_source_to_reference_point: Quantity | None = None  # mm
    distance_source_to_table_plane: Quantity | None = None  # mm
    table_longitudinal_position: Quantity | None = None  # mm
    table_lateral_position: Quantity | None = None  # mm
    table_height_position: Quantity | None = None  # mm
    table_head_tilt_angle: Quantity | None = None
    table_horizontal_rotation_angle: Quantity | None = None
    table_cradle_tilt_angle: Quantity | None = None
    collimated_field_area: Quantity | None = None  # m2 as sent -> converted to cm2
    collimated_field_height: Quantity | None = None  # mm
    collimated_field_width: Quantity | None = None  # mm
    filters: tuple[XRayFilter, ...] = ()
    patient_table_relationship: Code | None = None
    patient_orientation: Code | None = None
    patient_orientation_modifier: Code | None = None
    patient_equivalent_thickness: Quantity | None = None  # mm
    exposure_index: Quantity | None = None
    target_exposure_index: Quantity | None = None
    deviation_index: Quantity | None = None
    comment: str | None = None
    other_measurements: tuple[Measurement, ...] = ()


@dataclass(frozen=True, slots=True)
class MammographyIrradiationEvent:
    """One mammography irradiation event (TID 10003 with mammography items)."""

    irradiation_event_uid: str | None
    event_type: Code | None = None
    datetime_started: datetime | None = None
    acquisition_protocol: str | None = None
    anatomical_structure: Code | None = None
    laterality: Code | None = None
    image_view: Code | None = None
    average_glandular_dose: Quantity | None = None  # mGy (111631)
    entrance_exposure_at_rp: Quantity | None = None  # mGy (111636)
    compression_thickness: Quantity | None = None  # mm
    half_value_layer: Quantity | None = None  # mm[Al]
    anode_target_material: Code | None = None
    filters: tuple[XRayFilter, ...] = ()
    kvp: tuple[Quantity, ...] = ()
    tube_current: tuple[Quantity, ...] = ()
    exposure_time: Quantity | None = None  # s
    exposure: Quantity | None = None  # mA.s
    positioner_primary_angle: Quantity | None = None
    dose_area_product: Quantity | None = None  # Gy.cm2 when sent
    dose_rp: Quantity | None = None  # Gy when sent
    distance_source_to_detector: Quantity | None = None
    comment: str | None = None
    other_measurements: tuple[Measurement, ...] = ()


@dataclass(frozen=True, slots=True)
class OrganDose:
    """One organ dose as reported by the source (TID 10023 Organ Dose Information)."""

    organ: Code
    laterality: Code | None
    dose: Quantity  # mGy
    mass: Quantity | None = None  # g
    method: Code | str | None = None
    reference_authority: Code | str | None = None


@dataclass(frozen=True, slots=True)
class RadiopharmaceuticalAdministration:
    """One radiopharmaceutical administration (TID 10022) or its image-header equivalent."""

    administration_event_uid: str | None
    radiopharmaceutical_agent: Code | None = None
    radiopharmaceutical_name: str | None = None  # free text when no code
    radionuclide: Code | None = None
    radionuclide_half_life: Quantity | None = None  # s
    administered_activity: Quantity | None = None  # MBq
    pre_administration_measured_activity: Quantity | None = None  # MBq
    post_administration_measured_activity: Quantity | None = None  # MBq
    route_of_administration: Code | None = None
    site_of_administration: Code | None = None
    start_datetime: datetime | None = None
    stop_datetime: datetime | None = None
    intravenous_extravasation_symptoms: tuple[Code, ...] = ()
    estimated_extravasation_activity: Quantity | None = None  # MBq
    organ_doses: tuple[OrganDose, ...] = ()
    reported_effective_dose: Quantity | None = None  # mSv, as reported
    reported_effective_dose_method: Code | str | None = None
    reported_dose_authority: Code | str | None = None
    comment: str | None = None
    other_measurements: tuple[Measurement, ...] = ()

    @property
    def irradiation_event_uid(self) -> str | None:
        """Event identity used by the ledger (the administration event UID)."""
        return self.administration_event_uid


IrradiationEvent = (
    CtIrradiationEvent
    | ProjectionIrradiationEvent
    | MammographyIrradiationEvent
    | RadiopharmaceuticalAdministration
)

# --------------------------------------------------------------------------- accumulated


@dataclass(frozen=True, slots=True)
class CtAccumulatedDose:
    """CT Accumulated Dose Data (TID 10012), as reported (never recomputed)."""

    total_number_of_irradiation_events: int | None = None
    dlp_total: Quantity | None = None  # mGy.cm
    effective_dose_total: Quantity | None = None  # mSv, as reported
    effective_dose_reference_authority: Code | str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class AccumulatedProjectionDose:
    """Accumulated X-Ray Dose Data for one acquisition plane (TID 10002/10004/10007)."""

    acquisition_plane: Code | None = None
    reference_point_definition: Code | str | None = None
    dose_area_product_total: Quantity | None = None  # Gy.cm2
    dose_rp_total: Quantity | None = None  # Gy
    fluoro_dose_area_product_total: Quantity | None = None  # Gy.cm2
    fluoro_dose_rp_total: Quantity | None = None  # Gy
    total_fluoro_time: Quantity | None = None  # s
    acquisition_dose_area_product_total: Quantity | None = None  # Gy.cm2
    acquisition_dose_rp_total: Quantity | None = None  # Gy
    total_acquisition_time: Quantity | None = None  # s
    total_number_of_radiographic_frames: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class AccumulatedMammographyDose:
    """Accumulated Average Glandular Dose for one breast (TID 10005)."""

    laterality: Code | None
    accumulated_average_glandular_dose: Quantity | None  # mGy


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class DoseReport:
    """Everything one DICOM dose object says, in canonical units.

    ``events`` keep the object's order. Accumulated totals are the object's own values,
    kept apart from event sums (they legitimately differ on real devices).
    """

    source_kind: SourceKind
    modality: DoseModality
    patient: PatientFacts
    study: StudyFacts
    device: DeviceFacts
    template_id: str | None = None  # "10001", "10011", "10021" or None for headers
    procedure_reported: Code | None = None
    has_intent: Code | None = None
    scope_of_accumulation: Code | None = None
    scope_uid: str | None = None
    source_of_dose_information: tuple[Code, ...] = ()
    events: tuple[IrradiationEvent, ...] = ()
    ct_accumulated: CtAccumulatedDose | None = None
    projection_accumulated: tuple[AccumulatedProjectionDose, ...] = ()
    mammography_accumulated: tuple[AccumulatedMammographyDose, ...] = ()
    presentation_intent: str | None = None  # image headers: FOR PRESENTATION / FOR PROCESSING
    comment: str | None = None

    @property
    def sop_instance_uid(self) -> str:
        return self.study.sop_instance_uid

    @property
    def sop_class_uid(self) -> str:
        return self.study.sop_class_uid
