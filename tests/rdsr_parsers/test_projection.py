"""TID 10001 projection X-ray reader: real corpus files against MANIFEST, quirks, edge cases.

Real files are parsed once per session (``_parsed``). Synthetic edge cases are built with
``build_rdsr`` (a minimal X-Ray Radiation Dose SR as a pydicom Dataset) and parsed through
:func:`rdsr_parsers.dispatch.parse` like any received object.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from dosewatch.domain import codes
from dosewatch.domain.codes import code_key, normalise_key, same
from dosewatch.domain.errors import MissingMandatoryItemError, StrictnessError
from dosewatch.domain.findings import Finding, Severity, Strictness
from dosewatch.domain.report import (
    AccumulatedProjectionDose,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
)
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult

DATA = Path(__file__).resolve().parents[1] / "data"
XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"


# --------------------------------------------------------------------------- corpus


def _manifest(folder: str) -> list[dict[str, str]]:
    with (DATA / folder / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        return [dict(row, folder=folder) for row in csv.DictReader(handle)]


def projection_rows() -> list[dict[str, str]]:
    """MANIFEST rows of every TID 10001 object (RF/DX/MG RDSR) in both corpora."""
    rows = [
        row
        for row in _manifest("openrem")
        if row["file"].startswith(("RF-", "DX-RDSR", "Dual-RDSR", "MG-RDSR"))
    ]
    return rows + _manifest("pyskindose")


@functools.cache
def _parsed(folder: str, name: str) -> ParseResult:
    return parse(DATA / folder / name)


def parsed(name: str) -> ParseResult:
    folder = "pyskindose" if (DATA / "pyskindose" / name).exists() else "openrem"
    return _parsed(folder, name)


def _tolerance(expected: str) -> float:
    """1e-6 relative, widened to half a unit of the last decimal the MANIFEST wrote: both
    manifests round (0.00029927 for 0.00029927175492, 0.0784 for 0.0783913...)."""
    relative = 1e-6 * abs(float(expected))
    if "." not in expected or "e" in expected.lower():
        return relative
    return max(relative, 0.5 * 10.0 ** -len(expected.split(".")[1]))


def _sum(values: Sequence[float]) -> float:
    return math.fsum(values)


def dap_total(report: DoseReport) -> float:
    """Sum of Dose Area Product Total (113722) over planes, Gy.cm2."""
    return _sum(
        [
            p.dose_area_product_total.value_in("Gy.cm2")
            for p in report.projection_accumulated
            if p.dose_area_product_total is not None
        ]
    )


def rp_total(report: DoseReport) -> float:
    """Sum of Dose (RP) Total (113725) over planes, Gy."""
    return _sum(
        [
            p.dose_rp_total.value_in("Gy")
            for p in report.projection_accumulated
            if p.dose_rp_total is not None
        ]
    )


def with_code(findings: Sequence[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


ROWS = projection_rows()


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_event_count_matches_manifest(row: dict[str, str]) -> None:
    result = _parsed(row["folder"], row["file"])
    assert len(result.report.events) == int(row["event_count"])
    assert result.report.template_id == "10001"


@pytest.mark.parametrize(
    "row",
    [r for r in ROWS if r["total_dap_Gycm2"]],
    ids=[r["file"] for r in ROWS if r["total_dap_Gycm2"]],
)
def test_dap_total_matches_manifest(row: dict[str, str]) -> None:
    report = _parsed(row["folder"], row["file"]).report
    expected = row["total_dap_Gycm2"]
    assert dap_total(report) == pytest.approx(float(expected), abs=_tolerance(expected))


@pytest.mark.parametrize(
    "row",
    [r for r in ROWS if r["total_ref_dose_Gy"]],
    ids=[r["file"] for r in ROWS if r["total_ref_dose_Gy"]],
)
def test_dose_rp_total_matches_manifest(row: dict[str, str]) -> None:
    report = _parsed(row["folder"], row["file"]).report
    expected = row["total_ref_dose_Gy"]
    assert rp_total(report) == pytest.approx(float(expected), abs=_tolerance(expected))


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_events_and_totals_in_canonical_units(row: dict[str, str]) -> None:
    report = _parsed(row["folder"], row["file"]).report
    for plane in report.projection_accumulated:
        for value in (plane.dose_area_product_total, plane.fluoro_dose_area_product_total):
            assert value is None or value.unit == "Gy.cm2"
        assert plane.dose_rp_total is None or plane.dose_rp_total.unit == "Gy"
    for event in report.events:
        assert isinstance(event, ProjectionIrradiationEvent | MammographyIrradiationEvent)
        assert event.dose_area_product is None or event.dose_area_product.unit == "Gy.cm2"
        assert event.dose_rp is None or event.dose_rp.unit == "Gy"
        assert event.exposure_time is None or event.exposure_time.unit == "s"
        assert event.exposure is None or event.exposure.unit == "mA.s"
        assert all(k.unit == "kV" for k in event.kvp)


# --------------------------------------------------------------------------- modality


def test_dual_rdsr_pair_modality_decided_per_report() -> None:
    dx = parsed("Dual-RDSR-DX.dcm").report
    rf = parsed("Dual-RDSR-RF.dcm").report
    assert dx.device.model == rf.device.model == "Fluorospot Compact FD"
    assert dx.modality is DoseModality.RADIOGRAPHY
    assert rf.modality is DoseModality.FLUOROSCOPY
    assert all(isinstance(e, ProjectionIrradiationEvent) for e in dx.events + rf.events)


def test_dual_rdsr_dx_keeps_zero_rp_total_and_event_rp() -> None:
    result = parsed("Dual-RDSR-DX.dcm")
    (plane,) = result.report.projection_accumulated
    (event,) = result.report.events
    assert plane.dose_rp_total is not None and plane.dose_rp_total.value == 0.0
    assert isinstance(event, ProjectionIrradiationEvent)
    assert event.dose_rp is not None
    assert event.dose_rp.value == pytest.approx(3.5e-5, rel=1e-9)
    (finding,) = with_code(result.findings, "totals.differ_from_events")
    assert finding.concept == "DCM:113725" and "3.5e-05" in finding.message
    # Gym2 (quirk U01) converted: 0.00000239 Gy.m2 = 0.0239 Gy.cm2
    assert event.dose_area_product is not None
    assert event.dose_area_product.value == pytest.approx(0.0239, rel=1e-9)
    assert with_code(result.findings, "unit.nonstandard")


def test_azurion_declared_integrated_device_is_fluoroscopy_with_finding() -> None:
    result = parsed("RF-RDSR-Philips_Azurion.dcm")
    assert result.report.modality is DoseModality.FLUOROSCOPY
    (mismatch,) = with_code(result.findings, "device.type_mismatch")
    assert mismatch.severity is Severity.WARNING
    assert "DCM:113958" in mismatch.message


def test_carestream_integrated_radiography_has_no_mismatch() -> None:
    result = parsed("DX-RDSR-Carestream_DRXEvolution.dcm")
    assert result.report.modality is DoseModality.RADIOGRAPHY
    assert not with_code(result.findings, "device.type_mismatch")


# --------------------------------------------------------------------------- planes


def test_biplane_u104_planes_kept_apart() -> None:
    report = parsed("philips_allura_clarity_u104.dcm").report
    plane_a, plane_b = report.projection_accumulated
    assert same(plane_a.acquisition_plane, codes.PLANE_A)
    assert same(plane_b.acquisition_plane, codes.PLANE_B)
    assert plane_b.dose_area_product_total is not None
    assert plane_b.dose_area_product_total.value == 0.0
    assert plane_b.dose_rp_total is not None and plane_b.dose_rp_total.value == 0.0
    assert plane_a.dose_area_product_total is not None
    assert plane_a.dose_area_product_total.value == pytest.approx(0.078391324289, rel=1e-9)
    assert plane_a.total_fluoro_time is not None and plane_a.total_fluoro_time.value == 37.0
    assert all(
        isinstance(e, ProjectionIrradiationEvent) and same(e.acquisition_plane, codes.PLANE_A)
        for e in report.events
    )


@pytest.mark.parametrize(
    "name", ["philips_allura_clarity_u104.dcm", "philips_allura_clarity_u601.dcm"]
)
def test_philips_event_dap_below_total_keeps_both(name: str) -> None:
    result = parsed(name)
    report = result.report
    events = _sum(
        [
            e.dose_area_product.value
            for e in report.events
            if isinstance(e, ProjectionIrradiationEvent) and e.dose_area_product is not None
        ]
    )
    total = dap_total(report)
    assert 0.10 < (total - events) / total < 0.17
    (finding,) = [
        f
        for f in with_code(result.findings, "totals.differ_from_events")
        if f.concept == "DCM:113722"
    ]
    assert finding.severity is Severity.INFO


# --------------------------------------------------------------------------- quirks


def test_reference_point_definition_text_kept_with_one_finding() -> None:
    result = parsed("philips_allura_clarity_u601.dcm")
    event = result.report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    assert event.reference_point_definition == "15cm below BeamIsocenter"
    assert result.report.projection_accumulated[0].reference_point_definition == (
        "15cm below BeamIsocenter"
    )
    (finding,) = with_code(result.findings, "value.text_for_code")
    assert finding.severity is Severity.INFO and finding.concept == "DCM:113780"


def test_reference_point_definition_code() -> None:
    event = parsed("RF-RDSR-Siemens-Zee.dcm").report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    assert isinstance(event.reference_point_definition, Code)
    assert event.reference_point_definition.value == "113860"


def test_eurocolumbus_per_pulse_arrays() -> None:
    result = parsed("RF-RDSR-Eurocolumbus.dcm")
    event = result.report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    assert len(event.kvp) == len(event.tube_current) == len(event.pulse_width) == 22
    assert [k.value for k in event.kvp[:4]] == [0.0, 85.0, 85.0, 68.0]
    assert event.pulse_width[1].unit == "s"
    assert event.pulse_width[1].value == pytest.approx(0.008)
    assert event.tube_current[-1].value == 50.0
    assert event.exposure_time is not None and event.exposure_time.value == pytest.approx(0.168)
    assert event.number_of_pulses is not None and event.number_of_pulses.value == 22
    assert with_code(result.findings, "value.per_pulse")


def test_eurocolumbus_totals_differ_and_filter_scheme_quirk() -> None:
    result = parsed("RF-RDSR-Eurocolumbus.dcm")
    dap = [
        f
        for f in with_code(result.findings, "totals.differ_from_events")
        if f.concept == "DCM:113722"
    ]
    assert len(dap) == 1 and "0.09" in dap[0].message and "0.08" in dap[0].message
    event = result.report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    (material_filter,) = event.filters
    assert material_filter.material is not None
    assert code_key(material_filter.material) == normalise_key("SRT", "C-120F9")
    wrong = with_code(result.findings, "code.wrong_scheme")
    assert len(wrong) == 4 and all("PX01" in f.message for f in wrong)


def test_ge_empty_numbers_ucm_scheme_and_units() -> None:
    result = parsed("RF-RDSR-GE.dcm")
    empty = [f for f in result.findings if f.code in ("value.empty", "value.qualified")]
    assert len(empty) == 32
    assert all(f.severity is Severity.INFO for f in empty)
    assert with_code(result.findings, "unit.scheme_nonstandard")
    assert with_code(result.findings, "encoding.age_format")  # PatientAge "37Y"
    event = result.report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    assert event.positioner_primary_angle is None
    assert event.exposure is not None  # 20918.6 uAs (quirk U03) -> mA.s
    assert event.exposure.value == pytest.approx(20.91859960938)
    assert event.pulse_rate is None or event.pulse_rate.unit == "/s"
    assert event.collimated_field_area is not None
    assert event.collimated_field_area.unit == "cm2"
    assert event.collimated_field_area.value == pytest.approx(419.68)


def test_siemens_gym2_and_implausible_age() -> None:
    result = parsed("siemens_axiom_artis.dcm")
    assert with_code(result.findings, "unit.nonstandard")
    assert with_code(result.findings, "value.implausible_age")  # PatientAge 162Y
    assert result.report.patient.age is None


def test_t43_many_events_read_once() -> None:
    report = parsed("history_T43_siemens_axiom_artis.dcm").report
    assert len(report.events) == 145
    uids = {e.irradiation_event_uid for e in report.events}
    assert len(uids) == 145


def test_canon_misplaced_has_intent_and_modifier() -> None:
    result = parsed("RF-RDSR-Canon-Alphenix-rotational.dcm")
    report = result.report
    assert report.has_intent is not None and report.has_intent.scheme_designator == "SCT"
    assert report.scope_uid is not None
    misplaced = with_code(result.findings, "template.misplaced_item")
    assert len(misplaced) == 3
    events = [e for e in report.events if isinstance(e, ProjectionIrradiationEvent)]
    assert any(same(e.event_type, codes.ROTATIONAL_ACQUISITION) for e in events)
    assert all(e.patient_orientation_modifier is not None for e in events)
    first = events[0]
    assert first.collimated_field_area is not None
    assert first.collimated_field_area.value == pytest.approx(956.095174)


def test_azurion_event_exposure_converted_from_uas() -> None:
    event = parsed("RF-RDSR-Philips_Azurion.dcm").report.events[0]
    assert isinstance(event, ProjectionIrradiationEvent)
    assert event.exposure is not None and event.exposure.value == pytest.approx(0.375967)
    assert event.dose_area_product is not None
    assert event.dose_area_product.value == pytest.approx(0.0405878)
    assert len(event.filters) == 2


# --------------------------------------------------------------------------- builder


def _code_item(code: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue = code.value
    ds.CodingSchemeDesignator = code.scheme_designator
    ds.CodeMeaning = code.meaning
    return ds


def _item(relationship: str, value_type: str, concept: Code) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = relationship
    ds.ValueType = value_type
    ds.ConceptNameCodeSequence = [_code_item(concept)]
    return ds


def num(concept: Code, value: str, unit: str, relationship: str = "CONTAINS") -> Dataset:
    """A NUM content item with a UCUM-coded unit (``unit`` is sent as-is)."""
    ds = _item(relationship, "NUM", concept)
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = [_code_item(Code(unit, "UCUM", unit))]
    ds.MeasuredValueSequence = [measured]
    return ds


def coded(concept: Code, value: Code, relationship: str = "CONTAINS") -> Dataset:
    ds = _item(relationship, "CODE", concept)
    ds.ConceptCodeSequence = [_code_item(value)]
    return ds


def container(concept: Code, children: Sequence[Dataset]) -> Dataset:
    ds = _item("CONTAINS", "CONTAINER", concept)
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = list(children)
    return ds


def uidref(concept: Code, uid: str) -> Dataset:
    ds = _item("CONTAINS", "UIDREF", concept)
    ds.UID = uid
    return ds


def event(
    *,
    event_type: Code = codes.FLUOROSCOPY,
    dap: tuple[str, str] | None = ("0.00001", "Gy.m2"),
    dose_rp: tuple[str, str] | None = ("0.001", "Gy"),
    uid: bool = True,
    plane: Code = codes.SINGLE_PLANE,
    extra: Sequence[Dataset] = (),
) -> Dataset:
    """A TID 10003 Irradiation Event X-Ray Data container."""
    children = [
        coded(codes.ACQUISITION_PLANE, plane, "HAS CONCEPT MOD"),
        coded(codes.IRRADIATION_EVENT_TYPE, event_type),
    ]
    if uid:
        children.append(uidref(codes.IRRADIATION_EVENT_UID, generate_uid()))
    if dap is not None:
        children.append(num(codes.DOSE_AREA_PRODUCT, *dap))
    if dose_rp is not None:
        children.append(num(codes.DOSE_RP, *dose_rp))
    children.extend(extra)
    return container(codes.IRRADIATION_EVENT_X_RAY_DATA, children)


def accumulated(
    *,
    plane: Code = codes.SINGLE_PLANE,
    dap: str = "0.00001",
    dose_rp: str = "0.001",
    fluoro_time: str | None = None,
    extra: Sequence[Dataset] = (),
) -> Dataset:
    """A TID 10002 Accumulated X-Ray Dose Data container with TID 10004 totals."""
    children = [
        coded(codes.ACQUISITION_PLANE, plane, "HAS CONCEPT MOD"),
        num(codes.DOSE_AREA_PRODUCT_TOTAL, dap, "Gy.m2"),
        num(codes.DOSE_RP_TOTAL, dose_rp, "Gy"),
    ]
    if fluoro_time is not None:
        children.append(num(codes.TOTAL_FLUORO_TIME, fluoro_time, "s"))
    children.extend(extra)
    return container(codes.ACCUMULATED_X_RAY_DOSE_DATA, children)


def build_rdsr(
    content: Sequence[Dataset],
    *,
    procedure: Code = codes.PROJECTION_X_RAY,
    root_extra: Sequence[Dataset] = (),
) -> Dataset:
    """A minimal X-Ray Radiation Dose SR (TID 10001) holding ``content`` at the root."""
    ds = Dataset()
    ds.SOPClassUID = XRAY_RDSR
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "SR"
    ds.StudyDate = ds.ContentDate = "20240102"
    ds.StudyTime = ds.ContentTime = "101500"
    ds.Manufacturer = "SYNTHETIC"
    ds.ManufacturerModelName = "Builder"
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [_code_item(codes.X_RAY_RADIATION_DOSE_REPORT)]
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = "10001"
    ds.ContentTemplateSequence = [template]
    procedure_item = coded(codes.PROCEDURE_REPORTED, procedure, "HAS CONCEPT MOD")
    procedure_item.ContentSequence = [
        coded(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, "HAS CONCEPT MOD")
    ]
    ds.ContentSequence = [procedure_item, *root_extra, *content]
    return ds


# --------------------------------------------------------------------------- synthetic


def test_synthetic_clean_report_has_no_warnings() -> None:
    result = parse(build_rdsr([accumulated(), event()]), Strictness.STRICT)
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert not [f for f in result.findings if f.severity >= Severity.WARNING]
    (plane,) = result.report.projection_accumulated
    assert plane.dose_area_product_total is not None
    assert plane.dose_area_product_total.value == pytest.approx(0.1)


def test_dap_in_dgy_cm2_converted_with_finding() -> None:
    ds = build_rdsr([accumulated(), event(dap=("1", "dGy.cm2"))])
    result = parse(ds)
    (ev,) = result.report.events
    assert isinstance(ev, ProjectionIrradiationEvent)
    assert ev.dose_area_product is not None
    assert ev.dose_area_product.unit == "Gy.cm2"
    assert ev.dose_area_product.value == pytest.approx(0.1)
    (unexpected,) = with_code(result.findings, "unit.unexpected")
    assert unexpected.concept == "DCM:122130" and unexpected.severity is Severity.WARNING


def test_dap_in_gy_cm_caret_quirk_u10() -> None:
    ds = build_rdsr([accumulated(), event(dap=("0.1", "Gy.cm^2"))])
    result = parse(ds)
    ev = result.report.events[0]
    assert isinstance(ev, ProjectionIrradiationEvent)
    assert ev.dose_area_product is not None
    assert ev.dose_area_product.value == pytest.approx(0.1)
    (nonstandard,) = with_code(result.findings, "unit.nonstandard")
    assert "U10" in nonstandard.message


def test_dose_rp_in_mgy_converted_with_finding() -> None:
    ds = build_rdsr([accumulated(), event(dose_rp=("1", "mGy"))])
    result = parse(ds)
    ev = result.report.events[0]
    assert isinstance(ev, ProjectionIrradiationEvent)
    assert ev.dose_rp is not None
    assert ev.dose_rp.unit == "Gy" and ev.dose_rp.value == pytest.approx(0.001)
    (unexpected,) = with_code(result.findings, "unit.unexpected")
    assert unexpected.concept == "DCM:113738"


def test_missing_accumulated_container_is_an_error_finding() -> None:
    result = parse(build_rdsr([event()]))
    assert len(result.report.events) == 1
    assert result.report.projection_accumulated == ()
    (error,) = with_code(result.findings, "template.missing_mandatory")
    assert error.severity is Severity.ERROR
    assert error.concept == "DCM:113702" and error.content_path == "root"
    with pytest.raises(StrictnessError, match="113702"):
        parse(build_rdsr([event()]), Strictness.STANDARD)


def test_event_without_dap_kept_with_error_finding() -> None:
    result = parse(build_rdsr([accumulated(), event(dap=None)]))
    (ev,) = result.report.events
    assert isinstance(ev, ProjectionIrradiationEvent)
    assert ev.dose_area_product is None
    assert ev.dose_rp is not None
    (error,) = with_code(result.findings, "template.missing_mandatory")
    assert error.severity is Severity.ERROR
    assert error.concept == "DCM:122130" and error.content_path == "3"


def test_event_without_uid_kept_with_warning() -> None:
    result = parse(build_rdsr([accumulated(), event(uid=False)]))
    (ev,) = result.report.events
    assert ev.irradiation_event_uid is None
    (warning,) = with_code(result.findings, "event.uid_missing")
    assert warning.severity is Severity.WARNING


def test_strict_raises_on_nonstandard_unit() -> None:
    ds = build_rdsr([accumulated(), event(dap=("0.00001", "Gym2"))])
    assert parse(ds, Strictness.LENIENT).report.events
    with pytest.raises(StrictnessError, match=r"unit\.nonstandard"):
        parse(ds, Strictness.STRICT)


def test_report_without_dose_content_is_rejected() -> None:
    with pytest.raises(MissingMandatoryItemError, match="113706"):
        parse(build_rdsr([num(codes.COMMENT, "1", "1")]))


def test_radiography_when_no_fluoroscopy() -> None:
    ds = build_rdsr([accumulated(fluoro_time="0"), event(event_type=codes.STATIONARY_ACQUISITION)])
    assert parse(ds).report.modality is DoseModality.RADIOGRAPHY


def test_fluoroscopy_from_totals_alone() -> None:
    ds = build_rdsr([accumulated(fluoro_time="12.5")])
    report = parse(ds).report
    assert report.modality is DoseModality.FLUOROSCOPY
    (plane,) = report.projection_accumulated
    assert isinstance(plane, AccumulatedProjectionDose)
    assert plane.total_fluoro_time is not None and plane.total_fluoro_time.value == 12.5


def test_cassette_device_with_fluoroscopy_is_a_mismatch() -> None:
    declared = coded(
        codes.ACQUISITION_DEVICE_TYPE,
        codes.CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM,
        "HAS CONCEPT MOD",
    )
    result = parse(build_rdsr([accumulated(), event()], root_extra=[declared]))
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert with_code(result.findings, "device.type_mismatch")


def test_biplane_totals_compared_per_plane() -> None:
    ds = build_rdsr(
        [
            accumulated(plane=codes.PLANE_A, dap="0.00002", dose_rp="0.002"),
            accumulated(plane=codes.PLANE_B, dap="0.00001", dose_rp="0.001"),
            event(plane=codes.PLANE_A, dap=("0.00002", "Gy.m2"), dose_rp=("0.002", "Gy")),
            event(plane=codes.PLANE_B, dap=("0.00001", "Gy.m2"), dose_rp=("0.0005", "Gy")),
        ]
    )
    result = parse(ds)
    plane_a, plane_b = result.report.projection_accumulated
    assert plane_a.dose_area_product_total is not None
    assert plane_b.dose_area_product_total is not None
    assert plane_a.dose_area_product_total.value == pytest.approx(0.2)
    assert plane_b.dose_area_product_total.value == pytest.approx(0.1)
    (differ,) = with_code(result.findings, "totals.differ_from_events")
    assert "Plane B" in differ.message and differ.concept == "DCM:113725"


def test_negative_dose_is_implausible_but_kept() -> None:
    result = parse(build_rdsr([accumulated(), event(dose_rp=("-0.001", "Gy"))]))
    ev = result.report.events[0]
    assert isinstance(ev, ProjectionIrradiationEvent)
    assert ev.dose_rp is not None and ev.dose_rp.value == pytest.approx(-0.001)
    assert with_code(result.findings, "value.implausible")


def test_manifest_tolerance_helper() -> None:
    assert _tolerance("0.0784") == pytest.approx(5e-5)
    assert _tolerance("44.6856") == pytest.approx(5e-5)
    assert _tolerance("145") == pytest.approx(1.45e-4)
