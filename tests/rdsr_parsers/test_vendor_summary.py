"""Siemens "Radiation Summary Report" (99SMS_RADSUM C-10) in Enhanced SR: totals, no events."""

from __future__ import annotations

import pytest
from pydicom.sr.coding import Code

from dosewatch.domain.errors import StrictnessError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Strictness
from dosewatch.domain.report import DoseModality, SourceKind
from dosewatch.synth.vendor_summary import RadsumSpec, siemens_radsum_bytes
from rdsr_parsers.dispatch import parse


def _codes(result: object) -> list[str]:
    return [f.code for f in result.findings]  # type: ignore[attr-defined]


def test_totals_are_the_objects_own_values_and_the_report_is_a_vendor_summary() -> None:
    result = parse(
        siemens_radsum_bytes(RadsumSpec(dap_gy_cm2=12.5, fluoro_time_s=184, exposures=7))
    )
    report = result.report
    assert report.source_kind is SourceKind.VENDOR_SUMMARY
    assert report.modality is DoseModality.FLUOROSCOPY
    assert report.events == ()
    (totals,) = report.projection_accumulated
    assert totals.dose_area_product_total is not None
    assert (totals.dose_area_product_total.value, totals.dose_area_product_total.unit) == (
        12.5,
        "Gy.cm2",
    )
    assert totals.total_fluoro_time is not None
    assert (totals.total_fluoro_time.value, totals.total_fluoro_time.unit) == (184.0, "s")
    assert totals.total_number_of_radiographic_frames == 7
    assert totals.dose_rp_total is None  # not in the object: never invented
    assert _codes(result) == [FindingCode.VENDOR_SUMMARY_NO_EVENTS]
    (finding,) = result.findings
    assert "dose area product, fluoroscopy time, number of exposures" in finding.message


def test_lean_and_pydicom_decoders_agree() -> None:
    data = siemens_radsum_bytes()
    lean, oracle = parse(data), parse(data, decoder="pydicom")
    assert lean.report == oracle.report and lean.findings == oracle.findings


def test_dap_in_another_unit_is_converted_with_a_finding() -> None:
    result = parse(siemens_radsum_bytes(RadsumSpec(dap_gy_cm2=125.0, dap_unit="dGy.cm2")))
    (totals,) = result.report.projection_accumulated
    assert totals.dose_area_product_total is not None
    assert totals.dose_area_product_total.value == pytest.approx(12.5)
    assert FindingCode.UNIT_UNEXPECTED in _codes(result)


def test_missing_items_are_absent_not_zero() -> None:
    result = parse(siemens_radsum_bytes(RadsumSpec(dap_gy_cm2=None, exposures=None)))
    (totals,) = result.report.projection_accumulated
    assert totals.dose_area_product_total is None
    assert totals.total_number_of_radiographic_frames is None
    assert totals.total_fluoro_time is not None
    (finding,) = [f for f in result.findings if f.code == FindingCode.VENDOR_SUMMARY_NO_EVENTS]
    assert "(fluoroscopy time)" in finding.message


def test_an_unknown_num_item_is_named_not_dropped_silently() -> None:
    unknown = Code("C-299", "99SMS_RADSUM", "something else")
    result = parse(siemens_radsum_bytes(RadsumSpec(extra_num=((unknown, 0.12, "Gy"),))))
    flagged = [f for f in result.findings if f.code == FindingCode.VENDOR_SUMMARY_ITEM_NOT_READ]
    assert [f.concept for f in flagged] == ["99SMS_RADSUM:C-299"]


def test_strict_parsing_refuses_a_summary_without_events() -> None:
    with pytest.raises(StrictnessError):
        parse(siemens_radsum_bytes(), Strictness.STRICT)
    assert parse(siemens_radsum_bytes(), Strictness.STANDARD).report.events == ()
