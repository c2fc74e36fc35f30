"""Every builder output parses with no ERROR finding and gives back the spec's values."""

from __future__ import annotations

import pytest

from dosewatch.domain import codes
from dosewatch.domain.findings import Severity
from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseModality,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
)
from dosewatch.synth import (
    ct_report_bytes,
    mammography_report_bytes,
    projection_report_bytes,
    radiopharmaceutical_report_bytes,
)
from rdsr_parsers import parse
from tests.synth.specs import (
    CT_FULL,
    DX_FULL,
    FLUORO_FULL,
    HEADER,
    MG_FULL,
    NM_FULL,
    TEMPLATES,
    build,
)

REL = 1e-9


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_no_error_or_warning_findings(template: str) -> None:
    result = parse(build(template))
    deviations = [f for f in result.findings if f.severity >= Severity.WARNING]
    assert not deviations
    assert result.report.study.sop_instance_uid


def test_defaults_parse_cleanly() -> None:
    for data in (
        ct_report_bytes(),
        projection_report_bytes(),
        mammography_report_bytes(),
        radiopharmaceutical_report_bytes(),
    ):
        result = parse(data)
        assert result.worst is None or result.worst < Severity.WARNING, result.findings


def test_ct_events_and_totals() -> None:
    report = parse(build("ct")).report
    assert report.modality == DoseModality.CT
    assert report.template_id == "10011"
    events = report.events
    assert len(events) == len(CT_FULL.events)
    for spec, event in zip(CT_FULL.events, events, strict=True):
        assert isinstance(event, CtIrradiationEvent)
        assert event.irradiation_event_uid
        assert event.ctdivol is not None and event.dlp is not None
        assert event.ctdivol.value == pytest.approx(spec.ctdivol_mgy, rel=REL)
        assert event.dlp.value == pytest.approx(spec.dlp(), rel=REL)
        assert codes.same(event.ctdiw_phantom_type, spec.phantom)
        assert event.scanning_length is not None
        assert event.scanning_length.value == pytest.approx(spec.scanning_length_mm)
        assert [s.kvp.value for s in event.xray_sources if s.kvp] == [s.kvp for s in spec.sources]
        assert event.number_of_xray_sources == len(spec.sources)
    head, abdomen = events
    assert isinstance(head, CtIrradiationEvent) and isinstance(abdomen, CtIrradiationEvent)
    assert head.phantom_diameter_cm == 16 and abdomen.phantom_diameter_cm == 32
    assert abdomen.ssde is not None and abdomen.ssde.value == pytest.approx(14.1)
    assert abdomen.water_equivalent_diameter is not None
    assert abdomen.water_equivalent_diameter.value == pytest.approx(290.0)
    assert len(head.dose_check_alerts) == 2
    assert head.exposed_range is not None and head.exposed_range.value == pytest.approx(200.0)
    assert head.xray_modulation_type == "XYZ_EC"
    assert head.mean_ctdifreeair is not None and head.mean_ctdifreeair.value == pytest.approx(30.0)
    assert head.ctdifreeair_calculation_factor is not None
    assert head.reported_effective_dose is not None
    assert head.reported_effective_dose.value == pytest.approx(1.9)
    assert head.reported_effective_dose_conversion_factor is not None
    assert head.comment == "synthetic head scan"
    assert report.ct_accumulated is not None
    assert report.ct_accumulated.total_number_of_irradiation_events == 2
    assert report.ct_accumulated.dlp_total is not None
    assert report.ct_accumulated.dlp_total.value == pytest.approx(CT_FULL.dlp_total(), rel=REL)
    assert report.ct_accumulated.effective_dose_total is not None
    assert report.ct_accumulated.effective_dose_total.value == pytest.approx(9.5)
    assert report.ct_accumulated.effective_dose_reference_authority == "ICRP Publication 103"


def test_fluoroscopy_events_and_per_plane_totals() -> None:
    report = parse(build("fluoro")).report
    assert report.modality == DoseModality.FLUOROSCOPY
    assert len(report.events) == 3
    for spec, event in zip(FLUORO_FULL.events, report.events, strict=True):
        assert isinstance(event, ProjectionIrradiationEvent)
        assert event.dose_area_product is not None and event.dose_rp is not None
        assert event.dose_area_product.unit == "Gy.cm2"
        assert event.dose_area_product.value == pytest.approx(spec.dap_gy_cm2, rel=REL)
        assert event.dose_rp.value == pytest.approx(spec.dose_rp_gy, rel=REL)
        assert codes.same(event.acquisition_plane, spec.plane)
        assert event.kvp[0].value == pytest.approx(spec.kvp)
        assert event.exposure_time is not None
        assert event.exposure_time.value == pytest.approx(spec.exposure_time_ms / 1000)
        assert len(event.filters) == len(spec.filters)
    first = report.events[0]
    assert isinstance(first, ProjectionIrradiationEvent)
    assert first.focal_spot_size is not None and first.focal_spot_size.value == pytest.approx(0.6)
    assert first.collimated_field_height is not None
    assert first.table_height_position is not None
    assert first.table_height_position.value == pytest.approx(150.0)
    assert first.patient_equivalent_thickness is not None
    assert first.comment == "synthetic fluoroscopy run"
    planes = {codes.code_str(a.acquisition_plane): a for a in report.projection_accumulated}
    assert set(planes) == {"DCM:113622", "DCM:113620", "DCM:113621"}
    single = planes["DCM:113622"]
    assert single.dose_area_product_total is not None
    assert single.dose_area_product_total.value == pytest.approx(12.5, rel=REL)
    assert single.total_fluoro_time is not None
    assert single.total_fluoro_time.value == pytest.approx(10.0)
    plane_a = planes["DCM:113620"]
    assert plane_a.acquisition_dose_area_product_total is not None
    assert plane_a.acquisition_dose_area_product_total.value == pytest.approx(30.0, rel=REL)


def test_radiography_events() -> None:
    report = parse(build("dx")).report
    assert report.modality == DoseModality.RADIOGRAPHY
    daps = [
        e.dose_area_product.value
        for e in report.events
        if isinstance(e, ProjectionIrradiationEvent) and e.dose_area_product
    ]
    assert daps == [pytest.approx(s.dap_gy_cm2, rel=REL) for s in DX_FULL.events]
    first = report.events[0]
    assert isinstance(first, ProjectionIrradiationEvent)
    assert first.exposure_index is not None and first.exposure_index.value == pytest.approx(400)
    assert first.deviation_index is not None
    assert first.deviation_index.value == pytest.approx(-0.2)
    (accumulated,) = report.projection_accumulated
    assert accumulated.dose_area_product_total is not None
    assert accumulated.dose_area_product_total.value == pytest.approx(0.35, rel=REL)


def test_mammography_events_and_per_breast_totals() -> None:
    report = parse(build("mg")).report
    assert report.modality == DoseModality.MAMMOGRAPHY
    assert len(report.events) == 4
    for spec, event in zip(MG_FULL.events, report.events, strict=True):
        assert isinstance(event, MammographyIrradiationEvent)
        assert event.average_glandular_dose is not None
        assert event.average_glandular_dose.value == pytest.approx(spec.agd_mgy, rel=REL)
        assert codes.same(event.laterality, spec.laterality)
        assert codes.same(event.image_view, spec.view)
        assert event.compression_thickness is not None
        assert event.compression_thickness.value == pytest.approx(spec.compression_thickness_mm)
        assert codes.same(event.anode_target_material, spec.anode)
    # the reader may keep the breast codes (TID 10005) or reduce them to Left/Right
    side = {"SCT:80248007": "left", "SCT:7771000": "left"}
    side |= {"SCT:73056007": "right", "SCT:24028007": "right"}
    totals = {
        side[str(codes.code_str(a.laterality))]: a.accumulated_average_glandular_dose
        for a in report.mammography_accumulated
    }
    assert set(totals) == {"left", "right"}
    for total in totals.values():
        assert total is not None and total.value == pytest.approx(2.6, rel=REL)


def test_radiopharmaceutical_administration() -> None:
    report = parse(build("nm")).report
    assert report.modality == DoseModality.NUCLEAR_MEDICINE
    (event,) = report.events
    (spec,) = NM_FULL.administrations
    assert isinstance(event, RadiopharmaceuticalAdministration)
    assert event.administration_event_uid
    assert event.administered_activity is not None
    assert event.administered_activity.value == pytest.approx(spec.activity_mbq, rel=REL)
    assert event.pre_administration_measured_activity is not None
    assert event.radionuclide_half_life is not None
    assert event.radionuclide_half_life.value == pytest.approx(spec.half_life_s)
    assert codes.same(event.radiopharmaceutical_agent, spec.agent)
    assert codes.same(event.radionuclide, spec.radionuclide)
    assert codes.same(event.route_of_administration, spec.route)
    assert len(event.organ_doses) == len(spec.organ_doses)
    for organ_spec, organ in zip(spec.organ_doses, event.organ_doses, strict=True):
        assert codes.same(organ.organ, organ_spec.organ)
        assert organ.dose.value == pytest.approx(organ_spec.dose_mgy, rel=REL)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_header_facts_reach_the_report(template: str) -> None:
    report = parse(build(template)).report
    patient = report.patient
    assert patient.patient_id is not None
    assert patient.patient_id.value == HEADER.patient.patient_id
    assert patient.patient_id.issuer_universal_id == HEADER.patient.issuer_oid
    assert [i.value for i in patient.other_ids] == [HEADER.patient.ins]
    assert patient.sex == "F"
    assert patient.weight is not None and patient.weight.value == pytest.approx(64.5)
    device = report.device
    assert (device.manufacturer, device.model, device.serial_number) == ("ACME", "Model X", "SN42")
    assert device.device_observer_uid == HEADER.device.observer_uid()
    assert device.institution_name == "Clinique Test"
