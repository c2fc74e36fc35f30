"""TID 10003 items of an irradiation event that deviate from the template: each is read (or
dropped) and reported by a finding on its own item, for the items whose deviations no
other test sent (#15, survivors of the tid10003_event.py run).

Units prescribed by PS3.16 TID 10003/10003B: Pulse Rate {pulse}/s, Number of Pulses a
count, KVP kV, X-Ray Tube Current and Average X-Ray Tube Current mA, angles deg. DCM code
values are numeric (PS3.16 section 8): a non-numeric value under DCM is flagged.
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import ProjectionIrradiationEvent
from dosewatch.domain.units import Quantity
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_mammography_event_fields import (
    _full_mg_event,
    _mg,
    _set_unit,
)
from tests.rdsr_parsers.test_mammography_rdsr import _mg_accumulated
from tests.rdsr_parsers.test_projection import accumulated, build_rdsr, coded, event, num

SUPINE = Code("F-10450", "SRT", "recumbent")
HEAD_FIRST = Code("F-10470", "SRT", "headfirst")


def _concept(code: Code) -> str:
    return f"{code.scheme_designator}:{code.value}"


def _findings(result: ParseResult, code: str) -> list[tuple[str | None, str]]:
    return sorted((f.concept, f.message) for f in result.findings if f.code == code)


def _item(value_type: str, concept: Code) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = "CONTAINS"
    ds.ValueType = value_type
    name = Dataset()
    name.CodeValue = concept.value
    name.CodingSchemeDesignator = concept.scheme_designator
    name.CodeMeaning = concept.meaning
    ds.ConceptNameCodeSequence = [name]
    return ds


def _projection(result: ParseResult) -> ProjectionIrradiationEvent:
    (ev,) = result.report.events
    assert isinstance(ev, ProjectionIrradiationEvent)
    return ev


def test_projection_items_in_other_units_are_converted_with_a_finding_each() -> None:
    extra = [
        num(codes.PULSE_RATE, "15", "/s"),
        num(codes.NUMBER_OF_PULSES, "100", "ms"),
        num(codes.KVP, "80000", "V"),  # 1 V = 1e-3 kV
        num(codes.X_RAY_TUBE_CURRENT, "0.012", "A"),  # 1 A = 1000 mA
        num(codes.AVERAGE_X_RAY_TUBE_CURRENT, "0.011", "A"),
    ]
    result = parse(build_rdsr([accumulated(), event(extra=extra)]))
    ev = _projection(result)
    assert ev.pulse_rate == Quantity(15.0, "/s")
    assert ev.number_of_pulses == Quantity(100.0, "1")
    assert [(q.value, q.unit) for q in ev.kvp] == [(80.0, "kV")]
    assert [(round(q.value, 9), q.unit) for q in ev.tube_current] == [(12.0, "mA")]
    assert ev.average_tube_current is not None
    assert (round(ev.average_tube_current.value, 9), ev.average_tube_current.unit) == (11.0, "mA")
    assert _findings(result, FindingCode.UNIT_UNEXPECTED) == sorted(
        [
            (
                _concept(codes.PULSE_RATE),
                "unit /s where the template prescribes {pulse}/s; converted",
            ),
            (_concept(codes.NUMBER_OF_PULSES), "unit ms for a count; value kept as a count"),
            (_concept(codes.KVP), "unit V where the template prescribes kV; converted"),
            (
                _concept(codes.X_RAY_TUBE_CURRENT),
                "unit A where the template prescribes mA; converted",
            ),
            (
                _concept(codes.AVERAGE_X_RAY_TUBE_CURRENT),
                "unit A where the template prescribes mA; converted",
            ),
        ]
    )


@pytest.mark.filterwarnings("ignore:Invalid value for VR DT")
def test_coded_and_dated_projection_items_that_deviate_are_flagged() -> None:
    started = _item("DATETIME", codes.DATETIME_STARTED)
    started.DateTime = "2024-13-99"
    protocol = coded(codes.ACQUISITION_PROTOCOL, Code("CORO", "DCM", "Coronary"))
    reference = coded(codes.REFERENCE_POINT_DEFINITION, Code("IRP", "DCM", "15 cm from iso"))
    mode = coded(codes.FLUORO_MODE, Code("PULSED", "DCM", "Pulsed"))
    result = parse(build_rdsr([accumulated(), event(extra=[started, protocol, reference, mode])]))
    ev = _projection(result)
    assert ev.datetime_started is None
    assert ev.acquisition_protocol == "Coronary"
    assert isinstance(ev.reference_point_definition, Code)
    assert ev.reference_point_definition.value == "IRP"
    assert ev.fluoro_mode is not None and ev.fluoro_mode.value == "PULSED"
    wrong = [concept for concept, _ in _findings(result, FindingCode.CODE_WRONG_SCHEME)]
    assert wrong == sorted(
        [
            _concept(codes.ACQUISITION_PROTOCOL),
            _concept(codes.REFERENCE_POINT_DEFINITION),
            _concept(codes.FLUORO_MODE),
        ]
    )
    invalid = [f for f in result.findings if f.code == FindingCode.ENCODING_INVALID_DATETIME]
    assert [f.content_path for f in invalid] == ["3.6"]


def test_patient_orientation_its_modifier_and_the_comment_are_read() -> None:
    orientation = coded(codes.PATIENT_ORIENTATION, SUPINE)
    orientation.ContentSequence = [
        coded(codes.PATIENT_ORIENTATION_MODIFIER, HEAD_FIRST, "HAS CONCEPT MOD")
    ]
    comment = _item("TEXT", codes.COMMENT)
    comment.TextValue = "run 3, LAO 30"
    result = parse(build_rdsr([accumulated(), event(extra=[orientation, comment])]))
    ev = _projection(result)
    assert ev.patient_orientation is not None
    # SRT codes are read as their SNOMED CT successors (F-10450 -> 102538003)
    assert (ev.patient_orientation.scheme_designator, ev.patient_orientation.value) == (
        "SCT",
        "102538003",
    )
    assert ev.patient_orientation_modifier is not None
    assert ev.patient_orientation_modifier.meaning == "headfirst"
    assert ev.comment == "run 3, LAO 30"


def test_mammography_items_that_deviate_are_flagged() -> None:
    ds = _full_mg_event()
    _set_unit(ds, codes.X_RAY_TUBE_CURRENT, "0.09", "A")
    _set_unit(ds, codes.POSITIONER_PRIMARY_ANGLE, "-2", "rad")  # no rad in the unit table
    exposure_time = next(
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == codes.X_RAY_SOURCE_EXPOSURE_TIME.value
    )
    ds.ContentSequence.remove(exposure_time)
    ds.ContentSequence.append(num(codes.PROJECTION_EXPOSURE_TIME, "610", "ms"))  # retired
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    ev = _mg(result)
    assert [(round(q.value, 9), q.unit) for q in ev.tube_current] == [(90.0, "mA")]
    assert ev.positioner_primary_angle is None
    assert ev.exposure_time is not None and round(ev.exposure_time.value, 9) == 0.61
    assert _findings(result, FindingCode.UNIT_UNEXPECTED) == [
        (_concept(codes.X_RAY_TUBE_CURRENT), "unit A where the template prescribes mA; converted")
    ]
    inconvertible = _findings(result, FindingCode.UNIT_UNKNOWN)
    assert [concept for concept, _ in inconvertible] == [_concept(codes.POSITIONER_PRIMARY_ANGLE)]
    assert [f.code for f in result.findings if f.code == FindingCode.CODE_RETIRED] == [
        FindingCode.CODE_RETIRED
    ]


#: (concept, value, convertible unit other than the prescribed one, field, value, unit)
OTHER_UNITS: list[tuple[Code, str, str, str, float, str]] = [
    (codes.PULSE_WIDTH, "0.008", "s", "pulse_width", 0.008, "s"),
    (codes.X_RAY_SOURCE_EXPOSURE_TIME, "0.12", "s", "exposure_time", 0.12, "s"),
    (codes.EXPOSURE, "0.96", "mA.s", "exposure", 0.96, "mA.s"),
    (codes.IRRADIATION_DURATION, "12500", "ms", "irradiation_duration", 12.5, "s"),
    (codes.FOCAL_SPOT_SIZE, "0.06", "cm", "focal_spot_size", 0.6, "mm"),
    (codes.DISTANCE_SOURCE_TO_ISOCENTER, "75", "cm", "distance_source_to_isocenter", 750, "mm"),
    (codes.DISTANCE_SOURCE_TO_DETECTOR, "1.1", "m", "distance_source_to_detector", 1100, "mm"),
    (
        codes.DISTANCE_SOURCE_TO_REFERENCE_POINT,
        "70",
        "cm",
        "distance_source_to_reference_point",
        700,
        "mm",
    ),
    (
        codes.DISTANCE_SOURCE_TO_TABLE_PLANE,
        "80",
        "cm",
        "distance_source_to_table_plane",
        800,
        "mm",
    ),
    (codes.TABLE_LONGITUDINAL_POSITION, "1", "cm", "table_longitudinal_position", 10, "mm"),
    (codes.TABLE_LATERAL_POSITION, "2", "cm", "table_lateral_position", 20, "mm"),
    (codes.TABLE_HEIGHT_POSITION, "3", "cm", "table_height_position", 30, "mm"),
    (codes.COLLIMATED_FIELD_AREA, "400", "cm2", "collimated_field_area", 400, "cm2"),
    (
        codes.PATIENT_EQUIVALENT_THICKNESS,
        "18",
        "cm",
        "patient_equivalent_thickness",
        180,
        "mm",
    ),
    (codes.EXPOSURE_INDEX, "400", "{ratio}", "exposure_index", 400, "1"),
    (codes.TARGET_EXPOSURE_INDEX, "450", "{ratio}", "target_exposure_index", 450, "1"),
    (codes.DEVIATION_INDEX, "-50", "%", "deviation_index", -0.5, "1"),
]
#: angles: no other angle unit is in the unit table, so "rad" is an unknown unit
ANGLES: list[tuple[Code, str]] = [
    (codes.POSITIONER_PRIMARY_ANGLE, "positioner_primary_angle"),
    (codes.POSITIONER_SECONDARY_ANGLE, "positioner_secondary_angle"),
    (codes.POSITIONER_PRIMARY_END_ANGLE, "positioner_primary_end_angle"),
    (codes.POSITIONER_SECONDARY_END_ANGLE, "positioner_secondary_end_angle"),
    (codes.COLUMN_ANGULATION, "column_angulation"),
    (codes.TABLE_HEAD_TILT_ANGLE, "table_head_tilt_angle"),
    (codes.TABLE_HORIZONTAL_ROTATION_ANGLE, "table_horizontal_rotation_angle"),
    (codes.TABLE_CRADLE_TILT_ANGLE, "table_cradle_tilt_angle"),
]


@pytest.mark.parametrize(("concept", "value", "unit", "field", "expected", "to_unit"), OTHER_UNITS)
def test_a_projection_item_in_another_unit_is_converted_with_its_finding(
    concept: Code, value: str, unit: str, field: str, expected: float, to_unit: str
) -> None:
    result = parse(build_rdsr([accumulated(), event(extra=[num(concept, value, unit)])]))
    got = getattr(_projection(result), field)
    if isinstance(got, tuple):  # per-pulse fields
        (got,) = got
    assert isinstance(got, Quantity)
    assert (round(got.value, 9), got.unit) == (expected, to_unit)
    unexpected = _findings(result, FindingCode.UNIT_UNEXPECTED)
    assert [concept_str for concept_str, _ in unexpected] == [_concept(concept)]
    assert unexpected[0][1].startswith(f"unit {unit} where the template prescribes ")


@pytest.mark.parametrize(("concept", "field"), ANGLES)
def test_a_projection_angle_in_an_unknown_unit_is_dropped_with_its_finding(
    concept: Code, field: str
) -> None:
    result = parse(build_rdsr([accumulated(), event(extra=[num(concept, "0.5", "rad")])]))
    assert getattr(_projection(result), field) is None
    unknown = _findings(result, FindingCode.UNIT_UNKNOWN)
    assert [concept_str for concept_str, _ in unknown] == [_concept(concept)]


def test_more_projection_items_that_deviate_are_flagged() -> None:
    """Plane, filter, laterality, retired exposure time and an unnamed other
    number: each deviation is a finding on its item, the values as the template says."""
    ev_ds = event(plane=Code("PLANE", "DCM", "Single Plane"))
    filters = Dataset()
    filters.RelationshipType = "CONTAINS"
    filters.ValueType = "CONTAINER"
    name = _item("CONTAINER", codes.X_RAY_FILTERS)
    filters.ConceptNameCodeSequence = name.ConceptNameCodeSequence
    filters.ContinuityOfContent = "SEPARATE"
    filters.ContentSequence = [
        coded(codes.X_RAY_FILTER_TYPE, Code("STRIP", "DCM", "Strip filter")),
        num(codes.X_RAY_FILTER_THICKNESS_MINIMUM, "0.01", "cm"),
        num(codes.X_RAY_FILTER_THICKNESS_MAXIMUM, "0.02", "cm"),
    ]
    no_unit = num(codes.ENTRANCE_EXPOSURE_AT_RP, "6.5", "mGy")
    del no_unit.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    ev_ds.ContentSequence += [
        coded(codes.LATERALITY, codes.LEFT),  # a sibling laterality, no target region
        num(codes.PROJECTION_EXPOSURE_TIME, "0.25", "s"),  # retired concept, unit s
        coded(codes.PATIENT_ORIENTATION, SUPINE),  # no modifier
        filters,
        no_unit,
    ]
    result = parse(build_rdsr([accumulated(), ev_ds]))
    ev = _projection(result)
    assert ev.laterality is not None and ev.laterality.value == codes.LEFT.value
    assert ev.exposure_time == Quantity(0.25, "s")
    assert ev.patient_orientation is not None and ev.patient_orientation_modifier is None
    (flt,) = ev.filters
    assert flt.filter_type is not None and flt.filter_type.value == "STRIP"
    assert flt.thickness_minimum is not None and round(flt.thickness_minimum.value, 9) == 0.1
    assert flt.thickness_maximum is not None and round(flt.thickness_maximum.value, 9) == 0.2
    (other,) = ev.other_measurements
    assert other.value is None
    codes_by_concept = sorted((f.concept or "", f.code) for f in result.findings)
    for expected in [
        (_concept(codes.ACQUISITION_PLANE), FindingCode.CODE_WRONG_SCHEME),
        (_concept(codes.X_RAY_FILTER_TYPE), FindingCode.CODE_WRONG_SCHEME),
        (_concept(codes.X_RAY_FILTER_THICKNESS_MINIMUM), FindingCode.UNIT_UNEXPECTED),
        (_concept(codes.X_RAY_FILTER_THICKNESS_MAXIMUM), FindingCode.UNIT_UNEXPECTED),
        (_concept(codes.PROJECTION_EXPOSURE_TIME), FindingCode.UNIT_UNEXPECTED),
        (_concept(codes.ENTRANCE_EXPOSURE_AT_RP), FindingCode.UNIT_MISSING),
    ]:
        assert expected in codes_by_concept
