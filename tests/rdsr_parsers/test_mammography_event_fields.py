"""TID 10003 in a mammography report: every field of a MammographyIrradiationEvent from its
own concept, in its canonical unit (issue #15).

Values are distinct and sent in the units TID 10003 prescribes (AGD and Entrance Exposure
at RP in mGy, Compression Thickness and Half Value Layer in mm, Exposure in uA.s, Exposure
Time in ms, DAP in Gy.m2, Dose (RP) in Gy).
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import same
from dosewatch.domain.report import MammographyIrradiationEvent
from dosewatch.domain.units import Quantity
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_mammography_rdsr import _mg_accumulated
from tests.rdsr_parsers.test_projection import build_rdsr, coded, container, event, num

MOLYBDENUM = Code("C-150F9", "SRT", "Molybdenum or compound")
RHODIUM = Code("C-167F9", "SRT", "Rhodium or compound")
CC = Code("R-10242", "SRT", "cranio-caudal")
PRIVATE = Code("1234", "99VENDOR", "Private number")


def _text(concept: Code, value: str) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = "CONTAINS"
    ds.ValueType = "TEXT"
    ds.ConceptNameCodeSequence = [_code(concept)]
    ds.TextValue = value
    return ds


def _code(code: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = (
        code.value,
        code.scheme_designator,
        code.meaning,
    )
    return ds


def _datetime(value: str) -> Dataset:
    ds = _text(codes.DATETIME_STARTED, "")
    del ds.TextValue
    ds.ValueType = "DATETIME"
    ds.DateTime = value
    return ds


def _full_mg_event() -> Dataset:
    structure = coded(codes.ANATOMICAL_STRUCTURE, codes.BREAST)
    structure.ContentSequence = [coded(codes.LATERALITY, codes.LEFT, "HAS CONCEPT MOD")]
    filters = container(
        codes.X_RAY_FILTERS,
        [
            coded(codes.X_RAY_FILTER_MATERIAL, RHODIUM),
            num(codes.X_RAY_FILTER_THICKNESS_MINIMUM, "0.025", "mm"),
            num(codes.X_RAY_FILTER_THICKNESS_MAXIMUM, "0.03", "mm"),
        ],
    )
    extra = [
        structure,
        _datetime("20240314093000"),
        _text(codes.ACQUISITION_PROTOCOL, "L CC"),
        coded(codes.IMAGE_VIEW, CC),
        num(codes.AVERAGE_GLANDULAR_DOSE, "1.22", "mGy"),
        num(codes.ENTRANCE_EXPOSURE_AT_RP, "6.5", "mGy"),
        num(codes.COMPRESSION_THICKNESS, "46.1", "mm"),
        num(codes.HALF_VALUE_LAYER, "0.42", "mm"),
        coded(codes.ANODE_TARGET_MATERIAL, MOLYBDENUM),
        filters,
        num(codes.KVP, "28", "kV"),
        num(codes.X_RAY_TUBE_CURRENT, "90", "mA"),
        num(codes.X_RAY_SOURCE_EXPOSURE_TIME, "610", "ms"),
        num(codes.EXPOSURE, "56000", "uA.s"),
        num(codes.POSITIONER_PRIMARY_ANGLE, "-2", "deg"),
        num(codes.DISTANCE_SOURCE_TO_DETECTOR, "660", "mm"),
        _text(codes.COMMENT, "implant displaced"),
        num(codes.COLLIMATED_FIELD_AREA, "0.0432", "m2"),  # no MG field: kept as other
        num(PRIVATE, "1", "mm"),  # private: not kept
    ]
    return event(
        event_type=codes.STATIONARY_ACQUISITION,
        dap=("0.0000012", "Gy.m2"),
        dose_rp=("0.0065", "Gy"),
        extra=extra,
    )


def _mg(result: ParseResult) -> MammographyIrradiationEvent:
    (ev,) = result.report.events
    assert isinstance(ev, MammographyIrradiationEvent)
    return ev


def test_every_mammography_field_is_read_from_its_concept() -> None:
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), _full_mg_event()]))
    ev = _mg(result)
    assert same(ev.event_type, codes.STATIONARY_ACQUISITION)
    assert ev.datetime_started is not None
    assert ev.datetime_started.isoformat() == "2024-03-14T09:30:00"
    assert ev.acquisition_protocol == "L CC"
    assert same(ev.anatomical_structure, codes.BREAST) and same(ev.laterality, codes.LEFT)
    assert ev.image_view is not None and ev.image_view.meaning == "cranio-caudal"
    assert ev.average_glandular_dose == Quantity(1.22, "mGy")
    assert ev.entrance_exposure_at_rp == Quantity(6.5, "mGy")
    assert ev.compression_thickness == Quantity(46.1, "mm")
    assert ev.half_value_layer == Quantity(0.42, "mm[Al]")
    assert ev.anode_target_material is not None
    assert ev.anode_target_material.meaning == "Molybdenum or compound"
    (flt,) = ev.filters
    assert flt.material is not None and flt.material.meaning == "Rhodium or compound"
    assert flt.thickness_minimum == Quantity(0.025, "mm")
    assert [q.value for q in ev.kvp] == [28.0] and [q.value for q in ev.tube_current] == [90.0]
    assert ev.exposure_time is not None and ev.exposure_time.value == pytest.approx(0.61)
    assert ev.exposure is not None and ev.exposure.value == pytest.approx(56.0)  # uA.s -> mA.s
    assert ev.exposure.unit == "mA.s"
    assert ev.positioner_primary_angle == Quantity(-2.0, "deg")
    assert ev.dose_area_product is not None
    assert ev.dose_area_product.value == pytest.approx(0.012)  # Gy.m2 -> Gy.cm2
    assert ev.dose_rp == Quantity(0.0065, "Gy")
    assert ev.distance_source_to_detector == Quantity(660.0, "mm")
    assert ev.comment == "implant displaced"
    (other,) = ev.other_measurements
    assert other.concept.value == "113790" and other.value == Quantity(0.0432, "m2")
    assert not [f for f in result.findings if f.code.startswith("unit.")]


def test_agd_in_another_unit_is_converted_with_a_finding() -> None:
    ds = _full_mg_event()
    agd = next(
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == codes.AVERAGE_GLANDULAR_DOSE.value
    )
    agd.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "uGy"
    agd.MeasuredValueSequence[0].NumericValue = "1220"
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    agd_read = _mg(result).average_glandular_dose
    assert agd_read is not None and agd_read.value == pytest.approx(1.22)
    (finding,) = [f for f in result.findings if f.code == "unit.unexpected"]
    assert finding.concept == "DCM:111631"


def test_a_text_reference_point_in_mammography_is_noted() -> None:
    ds = _full_mg_event()
    ds.ContentSequence.append(_text(codes.REFERENCE_POINT_DEFINITION, "15 cm from isocentre"))
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    (finding,) = [f for f in result.findings if f.code == "value.text_for_code"]
    assert finding.concept == "DCM:113780"
