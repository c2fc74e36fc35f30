"""Each Deviation really appears in the built object, and the parser reports it."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import pytest
from pydicom.dataset import Dataset

from dosewatch.domain import codes
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import CtIrradiationEvent, ProjectionIrradiationEvent
from dosewatch.synth import Deviation, read_dataset
from dosewatch.synth.common import MULTIBYTE_NAME
from rdsr_parsers import ParseResult, parse
from tests.synth.specs import TEMPLATES, build


def _items(ds: Dataset) -> list[Dataset]:
    out: list[Dataset] = []
    stack = list(ds.get("ContentSequence") or ())
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(item.get("ContentSequence") or ())
    return out


def _concept(item: Dataset) -> str:
    return str(item.ConceptNameCodeSequence[0].CodeValue)


def _with_concept(ds: Dataset, *values: str) -> list[Dataset]:
    return [item for item in _items(ds) if _concept(item) in values]


def _units(ds: Dataset, concept: str) -> set[str]:
    return {
        str(item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue)
        for item in _with_concept(ds, concept)
        if item.get("MeasuredValueSequence")
    }


def _raw(ds: Dataset, tag: int) -> bytes:
    value = ds.get_item(tag).value
    return value if isinstance(value, bytes) else str(value).encode()


def _all_codes(ds: Dataset) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for item in _items(ds):
        for keyword in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            for code in item.get(keyword) or ():
                found.append((str(code.CodingSchemeDesignator), str(code.CodeValue)))
    return found


_Evidence = Callable[[bytes, Dataset], bool]

EVIDENCE: dict[Deviation, _Evidence] = {
    Deviation.UNIT_GYM2: lambda data, ds: b"Gym2" in data,
    Deviation.UNIT_GY_CM2_CARET: lambda data, ds: b"Gy.cm^2" in data,
    Deviation.DAP_IN_DGY_CM2: lambda data, ds: _units(ds, "122130") == {"dGy.cm2"},
    Deviation.RP_DOSE_IN_MGY: lambda data, ds: _units(ds, "113738") == {"mGy"},
    Deviation.DS_DECIMAL_COMMA: lambda data, ds: re.search(rb"\d,\d", data) is not None,
    Deviation.DS_SLASH_SEPARATOR: lambda data, ds: re.search(rb"\d/\d", data) is not None,
    Deviation.IS_DECIMAL: lambda data, ds: b"." in _raw(ds, 0x00200013),
    Deviation.PATIENT_SIZE_TEXT: lambda data, ds: _raw(ds, 0x00101020).strip().endswith(b"m"),
    Deviation.MISSING_TEMPLATE_SEQUENCE: lambda data, ds: "ContentTemplateSequence" not in ds,
    Deviation.EMPTY_MEASURED_VALUE: lambda data, ds: any(
        item.ValueType == "NUM" and not item.MeasuredValueSequence for item in _items(ds)
    ),
    Deviation.EMPTY_CODED_VALUE: lambda data, ds: any(
        item.ValueType == "CODE" and not item.ConceptCodeSequence for item in _items(ds)
    ),
    Deviation.SRT_CODES: lambda data, ds: (
        any(scheme == "SRT" for scheme, _ in _all_codes(ds))
        and not any(scheme == "SCT" for scheme, _ in _all_codes(ds))
    ),
    Deviation.TEXT_FOR_CODE: lambda data, ds: (
        {str(item.ValueType) for item in _with_concept(ds, "113780")} == {"TEXT"}
    ),
    Deviation.TOTALS_DIFFER: lambda data, ds: True,  # checked on the parsed report below
    Deviation.IMPLAUSIBLE_EXPOSURE_TIME: lambda data, ds: any(
        float(item.MeasuredValueSequence[0].NumericValue) >= 1000
        and item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue == "s"
        for item in _with_concept(ds, "113824")
    ),
    Deviation.AGE_OVER_150: lambda data, ds: ds.PatientAge == "160Y",
    Deviation.BIG_ENDIAN: lambda data, ds: (
        ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2"
        and ds.original_encoding == (False, False)
    ),
    Deviation.IMPLICIT_VR: lambda data, ds: (
        ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
        and ds.original_encoding == (True, True)
    ),
    Deviation.MULTIBYTE_CHARSET: lambda data, ds: (
        ds.SpecificCharacterSet == "ISO_IR 192"
        and str(ds.PatientName) == MULTIBYTE_NAME
        and MULTIBYTE_NAME.encode("utf-8") in data
    ),
    Deviation.MISSING_EVENT_UID: lambda data, ds: not _with_concept(ds, "113769", "113503"),
    Deviation.MISSING_CTDIVOL: lambda data, ds: not _with_concept(ds, "113830"),
    Deviation.MISSING_ACCUMULATED: lambda data, ds: not _with_concept(ds, "113811", "113702"),
    Deviation.GENERIC_SR_CLASS: lambda data, ds: ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22",
}

#: the finding code each deviation must produce, per template (None: no finding expected,
#: the decoded values are checked instead)
_COMMON: dict[Deviation, FindingCode | None] = {
    Deviation.DS_DECIMAL_COMMA: FindingCode.ENCODING_DECIMAL_COMMA,
    Deviation.DS_SLASH_SEPARATOR: FindingCode.ENCODING_SEPARATOR_IN_VALUE,
    Deviation.IS_DECIMAL: FindingCode.VALUE_NOT_INTEGER,
    Deviation.PATIENT_SIZE_TEXT: FindingCode.ENCODING_NOT_A_NUMBER,
    Deviation.MISSING_TEMPLATE_SEQUENCE: FindingCode.TEMPLATE_MISSING,
    Deviation.EMPTY_MEASURED_VALUE: FindingCode.VALUE_EMPTY,
    Deviation.EMPTY_CODED_VALUE: FindingCode.VALUE_EMPTY_CODE,
    Deviation.SRT_CODES: FindingCode.CODE_LEGACY_SCHEME,
    Deviation.TOTALS_DIFFER: FindingCode.TOTALS_DIFFER_FROM_EVENTS,
    Deviation.AGE_OVER_150: FindingCode.VALUE_IMPLAUSIBLE_AGE,
    Deviation.BIG_ENDIAN: FindingCode.ENCODING_BIG_ENDIAN,
    Deviation.IMPLICIT_VR: FindingCode.ENCODING_IMPLICIT_VR,
    Deviation.MULTIBYTE_CHARSET: None,
    Deviation.MISSING_EVENT_UID: FindingCode.EVENT_UID_MISSING,
    Deviation.MISSING_ACCUMULATED: FindingCode.TEMPLATE_MISSING_MANDATORY,
    Deviation.GENERIC_SR_CLASS: FindingCode.SOP_DOSE_REPORT_IN_GENERIC_SR,
}
_PROJECTION: dict[Deviation, FindingCode | None] = {
    **_COMMON,
    Deviation.UNIT_GYM2: FindingCode.UNIT_NONSTANDARD,
    Deviation.UNIT_GY_CM2_CARET: FindingCode.UNIT_NONSTANDARD,
    Deviation.DAP_IN_DGY_CM2: FindingCode.UNIT_UNEXPECTED,
    Deviation.RP_DOSE_IN_MGY: FindingCode.UNIT_UNEXPECTED,
    Deviation.TEXT_FOR_CODE: FindingCode.VALUE_TEXT_FOR_CODE,
    # the TID 10003 reader converts the unit but does not judge the value (see report)
    Deviation.IMPLAUSIBLE_EXPOSURE_TIME: FindingCode.UNIT_UNEXPECTED,
    # the TID 10003 reader keeps events without UID and warns
    Deviation.MISSING_EVENT_UID: FindingCode.EVENT_UID_MISSING,
}
EXPECTED: dict[str, dict[Deviation, FindingCode | None]] = {
    "ct": {
        **_COMMON,
        Deviation.IMPLAUSIBLE_EXPOSURE_TIME: FindingCode.VALUE_IMPLAUSIBLE,
        Deviation.MISSING_CTDIVOL: FindingCode.TEMPLATE_MISSING_MANDATORY,
    },
    "fluoro": _PROJECTION,
    "dx": _PROJECTION,
    # the header's IS values are not read by the parsers; MG has no integer count item
    "mg": {
        **{k: v for k, v in _PROJECTION.items() if k in _COMMON or k.name.startswith("TEXT")},
        Deviation.IS_DECIMAL: None,
        Deviation.MISSING_EVENT_UID: FindingCode.EVENT_UID_MISSING,
        Deviation.IMPLAUSIBLE_EXPOSURE_TIME: FindingCode.UNIT_UNEXPECTED,
    },
    "nm": {
        **{k: v for k, v in _COMMON.items() if k not in {Deviation.MISSING_ACCUMULATED,
                                                         Deviation.TOTALS_DIFFER}},
        Deviation.IS_DECIMAL: None,
    },
}  # fmt: skip

CASES = [
    (template, deviation)
    for template, (_builder, _spec, supported) in sorted(TEMPLATES.items())
    for deviation in sorted(supported, key=lambda d: d.value)
]


@functools.cache
def _baseline(template: str) -> ParseResult:
    return parse(build(template))


def test_every_deviation_is_supported_somewhere_and_has_an_expectation() -> None:
    assert {d for _t, d in CASES} == set(Deviation)
    for template, (_builder, _spec, supported) in TEMPLATES.items():
        assert set(EXPECTED[template]) == set(supported), template


@pytest.mark.parametrize(("template", "deviation"), CASES, ids=[f"{t}-{d.value}" for t, d in CASES])
def test_deviation_appears_in_output(template: str, deviation: Deviation) -> None:
    data = build(template, deviation)
    assert data != build(template)
    ds = read_dataset(data)
    assert EVIDENCE[deviation](data, ds)


@pytest.mark.parametrize(("template", "deviation"), CASES, ids=[f"{t}-{d.value}" for t, d in CASES])
def test_deviation_yields_its_finding(template: str, deviation: Deviation) -> None:
    baseline = _baseline(template)
    result = parse(build(template, deviation))
    expected = EXPECTED[template][deviation]
    new_codes = {f.code for f in result.findings} - {f.code for f in baseline.findings}
    if expected is None:
        assert not new_codes, new_codes
        assert len(result.report.events) == len(baseline.report.events)
        assert result.report.events == baseline.report.events
        if deviation is Deviation.MULTIBYTE_CHARSET:
            assert result.report.patient.name == MULTIBYTE_NAME
        return
    assert expected in {f.code for f in result.findings}, sorted(new_codes)
    assert result.worst is not None and result.worst >= expected.severity


def test_totals_differ_keeps_both_values() -> None:
    report = parse(build("ct", Deviation.TOTALS_DIFFER)).report
    assert report.ct_accumulated is not None and report.ct_accumulated.dlp_total is not None
    events = [e for e in report.events if isinstance(e, CtIrradiationEvent)]
    event_sum = sum(e.dlp.value for e in events if e.dlp is not None)
    assert report.ct_accumulated.dlp_total.value > event_sum * 1.2


@pytest.mark.parametrize(
    "deviation", [Deviation.UNIT_GYM2, Deviation.UNIT_GY_CM2_CARET, Deviation.DAP_IN_DGY_CM2]
)
def test_dap_unit_deviations_convert_to_the_same_value(deviation: Deviation) -> None:
    plain = _baseline("fluoro").report
    deviant = parse(build("fluoro", deviation)).report
    for a, b in zip(plain.events, deviant.events, strict=True):
        assert isinstance(a, ProjectionIrradiationEvent)
        assert isinstance(b, ProjectionIrradiationEvent)
        assert a.dose_area_product is not None and b.dose_area_product is not None
        assert b.dose_area_product.value == pytest.approx(a.dose_area_product.value, rel=1e-9)


def test_rp_dose_in_mgy_converts_to_gray() -> None:
    plain = _baseline("fluoro").report
    deviant = parse(build("fluoro", Deviation.RP_DOSE_IN_MGY)).report
    for a, b in zip(plain.events, deviant.events, strict=True):
        assert isinstance(a, ProjectionIrradiationEvent)
        assert isinstance(b, ProjectionIrradiationEvent)
        assert a.dose_rp is not None and b.dose_rp is not None
        assert b.dose_rp.value == pytest.approx(a.dose_rp.value, rel=1e-9)


def test_srt_codes_read_back_as_sct() -> None:
    report = parse(build("ct", Deviation.SRT_CODES)).report
    assert codes.same(report.procedure_reported, codes.COMPUTED_TOMOGRAPHY_X_RAY)
    event = report.events[0]
    assert isinstance(event, CtIrradiationEvent)
    assert event.acquisition_type is not None
    assert event.acquisition_type.scheme_designator == "SCT"
