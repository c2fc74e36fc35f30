"""TID 10014 CT Acquisition Parameters and TID 10015 CT Dose Check Details, pinned.

PS3.16 TID 10014 (CT Acquisition Parameters DCM:113822) prescribes Exposure Time
(DCM:113824, s), Scanning Length (DCM:113825, mm), Nominal Single/Total Collimation Width
(DCM:113826/113827, mm), Number of X-Ray Sources (DCM:113823) and one CT X-Ray Source
Parameters container (DCM:113831: identification, KVP kV, Maximum and mean X-Ray Tube
Current mA, Exposure Time per Rotation s) per source; Exposed Range (DCM:113899, mm) and
Pitch Factor (DCM:113828, ratio) are optional. TID 10015 holds the NEMA XR 25 Dose Check
Alert Details (DCM:113900) and Notification Details (DCM:113908), each with its two CID 230
Yes/No "value configured" flags, the values (DLP mGy.cm, CTDIvol mGy) required when the
flag is Yes, the forward estimates, the Reason for Proceeding and the Person Name with
role Irradiation Authorizing (TID 1020).

The acquisition is the fifth root item of ``ct_sr`` (test_ct), its parameters container
5.5 and its CT Dose container 5.6.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.report import CtIrradiationEvent, CtXRaySource, DoseCheckDetails, Measurement
from dosewatch.domain.units import Quantity
from rdsr_parsers import tid10014_ct_parameters
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_ct import (
    _ct_events,
    _item,
    _parse,
    accumulated,
    acquisition,
    code,
    container,
    num,
    text,
)


def _acquisition(
    parameters: Sequence[Dataset] | None, dose_extra: Sequence[Dataset] = ()
) -> Dataset:
    item = acquisition(dose_extra=dose_extra)
    if parameters is None:
        del item.ContentSequence[4]
    else:
        item.ContentSequence[4] = container(codes.CT_ACQUISITION_PARAMETERS, parameters)
    return item


def _read(
    parameters: Sequence[Dataset] | None, dose_extra: Sequence[Dataset] = ()
) -> tuple[CtIrradiationEvent, ParseResult]:
    result = _parse([accumulated(), _acquisition(parameters, dose_extra)])
    (event,) = _ct_events(result.report)
    return event, result


def _findings(result: ParseResult, code_: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.message, f.content_path, f.concept) for f in result.findings if f.code == code_]


def _source(*children: Dataset) -> Dataset:
    return container(codes.CT_X_RAY_SOURCE_PARAMETERS, children)


def _full_source(name: str = "A") -> Dataset:
    return _source(
        text(codes.IDENTIFICATION_OF_THE_X_RAY_SOURCE, name),
        num(codes.KVP, "120", "kV"),
        num(codes.MAXIMUM_X_RAY_TUBE_CURRENT, "300", "mA"),
        num(codes.X_RAY_TUBE_CURRENT, "250", "mA"),
        num(codes.EXPOSURE_TIME_PER_ROTATION, "0.5", "s"),
    )


def _mandatory(sources: int = 1, count: str = "1") -> list[Dataset]:
    return [
        num(codes.CT_EXPOSURE_TIME, "7.5", "s"),  # 5.5.1
        num(codes.SCANNING_LENGTH, "400", "mm"),  # 5.5.2
        num(codes.NOMINAL_SINGLE_COLLIMATION_WIDTH, "0.625", "mm"),  # 5.5.3
        num(codes.NOMINAL_TOTAL_COLLIMATION_WIDTH, "40", "mm"),  # 5.5.4
        num(codes.NUMBER_OF_X_RAY_SOURCES, count, "{X-Ray sources}"),  # 5.5.5
        *(_full_source("AB"[i]) for i in range(sources)),  # 5.5.6...
    ]


# --------------------------------------------------------------------------- TID 10014


def test_every_parameter_is_read_from_its_concept_in_its_unit() -> None:
    extra = [
        num(codes.EXPOSED_RANGE, "427", "mm"),
        num(codes.PITCH_FACTOR, "0.984", "{ratio}"),
        text(codes.X_RAY_MODULATION_TYPE, "XYZ_EC"),
    ]
    event, result = _read([*_mandatory(), *extra])
    assert (
        event.exposure_time,
        event.scanning_length,
        event.exposed_range,
        event.nominal_single_collimation_width,
        event.nominal_total_collimation_width,
        event.pitch_factor,
        event.number_of_xray_sources,
        event.xray_modulation_type,
    ) == (
        Quantity(7.5, "s"),
        Quantity(400.0, "mm"),
        Quantity(427.0, "mm"),
        Quantity(0.625, "mm"),
        Quantity(40.0, "mm"),
        Quantity(0.984, "{ratio}"),
        1,
        "XYZ_EC",
    )
    assert event.xray_sources == (
        CtXRaySource(
            identification="A",
            kvp=Quantity(120.0, "kV"),
            maximum_tube_current=Quantity(300.0, "mA"),
            tube_current=Quantity(250.0, "mA"),
            exposure_time_per_rotation=Quantity(0.5, "s"),
        ),
    )
    assert event.other_measurements == ()
    assert _findings(result, "template.missing_parameter") == []
    assert _findings(result, "unit.unexpected") == []


@pytest.mark.parametrize(
    ("concept", "sent", "unit", "field", "expected", "prescribed"),
    [
        (codes.CT_EXPOSURE_TIME, "7500", "ms", "exposure_time", 7.5, "s"),
        (codes.SCANNING_LENGTH, "40", "cm", "scanning_length", 400.0, "mm"),
        (codes.EXPOSED_RANGE, "42.7", "cm", "exposed_range", 427.0, "mm"),
        (
            codes.NOMINAL_SINGLE_COLLIMATION_WIDTH,
            "0.0625",
            "cm",
            "nominal_single_collimation_width",
            0.625,
            "mm",
        ),
        (
            codes.NOMINAL_TOTAL_COLLIMATION_WIDTH,
            "4",
            "cm",
            "nominal_total_collimation_width",
            40.0,
            "mm",
        ),
    ],
)
def test_a_parameter_in_another_unit_is_converted_with_one_finding(
    concept: Code, sent: str, unit: str, field: str, expected: float, prescribed: str
) -> None:
    items = [i for i in _mandatory() if i.ConceptNameCodeSequence[0].CodeValue != concept.value]
    event, result = _read([num(concept, sent, unit), *items])  # 5.5.1
    value = getattr(event, field)
    assert value is not None and value.unit == prescribed
    assert value.value == pytest.approx(expected, rel=1e-12)
    assert _findings(result, "unit.unexpected") == [
        (
            f"unit {unit} where the template prescribes {prescribed}; converted",
            "5.5.1",
            f"DCM:{concept.value}",
        )
    ]


@pytest.mark.parametrize(
    ("concept", "sent", "unit", "field", "expected", "prescribed"),
    [
        (codes.KVP, "0.12", "kV", "kvp", 0.12, "kV"),
        (codes.MAXIMUM_X_RAY_TUBE_CURRENT, "0.3", "A", "maximum_tube_current", 300.0, "mA"),
        (codes.X_RAY_TUBE_CURRENT, "0.25", "A", "tube_current", 250.0, "mA"),
        (codes.EXPOSURE_TIME_PER_ROTATION, "500", "ms", "exposure_time_per_rotation", 0.5, "s"),
    ],
)
def test_a_source_value_in_another_unit_is_converted_with_one_finding(
    concept: Code, sent: str, unit: str, field: str, expected: float, prescribed: str
) -> None:
    event, result = _read([*_mandatory(sources=0), _source(num(concept, sent, unit))])  # 5.5.6.1
    (source,) = event.xray_sources
    value = getattr(source, field)
    assert value is not None and value.unit == prescribed
    assert value.value == pytest.approx(expected, rel=1e-12)
    expected_findings = (
        []
        if unit == prescribed
        else [
            (
                f"unit {unit} where the template prescribes {prescribed}; converted",
                "5.5.6.1",
                f"DCM:{concept.value}",
            )
        ]
    )
    assert _findings(result, "unit.unexpected") == expected_findings


def test_kvp_in_volts_is_converted_with_one_finding() -> None:
    event, result = _read([*_mandatory(sources=0), _source(num(codes.KVP, "120000", "V"))])
    (source,) = event.xray_sources
    assert source.kvp == Quantity(120.0, "kV")
    assert _findings(result, "unit.unexpected") == [
        ("unit V where the template prescribes kV; converted", "5.5.6.1", "DCM:113733")
    ]


def test_a_source_without_items_is_all_none() -> None:
    event, _ = _read([*_mandatory(sources=0), _source()])
    assert event.xray_sources == (CtXRaySource(),)


def test_missing_mandatory_parameters_are_named_in_template_order() -> None:
    event, result = _read([num(codes.PITCH_FACTOR, "1", "{ratio}")])
    assert _findings(result, "template.missing_parameter") == [
        (
            "CT Acquisition Parameters without DCM:113824 Exposure Time, DCM:113825 Scanning "
            "Length, DCM:113826 Nominal Single Collimation Width, DCM:113827 Nominal Total "
            "Collimation Width, DCM:113823 Number of X-Ray Sources, DCM:113831 CT X-Ray Source "
            "Parameters",
            "5.5",
            "DCM:113822",
        )
    ]
    assert event.number_of_xray_sources is None and event.xray_sources == ()


@pytest.mark.parametrize("index", range(6))
def test_each_missing_mandatory_parameter_alone_is_named(index: int) -> None:
    items = _mandatory()
    missing = items.pop(index)
    name = missing.ConceptNameCodeSequence[0]
    _, result = _read(items)
    assert _findings(result, "template.missing_parameter") == [
        (
            f"CT Acquisition Parameters without DCM:{name.CodeValue} {name.CodeMeaning}",
            "5.5",
            "DCM:113822",
        )
    ]


def test_the_exposure_time_limit_is_ten_minutes_exclusive() -> None:
    assert tid10014_ct_parameters.EXPOSURE_TIME_LIMIT_S == 600.0
    items = _mandatory()
    items[0] = num(codes.CT_EXPOSURE_TIME, "600", "s")
    _, at_limit = _read(items)
    assert _findings(at_limit, "value.implausible") == []
    items[0] = num(codes.CT_EXPOSURE_TIME, "600.5", "s")
    event, over = _read(items)
    assert event.exposure_time == Quantity(600.5, "s")  # kept as sent
    assert _findings(over, "value.implausible") == [
        (
            "Exposure Time 600.5 s exceeds 600 s, not credible for one CT irradiation event "
            "(probably ms sent as s); kept as sent",
            "5.5.1",
            "DCM:113824",
        )
    ]


def test_an_implausible_exposure_time_of_the_quirk_device_names_the_quirk() -> None:
    ds_items = _mandatory()
    ds_items[0] = num(codes.CT_EXPOSURE_TIME, "11912", "s")
    from rdsr_parsers.dispatch import parse
    from tests.rdsr_parsers.test_ct import ct_sr

    ds = ct_sr([accumulated(), _acquisition(ds_items)])
    ds.Manufacturer = "Philips"
    ds.ManufacturerModelName = "Brilliance Big Bore"
    result = parse(ds)
    assert _findings(result, "value.implausible") == [
        (
            "Exposure Time 11912 s exceeds 600 s, not credible for one CT irradiation event "
            "(probably ms sent as s) (quirk CT01); kept as sent",
            "5.5.1",
            "DCM:113824",
        )
    ]


def test_a_source_count_unequal_to_the_containers_is_a_finding() -> None:
    event, result = _read(_mandatory(sources=1, count="2"))
    assert event.number_of_xray_sources == 2 and len(event.xray_sources) == 1
    assert _findings(result, "ct.source_count_mismatch") == [
        (
            "Number of X-Ray Sources states 2 but 1 CT X-Ray Source Parameters containers are "
            "present; both kept",
            "5.5",
            "DCM:113823",
        )
    ]
    event, result = _read(_mandatory(sources=2, count="2"))
    assert [s.identification for s in event.xray_sources] == ["A", "B"]
    assert _findings(result, "ct.source_count_mismatch") == []


def test_a_source_count_without_source_containers_is_no_mismatch() -> None:
    event, result = _read(_mandatory(sources=0, count="2"))
    assert event.number_of_xray_sources == 2 and event.xray_sources == ()
    assert _findings(result, "ct.source_count_mismatch") == []


def test_other_numbers_of_the_parameters_are_kept_as_sent() -> None:
    no_meaning = num(Code("113999", "DCM", "x"), "3", "mm")
    del no_meaning.ConceptNameCodeSequence[0].CodeMeaning
    empty = num(Code("113998", "DCM", "Empty"), None, "mm")
    comment = text(codes.COMMENT, "not a number")
    items = [
        *_mandatory(),
        num(Code("113997", "DCM", "Kept"), "2.5", "cm"),  # 5.5.7
        no_meaning,  # 5.5.8
        empty,  # 5.5.9
        comment,  # 5.5.10
        num(codes.PITCH_FACTOR, "1", "{ratio}"),  # 5.5.11: a field, not kept
    ]
    event, _ = _read(items)
    assert event.other_measurements == (
        Measurement(Code("113997", "DCM", "Kept"), Quantity(2.5, "cm"), "5.5.7"),
        Measurement(Code("113999", "DCM", "113999"), Quantity(3.0, "mm"), "5.5.8"),
        Measurement(Code("113998", "DCM", "Empty"), None, "5.5.9"),
    )


def test_a_number_without_unit_is_kept_without_value() -> None:
    no_unit = num(Code("113997", "DCM", "Kept"), "2.5", "cm")
    del no_unit.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    event, _ = _read([*_mandatory(), no_unit])
    assert event.other_measurements == (Measurement(Code("113997", "DCM", "Kept"), None, "5.5.7"),)


def test_a_coded_modulation_type_is_kept_by_its_meaning() -> None:
    coded_type = code(codes.X_RAY_MODULATION_TYPE, Code("ANGLE", "99X", "Angular"))
    event, _ = _read([*_mandatory(), coded_type])
    assert event.xray_modulation_type == "Angular"
    empty = code(codes.X_RAY_MODULATION_TYPE, None)
    event, _ = _read([*_mandatory(), empty])
    assert event.xray_modulation_type is None


def test_no_modulation_type_is_none() -> None:
    event, _ = _read(_mandatory())
    assert event.xray_modulation_type is None


def test_an_identification_that_is_not_text_is_read_as_none() -> None:
    ident = _item("CONTAINS", "CODE", codes.IDENTIFICATION_OF_THE_X_RAY_SOURCE)
    event, _ = _read([*_mandatory(sources=0), _source(ident)])
    assert event.xray_sources[0].identification is None


# --------------------------------------------------------------------------- TID 10015


def _flag(concept: Code, value: Code | None) -> Dataset:
    return code(concept, value)


def _person(name: str, role: Code | None) -> Dataset:
    item = _item("CONTAINS", "PNAME", codes.PERSON_NAME)
    item.PersonName = name
    if role is not None:
        item.ContentSequence = [code(codes.PERSON_ROLE_IN_PROCEDURE, role, "HAS CONCEPT MOD")]
    return item


def _alert(*children: Dataset) -> Dataset:
    return container(codes.DOSE_CHECK_ALERT_DETAILS, children)


def _notification(*children: Dataset) -> Dataset:
    return container(codes.DOSE_CHECK_NOTIFICATION_DETAILS, children)


def _checks(*details: Dataset) -> tuple[tuple[DoseCheckDetails, ...], ParseResult]:
    event, result = _read(_mandatory(), dose_extra=details)
    return event.dose_check_alerts, result


def test_a_full_alert_is_read_field_by_field() -> None:
    alert = _alert(
        _flag(codes.DLP_ALERT_VALUE_CONFIGURED, codes.YES),  # 5.6.4.1
        _flag(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, codes.YES),
        num(codes.DLP_ALERT_VALUE, "1000", "mGy.cm"),
        num(codes.CTDIVOL_ALERT_VALUE, "50", "mGy"),
        num(codes.ACCUMULATED_DLP_FORWARD_ESTIMATE, "1200", "mGy.cm"),
        num(codes.ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE, "60", "mGy"),
        text(codes.REASON_FOR_PROCEEDING, "obese patient"),
        _person("Doe^Jane", codes.IRRADIATION_AUTHORIZING),
    )
    (details,), result = _checks(alert)
    assert details == DoseCheckDetails(
        kind="alert",
        dlp_value_configured=True,
        ctdivol_value_configured=True,
        dlp_value=Quantity(1000.0, "mGy.cm"),
        ctdivol_value=Quantity(50.0, "mGy"),
        accumulated_dlp_forward_estimate=Quantity(1200.0, "mGy.cm"),
        accumulated_ctdivol_forward_estimate=Quantity(60.0, "mGy"),
        reason_for_proceeding="obese patient",
        person_authorizing="Doe^Jane",
    )
    assert _findings(result, "template.missing_item") == []
    assert _findings(result, "unit.unexpected") == []


def test_a_full_notification_is_read_from_its_own_concepts() -> None:
    notification = _notification(
        _flag(codes.DLP_NOTIFICATION_VALUE_CONFIGURED, codes.YES),
        _flag(codes.CTDIVOL_NOTIFICATION_VALUE_CONFIGURED, codes.NO),
        num(codes.DLP_NOTIFICATION_VALUE, "500", "mGy.cm"),
        num(codes.DLP_FORWARD_ESTIMATE, "600", "mGy.cm"),
        num(codes.CTDIVOL_FORWARD_ESTIMATE, "30", "mGy"),
        # alert concepts in a notification are not its values
        num(codes.DLP_ALERT_VALUE, "1", "mGy.cm"),
        num(codes.ACCUMULATED_DLP_FORWARD_ESTIMATE, "2", "mGy.cm"),
    )
    (details,), result = _checks(notification)
    assert details == DoseCheckDetails(
        kind="notification",
        dlp_value_configured=True,
        ctdivol_value_configured=False,
        dlp_value=Quantity(500.0, "mGy.cm"),
        ctdivol_value=None,
        accumulated_dlp_forward_estimate=Quantity(600.0, "mGy.cm"),
        accumulated_ctdivol_forward_estimate=Quantity(30.0, "mGy"),
    )
    assert _findings(result, "template.missing_item") == []


def test_alert_and_notification_are_read_in_their_order_and_others_skipped() -> None:
    no = codes.NO
    notification = _notification(
        _flag(codes.DLP_NOTIFICATION_VALUE_CONFIGURED, no),
        _flag(codes.CTDIVOL_NOTIFICATION_VALUE_CONFIGURED, no),
    )
    alert = _alert(
        _flag(codes.DLP_ALERT_VALUE_CONFIGURED, no), _flag(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, no)
    )
    other = container(Code("113999", "DCM", "Something else"), [])
    details, _ = _checks(notification, other, alert)
    assert [d.kind for d in details] == ["notification", "alert"]


@pytest.mark.parametrize(
    ("make", "flags", "values"),
    [
        (
            _alert,
            (codes.DLP_ALERT_VALUE_CONFIGURED, codes.CTDIVOL_ALERT_VALUE_CONFIGURED),
            (codes.DLP_ALERT_VALUE, codes.CTDIVOL_ALERT_VALUE),
        ),
        (
            _notification,
            (codes.DLP_NOTIFICATION_VALUE_CONFIGURED, codes.CTDIVOL_NOTIFICATION_VALUE_CONFIGURED),
            (codes.DLP_NOTIFICATION_VALUE, codes.CTDIVOL_NOTIFICATION_VALUE),
        ),
    ],
)
def test_configured_values_that_are_absent_are_named(
    make: object, flags: tuple[Code, Code], values: tuple[Code, Code]
) -> None:
    assert callable(make)
    details = make(_flag(flags[0], codes.YES), _flag(flags[1], codes.YES))
    (read,), result = _checks(details)
    assert (read.dlp_value, read.ctdivol_value) == (None, None)
    assert _findings(result, "template.missing_item") == [
        (
            f"{value.meaning} (DCM:{value.value}) absent although configured (Yes)",
            "5.6.4",
            f"DCM:{value.value}",
        )
        for value in values
    ]


def test_missing_flags_are_mandatory_findings_and_unknown() -> None:
    (read,), result = _checks(_alert(num(codes.DLP_ALERT_VALUE, "1000", "mGy.cm")))
    assert (read.dlp_value_configured, read.ctdivol_value_configured) == (None, None)
    assert read.dlp_value == Quantity(1000.0, "mGy.cm")
    assert _findings(result, "template.missing_item") == [
        ("mandatory DLP Alert Value Configured (DCM:113901) is missing", "5.6.4", "DCM:113901"),
        (
            "mandatory CTDIvol Alert Value Configured (DCM:113902) is missing",
            "5.6.4",
            "DCM:113902",
        ),
    ]


def test_a_flag_outside_cid_230_is_unknown_with_a_finding() -> None:
    maybe = Code("UNK", "99X", "Maybe")
    alert = _alert(
        _flag(codes.DLP_ALERT_VALUE_CONFIGURED, maybe),  # 5.6.4.1
        _flag(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, None),  # 5.6.4.2: no code at all
    )
    (read,), result = _checks(alert)
    assert (read.dlp_value_configured, read.ctdivol_value_configured) == (None, None)
    assert _findings(result, "value.unexpected_code") == [
        ("99X:UNK is not a CID 230 Yes/No value; flag unknown", "5.6.4.1", "DCM:113901")
    ]
    assert _findings(result, "template.missing_item") == []


def test_values_in_other_units_are_converted_with_findings() -> None:
    alert = _alert(
        _flag(codes.DLP_ALERT_VALUE_CONFIGURED, codes.YES),
        _flag(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, codes.YES),
        num(codes.DLP_ALERT_VALUE, "1", "Gy.cm"),  # 5.6.4.3
        num(codes.CTDIVOL_ALERT_VALUE, "0.05", "Gy"),  # 5.6.4.4
        num(codes.ACCUMULATED_DLP_FORWARD_ESTIMATE, "1.2", "Gy.cm"),  # 5.6.4.5
        num(codes.ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE, "0.06", "Gy"),  # 5.6.4.6
    )
    (read,), result = _checks(alert)
    values = (
        read.dlp_value,
        read.ctdivol_value,
        read.accumulated_dlp_forward_estimate,
        read.accumulated_ctdivol_forward_estimate,
    )
    assert [None if v is None else (round(v.value, 9), v.unit) for v in values] == [
        (1000.0, "mGy.cm"),
        (50.0, "mGy"),
        (1200.0, "mGy.cm"),
        (60.0, "mGy"),
    ]
    assert [(m, p) for m, p, _ in _findings(result, "unit.unexpected")] == [
        ("unit Gy.cm where the template prescribes mGy.cm; converted", "5.6.4.3"),
        ("unit Gy where the template prescribes mGy; converted", "5.6.4.4"),
        ("unit Gy.cm where the template prescribes mGy.cm; converted", "5.6.4.5"),
        ("unit Gy where the template prescribes mGy; converted", "5.6.4.6"),
    ]


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        ([("Doe^Jane", None)], "Doe^Jane"),
        ([("Roe^Rick", Code("121592", "DCM", "Performing")), ("Doe^Jane", None)], "Doe^Jane"),
        ([("Roe^Rick", Code("121592", "DCM", "Performing"))], None),
        (
            [
                ("Roe^Rick", Code("121592", "DCM", "Performing")),
                ("Doe^Jane", codes.IRRADIATION_AUTHORIZING),
                ("Poe^Pat", None),
            ],
            "Doe^Jane",
        ),
        ([], None),
    ],
)
def test_the_authorising_person_is_the_first_with_that_role_or_none(
    people: list[tuple[str, Code | None]], expected: str | None
) -> None:
    flags = [
        _flag(codes.DLP_ALERT_VALUE_CONFIGURED, codes.NO),
        _flag(codes.CTDIVOL_ALERT_VALUE_CONFIGURED, codes.NO),
    ]
    (read,), _ = _checks(_alert(*flags, *(_person(n, r) for n, r in people)))
    assert read.person_authorizing == expected


def test_a_role_without_a_code_counts_as_no_role() -> None:
    person = _person("Doe^Jane", codes.IRRADIATION_AUTHORIZING)
    del person.ContentSequence[0].ConceptCodeSequence
    (read,), _ = _checks(_alert(person))
    assert read.person_authorizing == "Doe^Jane"


def test_an_srt_coded_role_is_read_as_its_dcm_key() -> None:
    person = _person("Doe^Jane", Code("113850", "DCM", "Irradiation Authorizing"))
    other = _person("Roe^Rick", Code("121592", "DCM", "Performing"))
    (read,), _ = _checks(_alert(other, person))
    assert read.person_authorizing == "Doe^Jane"


def test_other_numbers_keep_the_meaning_sent_or_the_code_value() -> None:
    # pydicom's Code equality ignores the meaning: compare it on its own
    no_meaning = num(Code("113999", "DCM", "x"), "3", "mm")
    del no_meaning.ConceptNameCodeSequence[0].CodeMeaning
    event, _ = _read([*_mandatory(), num(Code("113997", "DCM", "Kept"), "2.5", "cm"), no_meaning])
    assert [(m.concept.value, m.concept.meaning) for m in event.other_measurements] == [
        ("113997", "Kept"),
        ("113999", "113999"),
    ]


def test_a_pitch_without_unit_is_a_finding_not_a_crash() -> None:
    pitch = num(codes.PITCH_FACTOR, "0.984", "{ratio}")  # 5.5.6 (no source container)
    del pitch.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    event, result = _read([*_mandatory(sources=0), pitch])
    assert event.pitch_factor is None
    assert [f.content_path for f in result.findings if f.code == "unit.missing"] == ["5.5.6"]


def test_a_num_without_concept_name_is_kept_by_its_path_not_a_crash() -> None:
    unnamed = num(Code("1", "99X", "x"), "3", "mm")  # 5.5.7
    del unnamed.ConceptNameCodeSequence
    event, _ = _read([*_mandatory(), unnamed])
    (kept,) = event.other_measurements
    assert (kept.concept.scheme_designator, kept.concept.value, kept.concept.meaning) == (
        "",
        "",
        "",
    )
    assert (kept.value, kept.content_path) == (Quantity(3.0, "mm"), "5.5.7")
