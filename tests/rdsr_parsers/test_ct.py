"""TID 10011 CT reader: every CT sample file against MANIFEST.csv, vendor quirks, and
synthetic edge cases built with pydicom."""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import code_str, same
from dosewatch.domain.errors import MissingMandatoryItemError, StrictnessError
from dosewatch.domain.findings import Finding, Severity, Strictness
from dosewatch.domain.report import CtIrradiationEvent, DoseModality, DoseReport, SourceKind
from rdsr_parsers import quirks
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult

DATA = Path(__file__).resolve().parents[1] / "data" / "openrem"
CT_FILES = (
    "CT-ESR-GE_VCT.dcm",
    "CT-RDSR-GEPixelMed.dcm",
    "CT-RDSR-Philips_BigBore4DCT.dcm",
    "CT-RDSR-Siemens-Continued-1.dcm",
    "CT-RDSR-Siemens-Continued-2.dcm",
    "CT-RDSR-Siemens_Flash-QA-DS.dcm",
    "CT-RDSR-Siemens_Flash-TAP-SS.dcm",
    "CT-RDSR-ToshibaPixelMed.dcm",
    "CT-RDSR-Toshiba_DoseCheck.dcm",
    "NM-CT-RDSR-Siemens.dcm",
)
_PER_EVENT_MARK = "CTDIvol/DLP per event (mGy / mGy.cm):"


def _manifest() -> dict[str, dict[str, str]]:
    with (DATA / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _per_event(notes: str) -> list[tuple[float | None, float | None]]:
    """(CTDIvol, DLP) pairs from a MANIFEST note; '-' means the event has no value."""
    text = notes.split(_PER_EVENT_MARK, 1)[1].strip().strip('"')
    pairs: list[tuple[float | None, float | None]] = []
    for part in text.split(";"):
        ctdi, dlp = part.strip().split("/")
        pairs.append((None if ctdi == "-" else float(ctdi), None if dlp == "-" else float(dlp)))
    return pairs


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9)


@functools.cache
def _read(name: str, strictness: Strictness = Strictness.LENIENT) -> ParseResult:
    """Parse one corpus file once per session (results are frozen)."""
    return parse(DATA / name, strictness)


def _ct_events(report: DoseReport) -> list[CtIrradiationEvent]:
    events = [e for e in report.events if isinstance(e, CtIrradiationEvent)]
    assert len(events) == len(report.events)
    return events


def _with_code(findings: Iterable[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# ------------------------------------------------------------------ corpus vs MANIFEST


@pytest.mark.parametrize("name", CT_FILES)
def test_corpus_file_matches_manifest(name: str) -> None:
    row = _manifest()[name]
    result = _read(name)
    report = result.report
    events = _ct_events(report)
    assert report.modality is DoseModality.CT
    assert len(events) == int(row["event_count"])
    expected = _per_event(row["notes"])
    assert len(expected) == len(events)
    for event, (ctdivol, dlp) in zip(events, expected, strict=True):
        if ctdivol is None:
            assert event.ctdivol is None
        else:
            assert event.ctdivol is not None
            assert event.ctdivol.unit == "mGy"
            assert _close(event.ctdivol.value, ctdivol)
        if dlp is None:
            assert event.dlp is None
        else:
            assert event.dlp is not None
            assert event.dlp.unit == "mGy.cm"
            assert _close(event.dlp.value, dlp)
    accumulated = report.ct_accumulated
    assert accumulated is not None
    assert accumulated.dlp_total is not None
    assert accumulated.dlp_total.unit == "mGy.cm"
    assert _close(accumulated.dlp_total.value, float(row["total_dlp_mGycm"]))
    assert accumulated.total_number_of_irradiation_events == int(row["event_count"])
    # every event carries its UID and acquisition type; no dose information was lost
    assert all(e.irradiation_event_uid for e in events)
    assert all(e.acquisition_type is not None for e in events)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    # totals agree with the event sums in the corpus: no difference finding
    assert not _with_code(result.findings, "totals.differ_from_events")


@pytest.mark.parametrize("name", CT_FILES)
def test_corpus_file_parses_at_standard_strictness(name: str) -> None:
    assert _read(name, Strictness.STANDARD).report.template_id == "10011"


def test_ge_vct_enhanced_sr_units_and_localizers() -> None:
    result = _read("CT-ESR-GE_VCT.dcm")
    report = result.report
    assert report.source_kind is SourceKind.ENHANCED_SR_DOSE
    nonstandard = _with_code(result.findings, "unit.nonstandard")
    mgycm = [f for f in nonstandard if "quirk U02" in f.message]
    # a count annotation without braces is harmless: its own INFO code (finding catalogue)
    sources = [
        f for f in _with_code(result.findings, "unit.normalised") if "quirk U04" in f.message
    ]
    assert len(mgycm) == 12  # the DLP total and 11 event DLPs
    assert all(f.severity is Severity.WARNING for f in mgycm)
    assert len(sources) == 27
    assert all(f.severity is Severity.INFO for f in sources)
    events = _ct_events(report)
    assert all(e.number_of_xray_sources == 1 for e in events)
    without_dose = [e for e in events if e.ctdivol is None]
    assert len(without_dose) == 16
    assert all(same(e.acquisition_type, codes.CONSTANT_ANGLE_ACQUISITION) for e in without_dose)
    (localizers,) = _with_code(result.findings, "ct.localizer_without_dose")
    assert localizers.severity is Severity.INFO
    assert "16" in localizers.message


def test_ge_pixelmed_first_event_without_protocol_and_empty_target_region() -> None:
    result = _read("CT-RDSR-GEPixelMed.dcm")
    first, second = _ct_events(result.report)
    assert first.acquisition_protocol is None
    assert second.acquisition_protocol == "10.13 RADIOTHERAPY QA"
    assert first.target_region is None and second.target_region is None
    empty = _with_code(result.findings, "value.empty_code")
    assert [f.content_path for f in empty] == ["11.1", "12.2"]
    assert all("quirk CT03" in f.message and f.severity is Severity.WARNING for f in empty)
    assert first.phantom_diameter_cm == 16
    # items without a dedicated field are kept with their unit
    (reconstructable,) = first.other_measurements
    assert reconstructable.concept.value == "113893"
    assert reconstructable.value is not None
    assert reconstructable.value.unit == "mm"
    assert reconstructable.value.value == pytest.approx(60.0)


def test_philips_empty_target_region_implausible_exposure_time_and_pitch() -> None:
    result = _read("CT-RDSR-Philips_BigBore4DCT.dcm")
    (event,) = _ct_events(result.report)
    assert event.target_region is None
    (empty,) = _with_code(result.findings, "value.empty_code")
    assert empty.severity is Severity.WARNING
    assert empty.content_path == "13.2"
    assert empty.concept == "DCM:123014"
    assert "quirk CT02" in empty.message
    assert event.exposure_time is not None
    assert event.exposure_time.value == 11912.0  # kept as sent
    assert event.exposure_time.unit == "s"
    (implausible,) = _with_code(result.findings, "value.implausible")
    assert implausible.severity is Severity.WARNING
    assert implausible.content_path == "13.6.1"
    assert "11912" in implausible.message and "quirk CT01" in implausible.message
    assert event.pitch_factor is not None
    assert event.pitch_factor.value == pytest.approx(0.042)
    assert event.comment == "Gated"
    (source,) = event.xray_sources
    assert source.identification == "A"
    assert source.kvp is not None and source.kvp.value == 120.0 and source.kvp.unit == "kV"
    assert source.tube_current is not None and source.tube_current.unit == "mA"


def test_philips_is_rejected_by_strict_strictness() -> None:
    with pytest.raises(StrictnessError):
        _read("CT-RDSR-Philips_BigBore4DCT.dcm", Strictness.STRICT)


def test_siemens_dual_source_has_two_source_containers_per_event() -> None:
    events = _ct_events(_read("CT-RDSR-Siemens_Flash-QA-DS.dcm").report)
    assert len(events) == 9
    for event in events:
        assert event.number_of_xray_sources == 2
        assert [s.identification for s in event.xray_sources] == ["A", "B"]
    first = events[0]
    assert [s.kvp.value if s.kvp else None for s in first.xray_sources] == [100.0, 140.0]
    assert [s.tube_current.value if s.tube_current else None for s in first.xray_sources] == [
        399.0,
        308.0,
    ]
    assert first.xray_sources[0].exposure_time_per_rotation is not None
    assert first.xray_sources[0].exposure_time_per_rotation.value == pytest.approx(0.5)


def test_siemens_misdecoded_protocol_is_kept_as_text() -> None:
    events = _ct_events(_read("CT-RDSR-Siemens_Flash-TAP-SS.dcm").report)
    assert events[0].acquisition_protocol == "test\u00c3\u00a6\u00c3\u00b8\u00c3\u00a5"
    assert [e.acquisition_protocol for e in events[1:]] == ["PreMonitoring", "Monitoring", "TAP"]


def test_toshiba_dose_check_details() -> None:
    events = _ct_events(_read("CT-RDSR-Toshiba_DoseCheck.dcm").report)
    alert, notification = events[1].dose_check_alerts
    assert alert.kind == "alert"
    assert alert.dlp_value_configured is True
    assert alert.ctdivol_value_configured is True
    assert alert.dlp_value is not None and alert.dlp_value.value == pytest.approx(100.0)
    assert alert.dlp_value.unit == "mGy.cm"
    assert alert.ctdivol_value is not None and alert.ctdivol_value.value == pytest.approx(10.0)
    assert alert.accumulated_dlp_forward_estimate is not None
    assert alert.accumulated_dlp_forward_estimate.value == pytest.approx(502.4)
    assert alert.accumulated_ctdivol_forward_estimate is not None
    assert alert.accumulated_ctdivol_forward_estimate.value == pytest.approx(10.6)
    assert alert.person_authorizing is not None
    assert alert.person_authorizing not in repr(alert)
    assert notification.kind == "notification"
    assert notification.dlp_value_configured is False
    assert notification.ctdivol_value_configured is False
    assert notification.dlp_value is None and notification.ctdivol_value is None
    first_alert = events[0].dose_check_alerts[0]
    assert first_alert.accumulated_ctdivol_forward_estimate is None
    assert first_alert.accumulated_dlp_forward_estimate is not None
    assert first_alert.accumulated_dlp_forward_estimate.value == pytest.approx(251.2)
    assert events[0].exposed_range is not None
    assert events[0].exposed_range.value == pytest.approx(527.0)


def test_siemens_dose_check_configured_ctdivol_only() -> None:
    events = _ct_events(_read("NM-CT-RDSR-Siemens.dcm").report)
    alert, notification = events[1].dose_check_alerts
    assert (alert.dlp_value_configured, alert.ctdivol_value_configured) == (False, True)
    assert alert.ctdivol_value is not None and alert.ctdivol_value.value == 1000.0
    assert alert.dlp_value is None
    assert notification.ctdivol_value_configured is False
    assert events[1].xray_modulation_type == "XYZ_EC"


def test_toshiba_pixelmed_localizer_without_dose_is_normal() -> None:
    result = _read("CT-RDSR-ToshibaPixelMed.dcm")
    localizer = _ct_events(result.report)[0]
    assert same(localizer.acquisition_type, codes.CONSTANT_ANGLE_ACQUISITION)
    assert localizer.ctdivol is None and localizer.dlp is None
    assert same(localizer.target_region, Code("416775004", "SCT", "Chest, Abdomen and Pelvis"))
    assert max(f.severity for f in result.findings) is Severity.INFO
    assert _with_code(result.findings, "ct.localizer_without_dose")


def test_ct_quirk_rows_name_existing_evidence_files() -> None:
    rows = [q for q in quirks.all_quirks() if q.quirk_id.startswith("CT")]
    assert {q.kind for q in rows} >= {"ct_exposure_time_ms", "empty_target_region"}
    for row in rows:
        assert not row.evidence_file or (DATA / row.evidence_file).is_file(), row.quirk_id


# ------------------------------------------------------------------ synthetic builder

_UID_PREFIX = "1.2.826.0.1.3680043.10.1234."
SPIRAL = Code("P5-08001", "SRT", "Spiral Acquisition")
ABDOMEN = Code("T-D4000", "SRT", "Abdomen")
BODY_PHANTOM = codes.IEC_BODY_DOSIMETRY_PHANTOM


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
    ds.ConceptNameCodeSequence = DicomSequence([_code_item(concept)])
    return ds


def num(concept: Code, value: str | None, unit: str) -> Dataset:
    """A NUM item; ``value=None`` gives an empty Measured Value Sequence."""
    ds = _item("CONTAINS", "NUM", concept)
    if value is None:
        ds.MeasuredValueSequence = DicomSequence([])
        return ds
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = DicomSequence([_code_item(Code(unit, "UCUM", unit))])
    ds.MeasuredValueSequence = DicomSequence([measured])
    return ds


def code(concept: Code, value: Code | None, relationship: str = "CONTAINS") -> Dataset:
    ds = _item(relationship, "CODE", concept)
    ds.ConceptCodeSequence = DicomSequence([] if value is None else [_code_item(value)])
    return ds


def text(concept: Code, value: str) -> Dataset:
    ds = _item("CONTAINS", "TEXT", concept)
    ds.TextValue = value
    return ds


def uid(concept: Code, value: str) -> Dataset:
    ds = _item("CONTAINS", "UIDREF", concept)
    ds.UID = value
    return ds


def container(concept: Code, children: Sequence[Dataset | None]) -> Dataset:
    ds = _item("CONTAINS", "CONTAINER", concept)
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = DicomSequence([c for c in children if c is not None])
    return ds


def with_children(item: Dataset, children: Sequence[Dataset]) -> Dataset:
    item.ContentSequence = DicomSequence(list(children))
    return item


def acquisition(
    n: int = 1,
    *,
    acquisition_type: Code | None = SPIRAL,
    target: Code | None = ABDOMEN,
    ctdivol: str | None = "10.5",
    dlp: str | None = "400.25",
    dlp_unit: str = "mGy.cm",
    omit: frozenset[str] = frozenset(),
    dose: bool = True,
    dose_extra: Sequence[Dataset] = (),
    sources: int = 1,
    number_of_sources: int = 1,
) -> Dataset:
    """One CT Acquisition (TID 10013); ``omit`` drops items by concept code value."""

    def keep(concept: Code, item: Dataset) -> Dataset | None:
        return None if concept.value in omit else item

    source_items = [
        container(
            codes.CT_X_RAY_SOURCE_PARAMETERS,
            [
                text(codes.IDENTIFICATION_OF_THE_X_RAY_SOURCE, "AB"[i]),
                num(codes.KVP, "120", "kV"),
                num(codes.MAXIMUM_X_RAY_TUBE_CURRENT, "300", "mA"),
                num(codes.X_RAY_TUBE_CURRENT, "250", "mA"),
                num(codes.EXPOSURE_TIME_PER_ROTATION, "0.5", "s"),
            ],
        )
        for i in range(sources)
    ]
    parameters = container(
        codes.CT_ACQUISITION_PARAMETERS,
        [
            num(codes.CT_EXPOSURE_TIME, "7.5", "s"),
            num(codes.SCANNING_LENGTH, "400", "mm"),
            num(codes.NOMINAL_SINGLE_COLLIMATION_WIDTH, "0.625", "mm"),
            num(codes.NOMINAL_TOTAL_COLLIMATION_WIDTH, "40", "mm"),
            num(codes.PITCH_FACTOR, "0.984", "{ratio}"),
            num(codes.NUMBER_OF_X_RAY_SOURCES, str(number_of_sources), "{X-Ray sources}"),
            *source_items,
        ],
    )
    ct_dose = container(
        codes.CT_DOSE,
        [
            keep(codes.MEAN_CTDIVOL, num(codes.MEAN_CTDIVOL, ctdivol, "mGy")),
            code(codes.CTDIW_PHANTOM_TYPE, BODY_PHANTOM),
            keep(codes.DLP, num(codes.DLP, dlp, dlp_unit)),
            *dose_extra,
        ],
    )
    return container(
        codes.CT_ACQUISITION,
        [
            text(codes.ACQUISITION_PROTOCOL, f"Protocol {n}"),
            None
            if target is None
            else keep(codes.TARGET_REGION, code(codes.TARGET_REGION, target)),
            None if acquisition_type is None else code(codes.CT_ACQUISITION_TYPE, acquisition_type),
            keep(
                codes.IRRADIATION_EVENT_UID, uid(codes.IRRADIATION_EVENT_UID, f"{_UID_PREFIX}9.{n}")
            ),
            parameters,
            ct_dose if dose else None,
        ],
    )


def accumulated(
    total: str | None = "400.25", events: int = 1, extra: Sequence[Dataset] = ()
) -> Dataset:
    return container(
        codes.CT_ACCUMULATED_DOSE_DATA,
        [
            num(codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS, str(events), "{events}"),
            None if total is None else num(codes.CT_DOSE_LENGTH_PRODUCT_TOTAL, total, "mGy.cm"),
            *extra,
        ],
    )


def ct_sr(content: Sequence[Dataset | None]) -> Dataset:
    """A minimal X-Ray Radiation Dose SR (TID 10011) holding ``content`` after the
    procedure, observer and scope items."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.67"
    ds.SOPInstanceUID = f"{_UID_PREFIX}1"
    ds.StudyInstanceUID = f"{_UID_PREFIX}2"
    ds.SeriesInstanceUID = f"{_UID_PREFIX}3"
    ds.Modality = "SR"
    ds.Manufacturer = "Synthetic"
    ds.ManufacturerModelName = "CT builder"
    ds.StudyDate = "20240102"
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = DicomSequence([_code_item(codes.X_RAY_RADIATION_DOSE_REPORT)])
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = "10011"
    ds.ContentTemplateSequence = DicomSequence([template])
    procedure = with_children(
        code(codes.PROCEDURE_REPORTED, codes.COMPUTED_TOMOGRAPHY_X_RAY, "HAS CONCEPT MOD"),
        [code(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, "HAS CONCEPT MOD")],
    )
    observer = code(codes.OBSERVER_TYPE, Code("121007", "DCM", "Device"), "HAS OBS CONTEXT")
    device_uid = uid(codes.DEVICE_OBSERVER_UID, f"{_UID_PREFIX}4")
    device_uid.RelationshipType = "HAS OBS CONTEXT"
    ds.ContentSequence = DicomSequence(
        [procedure, observer, device_uid, *(c for c in content if c is not None)]
    )
    return ds


def _parse(
    content: Sequence[Dataset | None], strictness: Strictness = Strictness.LENIENT
) -> ParseResult:
    return parse(ct_sr(content), strictness, name="synthetic-ct")


# ------------------------------------------------------------------ synthetic edge cases


def test_minimal_valid_report_reads_without_warnings() -> None:
    result = _parse([accumulated(), acquisition()], Strictness.STRICT)
    (event,) = _ct_events(result.report)
    assert event.irradiation_event_uid == f"{_UID_PREFIX}9.1"
    assert event.ctdivol is not None and event.ctdivol.value == pytest.approx(10.5)
    assert event.dlp is not None and event.dlp.value == pytest.approx(400.25)
    assert event.scanning_length is not None and event.scanning_length.value == 400.0
    assert event.nominal_total_collimation_width is not None
    assert event.nominal_total_collimation_width.value == 40.0
    assert event.exposure_time is not None and event.exposure_time.value == 7.5
    assert event.phantom_diameter_cm == 32
    assert event.acquisition_protocol == "Protocol 1"
    assert max((f.severity for f in result.findings), default=Severity.INFO) is Severity.INFO


def test_srt_codes_are_read_as_sct() -> None:
    result = _parse([accumulated(), acquisition()])
    (event,) = _ct_events(result.report)
    assert event.acquisition_type is not None
    assert code_str(event.acquisition_type) == "SCT:116152004"
    assert same(event.acquisition_type, codes.SPIRAL_ACQUISITION)
    assert code_str(event.target_region) == "SCT:113345001"
    legacy = _with_code(result.findings, "code.legacy_scheme")
    assert {f.severity for f in legacy} == {Severity.INFO}


def test_missing_irradiation_event_uid_is_a_warning_naming_concept_and_path() -> None:
    omit = frozenset({codes.IRRADIATION_EVENT_UID.value})
    result = _parse([accumulated(), acquisition(omit=omit)])
    (event,) = _ct_events(result.report)
    assert event.irradiation_event_uid is None
    assert event.dlp is not None  # the dose is still read: identity lost, not dose
    (warning,) = _with_code(result.findings, "event.uid_missing")
    assert warning.severity is Severity.WARNING
    assert warning.concept == "DCM:113769"
    assert warning.content_path == "5"
    _parse([accumulated(), acquisition(omit=omit)], Strictness.STANDARD)
    with pytest.raises(StrictnessError):
        _parse([accumulated(), acquisition(omit=omit)], Strictness.STRICT)


def test_missing_ctdivol_in_ct_dose_is_an_error() -> None:
    result = _parse([accumulated(), acquisition(omit=frozenset({codes.MEAN_CTDIVOL.value}))])
    (event,) = _ct_events(result.report)
    assert event.ctdivol is None
    assert event.dlp is not None
    (error,) = _with_code(result.findings, "template.missing_mandatory")
    assert error.severity is Severity.ERROR
    assert error.concept == "DCM:113830"
    assert error.content_path == "5.6"


def test_scan_without_ct_dose_is_an_error_but_localizer_is_not() -> None:
    scan = _parse([accumulated(), acquisition(dose=False)])
    (error,) = _with_code(scan.findings, "template.missing_mandatory")
    assert error.concept == "DCM:113829"
    localizer = _parse(
        [
            accumulated(),
            acquisition(dose=False, acquisition_type=codes.CONSTANT_ANGLE_ACQUISITION),
        ],
        Strictness.STANDARD,
    )
    (event,) = _ct_events(localizer.report)
    assert event.ctdivol is None and event.dlp is None
    assert not [f for f in localizer.findings if f.severity > Severity.INFO]
    assert _with_code(localizer.findings, "ct.localizer_without_dose")


def test_dlp_in_unexpected_unit_is_converted_with_a_finding() -> None:
    content = [accumulated(total="40.025"), acquisition(dlp="400.25", dlp_unit="mGy.mm")]
    result = _parse(content)
    (event,) = _ct_events(result.report)
    assert event.dlp is not None
    assert event.dlp.unit == "mGy.cm"
    assert event.dlp.value == pytest.approx(40.025, rel=1e-9)
    (finding,) = _with_code(result.findings, "unit.unexpected")
    assert finding.severity is Severity.WARNING
    assert "mGy.mm" in finding.message
    assert finding.content_path == "5.6.3"


def test_strict_raises_on_a_warning() -> None:
    content = [accumulated(total="40.025"), acquisition(dlp="400.25", dlp_unit="mGy.mm")]
    with pytest.raises(StrictnessError) as raised:
        _parse(content, Strictness.STRICT)
    assert "unit.unexpected" in str(raised.value)
    assert _parse(content, Strictness.STANDARD).report.events


def test_empty_measured_value_sequence_drops_the_value_with_a_warning() -> None:
    result = _parse([accumulated(), acquisition(ctdivol=None)])
    (event,) = _ct_events(result.report)
    assert event.ctdivol is None
    assert event.dlp is not None
    (empty,) = _with_code(result.findings, "value.empty")
    assert empty.content_path == "5.6.1"
    (unavailable,) = _with_code(result.findings, "value.unavailable")
    assert unavailable.severity is Severity.WARNING
    assert unavailable.concept == "DCM:113830"


def test_missing_and_empty_target_region_are_warnings() -> None:
    missing = _parse([accumulated(), acquisition(target=None)])
    (event,) = _ct_events(missing.report)
    assert event.target_region is None
    (finding,) = _with_code(missing.findings, "template.missing_item")
    assert finding.severity is Severity.WARNING
    assert finding.concept == "DCM:123014"
    empty_item = acquisition()
    empty_item.ContentSequence[1].ConceptCodeSequence = DicomSequence([])
    empty = _parse([accumulated(), empty_item])
    assert _ct_events(empty.report)[0].target_region is None
    (finding,) = _with_code(empty.findings, "value.empty_code")
    assert finding.severity is Severity.WARNING
    assert finding.content_path == "5.2"
    assert "quirk" not in finding.message  # no quirk row for this synthetic device


def test_totals_are_kept_as_reported_and_a_difference_is_reported() -> None:
    content = [
        accumulated(total="1000", events=2),
        acquisition(1, dlp="400"),
        acquisition(2, dlp="500"),
    ]
    result = _parse(content)
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.dlp_total is not None
    assert result.report.ct_accumulated.dlp_total.value == 1000.0
    (finding,) = _with_code(result.findings, "totals.differ_from_events")
    assert finding.severity is Severity.INFO
    assert "1000" in finding.message and "900" in finding.message
    # 0.4 % is rounding, not a difference
    close = _parse(
        [accumulated(total="903.6", events=2), acquisition(1, dlp="400"), acquisition(2, dlp="500")]
    )
    assert not _with_code(close.findings, "totals.differ_from_events")


def test_event_count_difference_is_reported() -> None:
    result = _parse([accumulated(total="400.25", events=3), acquisition()])
    (finding,) = _with_code(result.findings, "totals.event_count_differs")
    assert "3" in finding.message and "1" in finding.message


def test_no_acquisition_and_no_accumulated_data_is_missing_mandatory() -> None:
    comment = text(codes.COMMENT, "nothing irradiated")
    with pytest.raises(MissingMandatoryItemError) as raised:
        _parse([comment])
    assert "113819" in str(raised.value)


def test_accumulated_only_report_keeps_totals() -> None:
    result = _parse([accumulated(total="123.4", events=0)])
    assert result.report.events == ()
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.dlp_total is not None
    assert result.report.ct_accumulated.dlp_total.value == pytest.approx(123.4)
    assert _with_code(result.findings, "ct.no_acquisitions")


def test_missing_accumulated_dose_data_is_an_error() -> None:
    result = _parse([acquisition()])
    (error,) = _with_code(result.findings, "template.missing_mandatory")
    assert error.concept == "DCM:113811"
    assert result.report.ct_accumulated is None
    assert len(result.report.events) == 1


def test_reported_effective_dose_is_kept_apart() -> None:
    effective = with_children(
        num(codes.EFFECTIVE_DOSE, "6.0", "mSv"),
        [num(codes.EFFECTIVE_DOSE_CONVERSION_FACTOR, "0.015", "mSv/mGy.cm")],
    )
    total_effective = with_children(
        num(codes.CT_EFFECTIVE_DOSE_TOTAL, "6.0", "mSv"),
        [text(codes.REFERENCE_AUTHORITY, "ICRP 103")],
    )
    result = _parse([accumulated(extra=[total_effective]), acquisition(dose_extra=[effective])])
    (event,) = _ct_events(result.report)
    assert event.reported_effective_dose is not None
    assert event.reported_effective_dose.value == 6.0
    assert event.reported_effective_dose.unit == "mSv"
    factor = event.reported_effective_dose_conversion_factor
    assert factor is not None and factor.value == pytest.approx(0.015)
    assert factor.unit == "mSv/(mGy.cm)"
    (normalised,) = _with_code(result.findings, "unit.normalised")
    assert "quirk CT04" in normalised.message
    accumulated_dose = result.report.ct_accumulated
    assert accumulated_dose is not None
    assert accumulated_dose.effective_dose_total is not None
    assert accumulated_dose.effective_dose_total.value == 6.0
    assert accumulated_dose.effective_dose_reference_authority == "ICRP 103"


def test_ssde_with_method_and_water_equivalent_diameter() -> None:
    ssde = with_children(
        num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "14.2", "mGy"),
        [
            code(codes.MEASUREMENT_METHOD, codes.AAPM_220, "HAS CONCEPT MOD"),
            num(codes.WATER_EQUIVALENT_DIAMETER, "27.5", "cm"),
            num(codes.DERIVED_EFFECTIVE_DIAMETER, "290", "mm"),
        ],
    )
    for diameter in ssde.ContentSequence[1:]:
        diameter.RelationshipType = "INFERRED FROM"
    result = _parse([accumulated(), acquisition(dose_extra=[ssde])])
    (event,) = _ct_events(result.report)
    assert event.ssde is not None and event.ssde.value == pytest.approx(14.2)
    assert same(event.ssde_method, codes.AAPM_220)
    assert event.water_equivalent_diameter is not None
    assert event.water_equivalent_diameter.unit == "mm"
    assert event.water_equivalent_diameter.value == pytest.approx(275.0)
    assert event.derived_effective_diameter is not None
    assert event.derived_effective_diameter.value == pytest.approx(290.0)
    (converted,) = _with_code(result.findings, "unit.unexpected")
    assert converted.concept == "DCM:113980"
    assert not event.other_measurements


def test_dose_check_value_configured_but_absent_is_a_warning() -> None:
    alert = container(
        codes.DOSE_CHECK_ALERT_DETAILS,
        [
            code(codes.DLP_ALERT_VALUE_CONFIGURED, Code("R-0038D", "SRT", "Yes")),
            code(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, codes.NO),
            text(codes.REASON_FOR_PROCEEDING, "clinical need"),
        ],
    )
    result = _parse([accumulated(), acquisition(dose_extra=[alert])])
    (details,) = _ct_events(result.report)[0].dose_check_alerts
    assert details.kind == "alert"
    assert details.dlp_value_configured is True
    assert details.ctdivol_value_configured is False
    assert details.dlp_value is None
    assert details.reason_for_proceeding == "clinical need"
    (finding,) = _with_code(result.findings, "template.missing_item")
    assert finding.concept == "DCM:113903"
    assert finding.severity is Severity.WARNING


def test_dual_source_count_mismatch_and_duplicate_uid() -> None:
    result = _parse(
        [
            accumulated(total="800.5", events=2),
            acquisition(1, sources=2, number_of_sources=1),
            acquisition(1),
        ]
    )
    first, second = _ct_events(result.report)
    assert [s.identification for s in first.xray_sources] == ["A", "B"]
    assert first.number_of_xray_sources == 1
    (mismatch,) = _with_code(result.findings, "ct.source_count_mismatch")
    assert mismatch.severity is Severity.WARNING
    (duplicate,) = _with_code(result.findings, "ct.duplicate_event_uid")
    assert duplicate.content_path == "6.4"
    assert first.irradiation_event_uid == second.irradiation_event_uid


def test_exposure_time_limit_is_inclusive_of_long_scans() -> None:
    long_scan = acquisition()
    long_scan.ContentSequence[4].ContentSequence[0].MeasuredValueSequence[0].NumericValue = "600"
    assert not _with_code(_parse([accumulated(), long_scan]).findings, "value.implausible")
    too_long = acquisition()
    too_long.ContentSequence[4].ContentSequence[0].MeasuredValueSequence[0].NumericValue = "601"
    (finding,) = _with_code(_parse([accumulated(), too_long]).findings, "value.implausible")
    assert "601" in finding.message and "quirk" not in finding.message
