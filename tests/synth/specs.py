"""Builders with every optional field switched on, shared by the synth tests (not fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from dosewatch.domain import codes
from dosewatch.synth import (
    AdministrationSpec,
    CtEventSpec,
    CtReportSpec,
    CtSourceSpec,
    Deviation,
    DeviceSpec,
    DoseCheckSpec,
    FilterSpec,
    Header,
    MammographyReportSpec,
    PatientSpec,
    ProjectionEventSpec,
    ProjectionReportSpec,
    RadiopharmaceuticalReportSpec,
    StudySpec,
    UidFactory,
    ct_report_bytes,
    fdg_organ_doses,
    mammography_report_bytes,
    projection_report_bytes,
    radiography_event,
    radiopharmaceutical_report_bytes,
)
from dosewatch.synth import ct as ct_module
from dosewatch.synth import mammography as mg_module
from dosewatch.synth import projection as projection_module
from dosewatch.synth import radiopharmaceutical as nm_module
from dosewatch.synth.common import ALUMINUM, COPPER

HEADER = Header(
    patient=PatientSpec(
        name="TEST^SYNTH",
        patient_id="L000123",
        issuer="FINESS-690000001",
        issuer_oid="1.2.250.1.71.4.2.1.690000001",
        ins="269059912345678",
        birth_date=date(1969, 5, 1),
        sex="F",
        weight_kg=64.5,
        height_m=1.62,
    ),
    device=DeviceSpec(
        manufacturer="ACME",
        model="Model X",
        serial_number="SN42",
        station_name="ST42",
        institution_name="Clinique Test",
    ),
    study=StudySpec(study_datetime=datetime(2024, 5, 6, 10, 11, 12), accession_number="ACC42"),
)

CT_FULL = CtReportSpec(
    events=(
        CtEventSpec(
            ctdivol_mgy=48.5,
            phantom=codes.IEC_HEAD_DOSIMETRY_PHANTOM,
            target_region=ct_module.HEAD,
            protocol="Head",
            scanning_length_mm=180.0,
            dose_check=DoseCheckSpec(
                accumulated_dlp_forward_estimate_mgy_cm=1200.0,
                reason_for_proceeding="clinical need",
            ),
            exposed_range_mm=200.0,
            xray_modulation_type="XYZ_EC",
            mean_ctdifreeair_mgy=30.0,
            ctdifreeair_calculation_factor_mgy_per_mas=0.2,
            effective_dose_msv=1.9,
            effective_dose_conversion_factor=0.0021,
            comment="synthetic head scan",
        ),
        CtEventSpec(
            ctdivol_mgy=11.25,
            dlp_mgy_cm=512.5,
            target_region=ct_module.ABDOMEN,
            ssde_mgy=14.1,
            water_equivalent_diameter_mm=290.0,
            sources=(CtSourceSpec("A", 100.0), CtSourceSpec("B", 140.0, 250.0, 120.0, 0.28)),
            start_offset_s=120.0,
        ),
    ),
    effective_dose_total_msv=9.5,
)
FLUORO_FULL = ProjectionReportSpec(
    events=(
        ProjectionEventSpec(
            dap_gy_cm2=12.5,
            dose_rp_gy=0.125,
            exposure_uas=1500.0,
            focal_spot_size_mm=0.6,
            collimated_field_height_mm=200.0,
            collimated_field_width_mm=200.0,
            table_longitudinal_position_mm=-25.0,
            table_lateral_position_mm=5.0,
            table_height_position_mm=150.0,
            patient_equivalent_thickness_mm=220.0,
            comment="synthetic fluoroscopy run",
        ),
        ProjectionEventSpec(
            dap_gy_cm2=30.0,
            dose_rp_gy=0.3,
            event_type=codes.STATIONARY_ACQUISITION,
            plane=codes.PLANE_A,
            fluoro_mode=None,
            filters=(FilterSpec(COPPER, 0.3), FilterSpec(ALUMINUM, 1.0)),
            start_offset_s=60,
        ),
        ProjectionEventSpec(
            dap_gy_cm2=7.5, dose_rp_gy=0.05, plane=codes.PLANE_B, start_offset_s=90
        ),
    )
)
DX_FULL = ProjectionReportSpec(
    events=(
        radiography_event(exposure_index=400.0, target_exposure_index=420.0, deviation_index=-0.2),
        radiography_event(dap_gy_cm2=0.25, start_offset_s=30),
    ),
    fluoroscopy=False,
)
MG_FULL = MammographyReportSpec(patient_characteristics=True)
NM_FULL = RadiopharmaceuticalReportSpec(
    administrations=(
        AdministrationSpec(
            activity_mbq=245.5,
            pre_administration_activity_mbq=260.0,
            organ_doses=fdg_organ_doses(245.5),
        ),
    )
)

Builder = Callable[..., bytes]

#: template name → (bytes builder, full spec, SUPPORTED_DEVIATIONS)
TEMPLATES: dict[str, tuple[Builder, object, frozenset[Deviation]]] = {
    "ct": (ct_report_bytes, CT_FULL, ct_module.SUPPORTED_DEVIATIONS),
    "fluoro": (projection_report_bytes, FLUORO_FULL, projection_module.SUPPORTED_DEVIATIONS),
    "dx": (projection_report_bytes, DX_FULL, projection_module.SUPPORTED_DEVIATIONS),
    "mg": (mammography_report_bytes, MG_FULL, mg_module.SUPPORTED_DEVIATIONS),
    "nm": (radiopharmaceutical_report_bytes, NM_FULL, nm_module.SUPPORTED_DEVIATIONS),
}


def build(template: str, *deviations: Deviation, seed: int = 1) -> bytes:
    builder, spec, _supported = TEMPLATES[template]
    return builder(spec, HEADER, deviations=deviations, uids=UidFactory(seed, template))
