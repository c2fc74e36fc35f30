"""TID 10011 CT reader: the words, paths and boundaries of its findings (issue #15).

``test_ct.py`` pins the values each event carries and the finding codes; this file pins
what each finding says, the item it points at, and the boundary of the totals check
(``TOTALS_TOLERANCE`` = 0.5 % of the larger of total and event sum, a rounding allowance of
the DLP total).
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.findings import Finding
from rdsr_parsers.tid10011_ct import TOTALS_TOLERANCE
from tests.rdsr_parsers.test_ct import (
    _ct_events,
    _parse,
    _with_code,
    accumulated,
    acquisition,
    code,
    num,
    text,
    with_children,
)


def _one(findings: tuple[Finding, ...] | list[Finding], code_: str) -> Finding:
    (finding,) = _with_code(findings, code_)
    return finding


def test_the_tolerance_is_half_a_percent() -> None:
    assert TOTALS_TOLERANCE == 0.005


def test_totals_difference_boundary_is_exclusive() -> None:
    # |1000 - 995| = 5 = 0.5 % of 1000: within the allowance, no finding
    assert TOTALS_TOLERANCE * 1000 == 5.0
    at_limit = _parse(
        [accumulated(total="1000", events=2), acquisition(1, dlp="500"), acquisition(2, dlp="495")]
    )
    assert not _with_code(at_limit.findings, "totals.differ_from_events")
    over = _parse(
        [accumulated(total="1000", events=2), acquisition(1, dlp="500"), acquisition(2, dlp="494")]
    )
    finding = _one(over.findings, "totals.differ_from_events")
    assert finding.message == (
        "CT Dose Length Product Total 1000 mGy.cm differs from the sum of event DLPs 994 "
        "mGy.cm by more than 0.5%; both kept, the total as reported"
    )
    assert finding.concept == "DCM:113813"
    # the event sum as scale: a total of 994 against events of 1000 differs by 0.6 % of 1000
    low_total = _parse(
        [accumulated(total="994", events=2), acquisition(1, dlp="500"), acquisition(2, dlp="500")]
    )
    assert _with_code(low_total.findings, "totals.differ_from_events")
    # 995 against 1000: 0.5 % of the larger (1000), not 0.503 % of the total: no finding
    at_limit_low = _parse(
        [accumulated(total="995", events=2), acquisition(1, dlp="500"), acquisition(2, dlp="500")]
    )
    assert not _with_code(at_limit_low.findings, "totals.differ_from_events")


def test_zero_totals_and_events_without_dlp_are_not_compared() -> None:
    zero = _parse([accumulated(total="0", events=1), acquisition(dlp="0")])
    assert not _with_code(zero.findings, "totals.differ_from_events")
    # an event without DLP adds nothing to the sum: 400 against a total of 400 agrees
    no_dlp = _parse(
        [
            accumulated(total="400", events=2),
            acquisition(1, dlp="400"),
            acquisition(2, omit=frozenset({codes.DLP.value})),
        ]
    )
    assert not _with_code(no_dlp.findings, "totals.differ_from_events")


def test_event_count_message() -> None:
    result = _parse([accumulated(total="400.25", events=3), acquisition()])
    finding = _one(result.findings, "totals.event_count_differs")
    assert finding.message == (
        "Total Number of Irradiation Events states 3, the report holds 1 CT Acquisition containers"
    )
    assert finding.concept == "DCM:113812"
    assert not _with_code(
        _parse([accumulated(total="400.25", events=1), acquisition()]).findings,
        "totals.event_count_differs",
    )


def test_no_dose_information_is_refused_with_its_reason() -> None:
    with pytest.raises(MissingMandatoryItemError) as raised:
        _parse([text(codes.COMMENT, "nothing irradiated")])
    assert raised.value.content_path == "root"
    assert raised.value.concept == "DCM:113819"
    assert str(raised.value).startswith(
        "TID 10011 CT Radiation Dose report has neither a CT Acquisition (DCM:113819) "
        "nor CT Accumulated Dose Data (DCM:113811): no dose information"
    )


def test_totals_only_report_says_so() -> None:
    result = _parse([accumulated(total="123.4", events=0)])
    finding = _one(result.findings, "ct.no_acquisitions")
    assert finding.message == (
        "report holds CT Accumulated Dose Data but no CT Acquisition; totals only"
    )
    assert finding.content_path == "root"


def test_unusable_and_negative_dose_values_say_what_is_lost() -> None:
    result = _parse([accumulated(), acquisition(ctdivol=None)])
    finding = _one(result.findings, "value.unavailable")
    assert finding.message == (
        "Mean CTDIvol present without a usable value; the event keeps no Mean CTDIvol"
    )
    assert (finding.content_path, finding.concept) == ("5.6.1", "DCM:113830")
    negative = _parse([accumulated(total="-5", events=1), acquisition(dlp="-5")])
    (event,) = _ct_events(negative.report)
    assert event.dlp is not None and event.dlp.value == -5.0  # kept as sent
    implausible = _with_code(negative.findings, "value.implausible")
    assert [f.message for f in implausible] == [
        "negative CT Dose Length Product Total -5 mGy.cm; kept as sent",
        "negative DLP -5 mGy.cm; kept as sent",
    ]
    assert [(f.content_path, f.concept) for f in implausible] == [
        ("4.2", "DCM:113813"),
        ("5.6.3", "DCM:113838"),
    ]
    # zero is a dose, not an implausible one
    zero = _parse([accumulated(total="0", events=1), acquisition(dlp="0")])
    assert not _with_code(zero.findings, "value.implausible")


def test_missing_items_name_the_item_its_code_and_the_consequence() -> None:
    result = _parse([accumulated(), acquisition(target=None)])
    finding = _one(result.findings, "template.missing_item")
    assert finding.message == (
        "mandatory Target Region (DCM:123014) is missing; target region unknown"
    )
    assert (finding.content_path, finding.concept) == ("5", "DCM:123014")
    no_type = _parse([accumulated(), acquisition(acquisition_type=None)])
    finding = _one(no_type.findings, "template.missing_item")
    assert finding.message.endswith("is missing; localizer or scan unknown")
    assert finding.concept == "DCM:113820"
    assert _ct_events(no_type.report)[0].acquisition_type is None


def test_empty_target_region_message() -> None:
    item = acquisition()
    item.ContentSequence[1].ConceptCodeSequence = []
    finding = _one(_parse([accumulated(), item]).findings, "value.empty_code")
    assert finding.message == (
        "Target Region CODE item without a coded value; target region unknown"
    )
    assert finding.concept == "DCM:123014"


def test_duplicate_uid_and_localizer_messages() -> None:
    result = _parse([accumulated(total="800.5", events=2), acquisition(1), acquisition(1)])
    finding = _one(result.findings, "ct.duplicate_event_uid")
    assert finding.message == (
        "Irradiation Event UID 1.2.826.0.1.3680043.10.1234.9.1 repeated within the report; "
        "both events kept"
    )
    assert (finding.content_path, finding.concept) == ("6.4", "DCM:113769")
    localizers = _parse(
        [
            accumulated(total="400.25", events=3),
            acquisition(1, dose=False, acquisition_type=codes.CONSTANT_ANGLE_ACQUISITION),
            acquisition(2, dose=False, acquisition_type=codes.CONSTANT_ANGLE_ACQUISITION),
            acquisition(3),
        ]
    )
    finding = _one(localizers.findings, "ct.localizer_without_dose")
    assert finding.message == (
        "2 localizer event(s) (Constant Angle Acquisition) without CT Dose values, as "
        "TID 10013 allows"
    )
    assert finding.concept == "DCM:113805"  # Constant Angle Acquisition


def test_reference_authority_may_be_coded_or_beside_the_effective_dose() -> None:
    icrp103 = Code("113892", "DCM", "ICRP Pub 103")
    coded = with_children(
        num(codes.CT_EFFECTIVE_DOSE_TOTAL, "6.0", "mSv"),
        [code(codes.REFERENCE_AUTHORITY, icrp103)],
    )
    result = _parse([accumulated(extra=[coded]), acquisition()])
    assert result.report.ct_accumulated is not None
    authority = result.report.ct_accumulated.effective_dose_reference_authority
    assert isinstance(authority, Code) and authority.value == "113892"
    beside = _parse(
        [
            accumulated(
                extra=[
                    num(codes.CT_EFFECTIVE_DOSE_TOTAL, "6.0", "mSv"),
                    text(codes.REFERENCE_AUTHORITY, "ICRP 103"),
                ]
            ),
            acquisition(),
        ]
    )
    assert beside.report.ct_accumulated is not None
    assert beside.report.ct_accumulated.effective_dose_reference_authority == "ICRP 103"


def test_an_acquisition_without_parameters_keeps_its_dose() -> None:
    item = acquisition()
    del item.ContentSequence[4]  # CT Acquisition Parameters
    result = _parse([accumulated(), item])
    (event,) = _ct_events(result.report)
    assert event.dlp is not None and event.dlp.value == pytest.approx(400.25)
    assert event.scanning_length is None and event.xray_sources == ()
    finding = _one(result.findings, "template.missing_item")
    assert finding.message == (
        "mandatory CT Acquisition Parameters (DCM:113822) is missing; acquisition "
        "parameters unknown"
    )
    assert (finding.content_path, finding.concept) == ("5", "DCM:113822")


def test_modulation_type_from_the_parameters_or_beside_them() -> None:
    in_params = acquisition()
    in_params.ContentSequence[4].ContentSequence.append(text(codes.X_RAY_MODULATION_TYPE, "XYZ"))
    beside = acquisition()
    beside.ContentSequence.append(text(codes.X_RAY_MODULATION_TYPE, "ANGULAR"))
    assert _ct_events(_parse([accumulated(), in_params]).report)[0].xray_modulation_type == "XYZ"
    assert _ct_events(_parse([accumulated(), beside]).report)[0].xray_modulation_type == "ANGULAR"
    # a CODE modulation type without a coded value: no type, one finding on the item
    empty = acquisition()
    empty.ContentSequence.append(code(codes.X_RAY_MODULATION_TYPE, None))
    result = _parse([accumulated(), empty])
    assert _ct_events(result.report)[0].xray_modulation_type is None
    finding = _one(result.findings, "value.empty_code")
    assert (finding.content_path, finding.concept) == ("5.7", "DCM:113842")


def test_no_phantom_and_no_alerts_read_as_none_and_empty() -> None:
    item = acquisition()
    del item.ContentSequence[5].ContentSequence[1]  # CTDIw Phantom Type
    result = _parse([accumulated(), item])
    (event,) = _ct_events(result.report)
    assert event.ctdiw_phantom_type is None and event.dose_check_alerts == ()
    finding = _one(result.findings, "template.missing_item")
    assert finding.message.endswith("is missing; 16/32 cm phantom unknown")
    localizer = _parse(
        [
            accumulated(),
            acquisition(dose=False, acquisition_type=codes.CONSTANT_ANGLE_ACQUISITION),
        ]
    )
    (event,) = _ct_events(localizer.report)
    assert event.ctdiw_phantom_type is None and event.dose_check_alerts == ()
    assert event.reported_effective_dose is None
    assert event.reported_effective_dose_conversion_factor is None


def test_missing_ct_dose_and_ctdivol_messages() -> None:
    scan = _parse([accumulated(), acquisition(dose=False)])
    finding = _one(scan.findings, "template.missing_mandatory")
    assert finding.message == (
        "mandatory CT Dose container (not a localizer) (DCM:113829 CT Dose) is missing"
    )
    assert finding.content_path == "5"
    no_ctdivol = _parse([accumulated(), acquisition(omit=frozenset({codes.MEAN_CTDIVOL.value}))])
    finding = _one(no_ctdivol.findings, "template.missing_mandatory")
    assert finding.message == "mandatory Mean CTDIvol (DCM:113830 Mean CTDIvol) is missing"


def test_reported_effective_dose_units_and_a_factor_beside_it() -> None:
    effective = num(codes.EFFECTIVE_DOSE, "6000", "uSv")
    factor = num(codes.EFFECTIVE_DOSE_CONVERSION_FACTOR, "0.015", "mSv/(mGy.cm)")
    result = _parse([accumulated(), acquisition(dose_extra=[effective, factor])])
    (event,) = _ct_events(result.report)
    assert event.reported_effective_dose is not None
    assert event.reported_effective_dose.value == pytest.approx(6.0)  # 1000 uSv = 1 mSv
    assert event.reported_effective_dose.unit == "mSv"
    assert event.reported_effective_dose_conversion_factor is not None
    assert event.reported_effective_dose_conversion_factor.value == pytest.approx(0.015)
    finding = _one(result.findings, "unit.unexpected")
    assert finding.concept == "DCM:113839"
    # no factor sent: none
    alone = _parse([accumulated(), acquisition(dose_extra=[num(codes.EFFECTIVE_DOSE, "6", "mSv")])])
    assert _ct_events(alone.report)[0].reported_effective_dose_conversion_factor is None


def test_an_empty_coded_reference_authority_is_none_with_a_finding() -> None:
    total = with_children(
        num(codes.CT_EFFECTIVE_DOSE_TOTAL, "6.0", "mSv"),
        [code(codes.REFERENCE_AUTHORITY, None)],
    )
    result = _parse([accumulated(extra=[total]), acquisition()])
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.effective_dose_reference_authority is None
    assert _one(result.findings, "value.empty_code").content_path == "4.3.1"


def test_every_ct_event_field_is_read_from_its_concept() -> None:
    """TID 10013/10014 items in their prescribed units (PS3.16): each lands in its field."""
    item = acquisition(
        dose_extra=[
            num(codes.MEAN_CTDIFREEAIR, "21.5", "mGy"),
            num(codes.CTDIFREEAIR_CALCULATION_FACTOR, "0.11", "mGy/mA.s"),
            num(Code("113734", "DCM", "X-Ray Tube Current"), "5", "mA"),  # no field in CT Dose
        ]
    )
    item.ContentSequence[4].ContentSequence.append(num(codes.EXPOSED_RANGE, "420", "mm"))
    started = _item_datetime("20240314093000")
    item.ContentSequence.extend([started, text(codes.COMMENT, "arms up")])
    result = _parse([accumulated(), item])
    (event,) = _ct_events(result.report)
    assert event.datetime_started is not None
    assert event.datetime_started.isoformat() == "2024-03-14T09:30:00"
    freeair = event.mean_ctdifreeair
    assert freeair is not None and (freeair.value, freeair.unit) == (21.5, "mGy")
    factor = event.ctdifreeair_calculation_factor
    assert factor is not None and (factor.value, factor.unit) == (0.11, "mGy/mA.s")
    assert event.exposed_range is not None and event.exposed_range.value == 420.0
    assert event.scanning_length is not None and event.scanning_length.value == 400.0
    assert event.nominal_single_collimation_width is not None
    assert event.nominal_single_collimation_width.value == 0.625
    assert event.pitch_factor is not None and event.pitch_factor.value == 0.984
    assert event.number_of_xray_sources == 1
    (source,) = event.xray_sources
    assert source.kvp is not None and source.kvp.value == 120.0
    assert event.comment == "arms up"
    (other,) = event.other_measurements
    assert (other.concept.value, other.content_path) == ("113734", "5.6.6")
    assert other.value is not None and (other.value.value, other.value.unit) == (5.0, "mA")
    assert not [f for f in result.findings if f.code.startswith("unit.")]


def test_wrong_units_of_the_ct_dose_items_are_findings() -> None:
    item = acquisition(
        dose_extra=[
            num(codes.MEAN_CTDIFREEAIR, "2.15", "cGy"),
            num(codes.CTDIFREEAIR_CALCULATION_FACTOR, "0.11", "s"),
        ]
    )
    result = _parse([accumulated(), item])
    (event,) = _ct_events(result.report)
    assert event.mean_ctdifreeair is not None
    assert event.mean_ctdifreeair.value == pytest.approx(21.5)  # 1 cGy = 10 mGy
    assert _one(result.findings, "unit.unexpected").concept == "DCM:113837"
    assert event.ctdifreeair_calculation_factor is None
    assert _one(result.findings, "unit.inconvertible").concept == "DCM:113836"


def test_size_items_are_read_from_the_parameters_when_the_dose_has_none() -> None:
    ssde = num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "14.2", "mGy")
    wed = num(codes.WATER_EQUIVALENT_DIAMETER, "275", "mm")
    in_params = acquisition()
    in_params.ContentSequence[4].ContentSequence.extend([ssde, wed])
    (event,) = _ct_events(_parse([accumulated(), in_params]).report)
    assert event.ssde is not None and event.ssde.value == pytest.approx(14.2)
    assert event.water_equivalent_diameter is not None
    assert event.water_equivalent_diameter.value == 275.0
    # SSDE in CT Dose, diameter only in the parameters: CT Dose wins, diameter not mixed in
    in_dose = acquisition(dose_extra=[num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "9.9", "mGy")])
    in_dose.ContentSequence[4].ContentSequence.append(
        num(codes.WATER_EQUIVALENT_DIAMETER, "275", "mm")
    )
    (event,) = _ct_events(_parse([accumulated(), in_dose]).report)
    assert event.ssde is not None and event.ssde.value == pytest.approx(9.9)
    assert event.water_equivalent_diameter is None
    # diameter alone in CT Dose: kept, the parameters' SSDE is not used
    wed_dose = acquisition(dose_extra=[num(codes.WATER_EQUIVALENT_DIAMETER, "300", "mm")])
    wed_dose.ContentSequence[4].ContentSequence.append(
        num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "14.2", "mGy")
    )
    (event,) = _ct_events(_parse([accumulated(), wed_dose]).report)
    assert event.water_equivalent_diameter is not None
    assert event.water_equivalent_diameter.value == 300.0
    assert event.ssde is None
    # no parameters container: nothing to fall back on
    bare = acquisition()
    del bare.ContentSequence[4]
    (event,) = _ct_events(_parse([accumulated(), bare]).report)
    assert event.ssde is None and event.water_equivalent_diameter is None


def test_ctdivol_and_dlp_messages_name_the_item() -> None:
    no_dlp = _parse([accumulated(), acquisition(omit=frozenset({codes.DLP.value}))])
    finding = _one(no_dlp.findings, "template.missing_mandatory")
    assert finding.message == "mandatory DLP (DCM:113838 DLP) is missing"
    assert finding.content_path == "5.6"
    item = acquisition()
    del item.ContentSequence[5].ContentSequence[1]  # CTDIw Phantom Type
    finding = _one(_parse([accumulated(), item]).findings, "template.missing_item")
    assert finding.message == (
        "mandatory CTDIw Phantom Type (DCM:113835) is missing; 16/32 cm phantom unknown"
    )
    assert (finding.content_path, finding.concept) == ("5.6", "DCM:113835")


def test_an_empty_phantom_code_is_none_with_a_finding() -> None:
    empty = acquisition()
    empty.ContentSequence[5].ContentSequence[1] = code(codes.CTDIW_PHANTOM_TYPE, None)
    result = _parse([accumulated(), empty])
    (event,) = _ct_events(result.report)
    assert event.ctdiw_phantom_type is None and event.phantom_diameter_cm is None
    assert _one(result.findings, "value.empty_code").content_path == "5.6.2"


def _item_datetime(value: str) -> Dataset:
    ds = text(codes.DATETIME_STARTED, "")
    del ds.TextValue
    ds.ValueType = "DATETIME"
    ds.DateTime = value
    return ds


def test_missing_accumulated_items_are_named() -> None:
    bare = accumulated(total=None)
    del bare.ContentSequence[0]  # Total Number of Irradiation Events
    result = _parse([bare, acquisition()])
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.total_number_of_irradiation_events is None
    assert result.report.ct_accumulated.dlp_total is None
    missing = _with_code(result.findings, "template.missing_mandatory")
    assert [(f.message, f.content_path) for f in missing] == [
        (
            "mandatory Total Number of Irradiation Events (DCM:113812 Total Number of "
            "Irradiation Events) is missing",
            "4",
        ),
        (
            "mandatory CT Dose Length Product Total (DCM:113813 CT Dose Length Product "
            "Total) is missing",
            "4",
        ),
    ]


def test_accumulated_effective_dose_absent_or_in_another_unit() -> None:
    plain = _parse([accumulated(), acquisition()])
    assert plain.report.ct_accumulated is not None
    assert plain.report.ct_accumulated.effective_dose_total is None
    assert plain.report.ct_accumulated.effective_dose_reference_authority is None
    in_usv = _parse(
        [accumulated(extra=[num(codes.CT_EFFECTIVE_DOSE_TOTAL, "6000", "uSv")]), acquisition()]
    )
    assert in_usv.report.ct_accumulated is not None
    total = in_usv.report.ct_accumulated.effective_dose_total
    assert total is not None and total.value == pytest.approx(6.0) and total.unit == "mSv"
    finding = _one(in_usv.findings, "unit.unexpected")
    assert finding.content_path == "4.3"


def test_a_target_region_sent_as_text_is_not_an_empty_code() -> None:
    item = acquisition()
    target = item.ContentSequence[1]
    target.ConceptCodeSequence = []
    target.TextValue = "Abdomen"
    result = _parse([accumulated(), item])
    assert _ct_events(result.report)[0].target_region is None
    assert _one(result.findings, "value.text_in_code_item").content_path == "5.2"
    assert not _with_code(result.findings, "value.empty_code")


def test_size_specific_items_absent_wrong_unit_and_scope() -> None:
    (plain,) = _ct_events(_parse([accumulated(), acquisition()]).report)
    assert plain.ssde is None and plain.ssde_method is None
    assert plain.water_equivalent_diameter is None and plain.derived_effective_diameter is None
    # SSDE in cGy (converted, with a finding), an empty method code, a diameter below the
    # SSDE item and another beside it: the one below (INFERRED FROM) is the SSDE's own
    ssde = with_children(
        num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "1.42", "cGy"),
        [
            code(codes.MEASUREMENT_METHOD, None, "HAS CONCEPT MOD"),
            num(codes.WATER_EQUIVALENT_DIAMETER, "275", "mm"),
        ],
    )
    beside = num(codes.WATER_EQUIVALENT_DIAMETER, "999", "mm")
    result = _parse([accumulated(), acquisition(dose_extra=[ssde, beside])])
    (event,) = _ct_events(result.report)
    assert event.ssde is not None and event.ssde.value == pytest.approx(14.2)  # 1 cGy = 10 mGy
    assert event.ssde_method is None
    assert event.water_equivalent_diameter is not None
    assert event.water_equivalent_diameter.value == 275.0
    assert event.derived_effective_diameter is None
    assert _one(result.findings, "unit.unexpected").concept == "DCM:113930"
    assert _one(result.findings, "value.empty_code").content_path == "5.6.4.1"


def test_accumulated_comment_fraction_count_and_missing_container_message() -> None:
    result = _parse(
        [
            accumulated(extra=[text(codes.COMMENT, "two series")]),
            acquisition(),
        ]
    )
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.comment == "two series"
    fraction = accumulated()
    fraction.ContentSequence[0].MeasuredValueSequence[0].NumericValue = "1.4"
    result = _parse([fraction, acquisition()])
    assert result.report.ct_accumulated is not None
    assert result.report.ct_accumulated.total_number_of_irradiation_events == 1
    assert _one(result.findings, "value.not_integer").content_path == "4.1"
    missing = _parse([acquisition()])
    finding = _one(missing.findings, "template.missing_mandatory")
    assert finding.message == (
        "mandatory CT Accumulated Dose Data (DCM:113811 CT Accumulated Dose Data) is missing"
    )


def test_small_totals_are_compared_and_a_totals_only_report_is_not() -> None:
    # 0.5 against 0.4 mGy.cm differs by 20 %: reported however small the DLP
    small = _parse([accumulated(total="0.5", events=1), acquisition(dlp="0.4")])
    assert _with_code(small.findings, "totals.differ_from_events")
    totals_only = _parse([accumulated(total="123.4", events=0)])
    assert not _with_code(totals_only.findings, "totals.differ_from_events")


def test_duplicates_after_an_event_without_uid_are_found() -> None:
    result = _parse(
        [
            accumulated(total="1200.75", events=3),
            acquisition(7, omit=frozenset({codes.IRRADIATION_EVENT_UID.value})),
            acquisition(1),
            acquisition(1),
        ]
    )
    finding = _one(result.findings, "ct.duplicate_event_uid")
    assert finding.content_path == "7.4"


def test_a_localizer_with_a_ctdivol_is_not_a_localizer_without_dose() -> None:
    result = _parse(
        [
            accumulated(),
            acquisition(
                acquisition_type=codes.CONSTANT_ANGLE_ACQUISITION,
                omit=frozenset({codes.DLP.value}),
            ),
        ]
    )
    assert not _with_code(result.findings, "ct.localizer_without_dose")


def test_findings_of_dates_other_numbers_and_parameter_sizes_are_kept() -> None:
    item = acquisition(
        dose_extra=[num(Code("113734", "DCM", "X-Ray Tube Current"), "5", "furlong")]
    )
    item.ContentSequence.append(_item_datetime("2024-03-14"))
    item.ContentSequence[4].ContentSequence.append(
        num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, "1.42", "cGy")
    )
    result = _parse([accumulated(), item])
    (event,) = _ct_events(result.report)
    assert event.datetime_started is None
    assert _one(result.findings, "encoding.invalid_datetime").content_path == "5.7"
    (other,) = event.other_measurements
    assert other.value is None and other.content_path == "5.6.4"
    assert _one(result.findings, "unit.unknown").content_path == "5.6.4"
    assert event.ssde is not None and event.ssde.value == pytest.approx(14.2)
    assert _one(result.findings, "unit.unexpected").content_path == "5.5.8"
