"""TID 10003 / 10003B / 10003C / 10003D: every field of a projection irradiation event from
its own concept, in its canonical unit (issue #15).

Each NUM carries a distinct value in the unit the template prescribes (PS3.16 TID 10003:
DAP in Gy.m2, Dose (RP) in Gy, Exposure in uA.s, Pulse Width and Exposure Time in ms,
Collimated Field Area in m2, distances in mm, angles in deg), so that a value read from
the wrong concept, or converted with the wrong factor, is noticed.
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import ProjectionIrradiationEvent
from dosewatch.domain.units import Quantity
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_projection import (
    accumulated,
    build_rdsr,
    coded,
    container,
    event,
    num,
)

STRIP = Code("113650", "DCM", "Strip filter")
ALUMINIUM = Code("256506002", "SCT", "Aluminium")
#: (concept, value sent, unit sent, field, value expected, unit expected)
FIELDS: list[tuple[Code, str, str, str, float, str]] = [
    (codes.PULSE_RATE, "15", "{pulse}/s", "pulse_rate", 15.0, "/s"),
    (codes.NUMBER_OF_PULSES, "100", "{pulses}", "number_of_pulses", 100.0, "1"),
    (codes.AVERAGE_X_RAY_TUBE_CURRENT, "11", "mA", "average_tube_current", 11.0, "mA"),
    (codes.X_RAY_SOURCE_EXPOSURE_TIME, "120", "ms", "exposure_time", 0.12, "s"),
    (codes.EXPOSURE, "960", "uA.s", "exposure", 0.96, "mA.s"),  # 1 uA.s = 1e-3 mA.s
    (codes.IRRADIATION_DURATION, "12.5", "s", "irradiation_duration", 12.5, "s"),
    (codes.FOCAL_SPOT_SIZE, "0.6", "mm", "focal_spot_size", 0.6, "mm"),
    (codes.POSITIONER_PRIMARY_ANGLE, "30", "deg", "positioner_primary_angle", 30.0, "deg"),
    (codes.POSITIONER_SECONDARY_ANGLE, "-20", "deg", "positioner_secondary_angle", -20.0, "deg"),
    (codes.POSITIONER_PRIMARY_END_ANGLE, "35", "deg", "positioner_primary_end_angle", 35.0, "deg"),
    (
        codes.POSITIONER_SECONDARY_END_ANGLE,
        "-25",
        "deg",
        "positioner_secondary_end_angle",
        -25.0,
        "deg",
    ),
    (codes.COLUMN_ANGULATION, "5", "deg", "column_angulation", 5.0, "deg"),
    (codes.DISTANCE_SOURCE_TO_ISOCENTER, "750", "mm", "distance_source_to_isocenter", 750.0, "mm"),
    (codes.DISTANCE_SOURCE_TO_DETECTOR, "1100", "mm", "distance_source_to_detector", 1100.0, "mm"),
    (
        codes.DISTANCE_SOURCE_TO_REFERENCE_POINT,
        "700",
        "mm",
        "distance_source_to_reference_point",
        700.0,
        "mm",
    ),
    (
        codes.DISTANCE_SOURCE_TO_TABLE_PLANE,
        "800",
        "mm",
        "distance_source_to_table_plane",
        800.0,
        "mm",
    ),
    (codes.TABLE_LONGITUDINAL_POSITION, "10", "mm", "table_longitudinal_position", 10.0, "mm"),
    (codes.TABLE_LATERAL_POSITION, "20", "mm", "table_lateral_position", 20.0, "mm"),
    (codes.TABLE_HEIGHT_POSITION, "30", "mm", "table_height_position", 30.0, "mm"),
    (codes.TABLE_HEAD_TILT_ANGLE, "1", "deg", "table_head_tilt_angle", 1.0, "deg"),
    (
        codes.TABLE_HORIZONTAL_ROTATION_ANGLE,
        "2",
        "deg",
        "table_horizontal_rotation_angle",
        2.0,
        "deg",
    ),
    (codes.TABLE_CRADLE_TILT_ANGLE, "3", "deg", "table_cradle_tilt_angle", 3.0, "deg"),
    # 1 m2 = 10^4 cm2
    (codes.COLLIMATED_FIELD_AREA, "0.04", "m2", "collimated_field_area", 400.0, "cm2"),
    (codes.COLLIMATED_FIELD_HEIGHT, "200", "mm", "collimated_field_height", 200.0, "mm"),
    (codes.COLLIMATED_FIELD_WIDTH, "210", "mm", "collimated_field_width", 210.0, "mm"),
    (
        codes.PATIENT_EQUIVALENT_THICKNESS,
        "180",
        "mm",
        "patient_equivalent_thickness",
        180.0,
        "mm",
    ),
    (codes.EXPOSURE_INDEX, "400", "1", "exposure_index", 400.0, "1"),
    (codes.TARGET_EXPOSURE_INDEX, "450", "1", "target_exposure_index", 450.0, "1"),
    (codes.DEVIATION_INDEX, "-0.5", "1", "deviation_index", -0.5, "1"),
]


def _event(result: ParseResult) -> ProjectionIrradiationEvent:
    (ev,) = result.report.events
    assert isinstance(ev, ProjectionIrradiationEvent)
    return ev


def _codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code for f in findings]


def _full_event() -> Dataset:
    filters = container(
        codes.X_RAY_FILTERS,
        [
            coded(codes.X_RAY_FILTER_TYPE, STRIP),
            coded(codes.X_RAY_FILTER_MATERIAL, ALUMINIUM),
            num(codes.X_RAY_FILTER_THICKNESS_MINIMUM, "0.1", "mm"),
            num(codes.X_RAY_FILTER_THICKNESS_MAXIMUM, "0.2", "mm"),
        ],
    )
    extra = [num(concept, value, unit) for concept, value, unit, *_ in FIELDS]
    extra += [
        num(codes.KVP, "80", "kV"),
        num(codes.X_RAY_TUBE_CURRENT, "12", "mA"),
        num(codes.PULSE_WIDTH, "8", "ms"),
        filters,
    ]
    return event(dap=("0.00001", "Gy.m2"), dose_rp=("0.001", "Gy"), extra=extra)


def test_every_field_is_read_from_its_concept_in_its_canonical_unit() -> None:
    ev = _event(parse(build_rdsr([accumulated(), _full_event()])))
    checked = 0
    for concept, _value, _unit, name, expected, unit in FIELDS:
        got = getattr(ev, name)
        assert isinstance(got, Quantity), (name, concept)
        assert got.value == pytest.approx(expected, rel=1e-12), name
        assert got.unit == unit, name
        checked += 1
    assert checked == len(FIELDS) == 29
    assert ev.dose_area_product is not None and ev.dose_area_product.unit == "Gy.cm2"
    assert ev.dose_area_product.value == pytest.approx(0.1)  # 1 m2 = 10^4 cm2
    assert ev.dose_rp is not None and ev.dose_rp.value == pytest.approx(0.001)
    assert [q.value for q in ev.kvp] == [80.0] and ev.kvp[0].unit == "kV"
    assert [q.value for q in ev.tube_current] == [12.0] and ev.tube_current[0].unit == "mA"
    assert [q.value for q in ev.pulse_width] == [pytest.approx(0.008)]
    assert ev.pulse_width[0].unit == "s"
    (flt,) = ev.filters
    assert flt.filter_type is not None and flt.filter_type.value == "113650"
    assert flt.material is not None and flt.material.value == "256506002"
    assert flt.thickness_minimum == Quantity(0.1, "mm")
    assert flt.thickness_maximum == Quantity(0.2, "mm")
    # every NUM above has a dedicated field: none is kept twice as "other"
    assert ev.other_measurements == ()


def test_the_prescribed_units_are_read_without_findings() -> None:
    result = parse(build_rdsr([accumulated(), _full_event()]))
    assert not [f for f in result.findings if f.code.startswith("unit.")]


# --------------------------------------------------------------------- findings of an event


def _one(result: ParseResult, code: str) -> Finding:
    (finding,) = [f for f in result.findings if f.code == code]
    return finding


def test_a_missing_event_uid_names_the_event_container() -> None:
    result = parse(build_rdsr([accumulated(), event(uid=False)]))
    finding = _one(result, "event.uid_missing")
    assert finding.message == (
        "Irradiation Event UID (DCM:113769) is missing; event kept without identity "
        "(the ledger cannot de-duplicate it by UID)"
    )
    assert (finding.content_path, finding.concept) == ("3", "DCM:113769")


def test_a_missing_dap_says_the_event_is_kept_without_it() -> None:
    result = parse(build_rdsr([accumulated(), event(dap=None)]))
    finding = _one(result, "template.missing_mandatory")
    assert finding.message == (
        "mandatory Dose Area Product (DCM:122130) is missing from the irradiation event "
        "(TID 10003); the event is kept without it"
    )
    assert (finding.content_path, finding.concept) == ("3", "DCM:122130")
    # Dose (RP) is not mandatory: its absence is no finding
    no_rp = parse(build_rdsr([accumulated(), event(dose_rp=None)]))
    assert not [f for f in no_rp.findings if f.code.startswith("template.")]
    assert _event(no_rp).dose_rp is None


def test_missing_event_type_and_plane_are_left_empty_with_a_warning() -> None:
    ev = event()
    ev.ContentSequence = ev.ContentSequence[2:]  # drop Acquisition Plane, Event Type
    result = parse(build_rdsr([accumulated(), ev]))
    read = _event(result)
    assert read.event_type is None and read.acquisition_plane is None
    missing = [f for f in result.findings if f.code == "template.missing_item"]
    assert [(f.message, f.content_path, f.concept) for f in missing] == [
        (
            "mandatory Irradiation Event Type (DCM:113721) is missing from the irradiation "
            "event (TID 10003); left empty",
            "3",
            "DCM:113721",
        ),
        (
            "mandatory Acquisition Plane (DCM:113764) is missing from the irradiation "
            "event (TID 10003); left empty",
            "3",
            "DCM:113764",
        ),
    ]


def test_negative_dose_and_field_size_are_kept_with_what_is_wrong() -> None:
    result = parse(
        build_rdsr(
            [
                accumulated(),
                event(
                    dose_rp=("-0.001", "Gy"),
                    extra=[num(codes.COLLIMATED_FIELD_HEIGHT, "-200", "mm")],
                ),
            ]
        )
    )
    ev = _event(result)
    assert ev.dose_rp is not None and ev.dose_rp.value == pytest.approx(-0.001)
    assert ev.collimated_field_height == Quantity(-200.0, "mm")
    implausible = [f for f in result.findings if f.code == "value.implausible"]
    assert [(f.message, f.content_path, f.concept) for f in implausible] == [
        (
            f"{Quantity(-0.001, 'Gy')} is a negative dose; value kept as sent",
            "3.5",
            "DCM:113738",
        ),
        (
            f"{Quantity(-200.0, 'mm')} is a negative collimated field size; value kept as sent",
            "3.6",
            "DCM:113788",
        ),
    ]
    # zero is no implausible value
    zero = parse(
        build_rdsr(
            [
                accumulated(),
                event(
                    dose_rp=("0", "Gy"),
                    extra=[
                        num(codes.COLLIMATED_FIELD_HEIGHT, "0", "mm"),
                        num(codes.COLLIMATED_FIELD_WIDTH, "0", "mm"),
                    ],
                ),
            ]
        )
    )
    assert not [f for f in zero.findings if f.code == "value.implausible"]


def test_a_negative_width_is_implausible_too() -> None:
    result = parse(
        build_rdsr([accumulated(), event(extra=[num(codes.COLLIMATED_FIELD_WIDTH, "-1", "mm")])])
    )
    finding = _one(result, "value.implausible")
    assert (finding.content_path, finding.concept) == ("3.6", "DCM:113789")


def test_the_retired_exposure_time_is_read_in_seconds_with_a_note() -> None:
    result = parse(
        build_rdsr([accumulated(), event(extra=[num(codes.PROJECTION_EXPOSURE_TIME, "250", "ms")])])
    )
    ev = _event(result)
    assert ev.exposure_time == Quantity(0.25, "s")
    finding = _one(result, "code.retired")
    assert finding.content_path == "3.6"
    # the current concept wins when both are sent
    both = parse(
        build_rdsr(
            [
                accumulated(),
                event(
                    extra=[
                        num(codes.PROJECTION_EXPOSURE_TIME, "250", "ms"),
                        num(codes.X_RAY_SOURCE_EXPOSURE_TIME, "120", "ms"),
                    ]
                ),
            ]
        )
    )
    both_time = _event(both).exposure_time
    assert both_time is not None and both_time.value == pytest.approx(0.12)
    assert not [f for f in both.findings if f.code == "code.retired"]


def test_per_pulse_values_are_all_kept_with_one_note() -> None:
    result = parse(build_rdsr([accumulated(), event(extra=[num(codes.KVP, "70\\72\\74", "kV")])]))
    assert [q.value for q in _event(result).kvp] == [70.0, 72.0, 74.0]
    finding = _one(result, "value.per_pulse")
    assert finding.content_path == "3.6"
    single = parse(build_rdsr([accumulated(), event(extra=[num(codes.KVP, "70", "kV")])]))
    assert not [f for f in single.findings if f.code == "value.per_pulse"]


def test_other_standard_numbers_are_kept_private_ones_are_not() -> None:
    other = codes.ENTRANCE_EXPOSURE_AT_RP  # a TID 10003 mammography item: no projection field
    private = Code("1234", "99VENDOR", "Private number")
    result = parse(
        build_rdsr(
            [accumulated(), event(extra=[num(other, "6.5", "mGy"), num(private, "1", "mm")])]
        )
    )
    (measurement,) = _event(result).other_measurements
    assert measurement.concept.value == "111636"
    assert measurement.concept.meaning == "Entrance Exposure at RP"
    assert measurement.value == Quantity(6.5, "mGy")  # kept as sent
    assert measurement.content_path == "3.6"


def test_field_sizes_in_cm_are_converted_with_a_finding() -> None:
    result = parse(
        build_rdsr(
            [
                accumulated(),
                event(
                    extra=[
                        num(codes.COLLIMATED_FIELD_HEIGHT, "20", "cm"),
                        num(codes.COLLIMATED_FIELD_WIDTH, "21", "cm"),
                    ]
                ),
            ]
        )
    )
    ev = _event(result)
    assert ev.collimated_field_height == Quantity(200.0, "mm")  # 1 cm = 10 mm
    assert ev.collimated_field_width == Quantity(210.0, "mm")
    unexpected = [f for f in result.findings if f.code == "unit.unexpected"]
    assert [f.concept for f in unexpected] == ["DCM:113788", "DCM:113789"]


def test_start_time_and_protocol_of_a_projection_event() -> None:
    started = Dataset()
    started.RelationshipType = "CONTAINS"
    started.ValueType = "DATETIME"
    started.ConceptNameCodeSequence = [_code_ds(codes.DATETIME_STARTED)]
    started.DateTime = "20240314093000"
    protocol = Dataset()
    protocol.RelationshipType = "CONTAINS"
    protocol.ValueType = "TEXT"
    protocol.ConceptNameCodeSequence = [_code_ds(codes.ACQUISITION_PROTOCOL)]
    protocol.TextValue = "Coronary angiography"
    ev = _event(parse(build_rdsr([accumulated(), event(extra=[started, protocol])])))
    assert ev.datetime_started is not None
    assert ev.datetime_started.isoformat() == "2024-03-14T09:30:00"
    assert ev.acquisition_protocol == "Coronary angiography"


def _code_ds(code: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue = code.value
    ds.CodingSchemeDesignator = code.scheme_designator
    ds.CodeMeaning = code.meaning
    return ds


def test_anatomy_laterality_and_fluoro_mode_of_a_projection_event() -> None:
    target = coded(codes.TARGET_REGION, Code("80891009", "SCT", "Heart"))
    target.ContentSequence = [coded(codes.LATERALITY, codes.LEFT, "HAS CONCEPT MOD")]
    mode = coded(codes.FLUORO_MODE, Code("113631", "DCM", "Pulsed"))
    ev = _event(parse(build_rdsr([accumulated(), event(extra=[target, mode])])))
    assert ev.anatomical_structure is not None and ev.anatomical_structure.value == "80891009"
    assert ev.laterality is not None and ev.laterality.value == codes.LEFT.value
    assert ev.fluoro_mode is not None and ev.fluoro_mode.value == "113631"
