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


def _set_unit(ds: Dataset, concept: Code, value: str, unit: str) -> None:
    (item,) = [
        c for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == concept.value
    ]
    item.MeasuredValueSequence[0].NumericValue = value
    item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = unit


def _set_empty_code(ds: Dataset, concept: Code) -> None:
    (item,) = [
        c for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == concept.value
    ]
    item.ConceptCodeSequence = []


def test_every_deviation_of_a_mammography_event_is_a_finding_on_its_item() -> None:
    """Each item in another (convertible) unit or without a coded value: the value is
    converted or dropped and the finding points at that item (PS3.16 TID 10003 units)."""
    ds = _full_mg_event()
    _set_unit(ds, codes.ENTRANCE_EXPOSURE_AT_RP, "6500", "uGy")  # 1 uGy = 1e-3 mGy
    _set_unit(ds, codes.COMPRESSION_THICKNESS, "4.61", "cm")  # 1 cm = 10 mm
    _set_unit(ds, codes.HALF_VALUE_LAYER, "0.042", "cm")  # not mm (of Al): not used
    _set_unit(ds, codes.KVP, "28000", "V")  # 1 V = 1e-3 kV
    _set_unit(ds, codes.X_RAY_TUBE_CURRENT, "90", "furlong")
    _set_empty_code(ds, codes.ANODE_TARGET_MATERIAL)
    flt = next(
        c for c in ds.ContentSequence if "ContentSequence" in c and c.ValueType == "CONTAINER"
    )
    flt.ContentSequence[0].ConceptCodeSequence = []
    ds.ContentSequence.append(coded(codes.REFERENCE_POINT_DEFINITION, codes.BREAST))
    ds.ContentSequence[-1].ConceptCodeSequence = []
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    ev = _mg(result)
    assert ev.entrance_exposure_at_rp is not None
    assert ev.entrance_exposure_at_rp.value == pytest.approx(6.5)
    assert ev.compression_thickness is not None
    assert ev.compression_thickness.value == pytest.approx(46.1)
    assert ev.half_value_layer is None
    assert [q.value for q in ev.kvp] == [pytest.approx(28.0)]
    assert ev.tube_current == ()
    assert ev.anode_target_material is None and ev.filters[0].material is None
    by_code: dict[str, list[str]] = {}
    for f in result.findings:
        by_code.setdefault(f.code, []).append(f.concept or "")
    assert sorted(by_code["unit.unexpected"]) == ["DCM:111633", "DCM:111636", "DCM:113733"]
    assert by_code["unit.inconvertible"] == ["DCM:111634"]
    assert by_code["unit.unknown"] == ["DCM:113734"]
    assert len(by_code["value.empty_code"]) == 3


def test_missing_and_unreadable_identity_items_of_a_mammography_event() -> None:
    ds = _full_mg_event()
    ds.ContentSequence = [
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue
        not in (codes.IRRADIATION_EVENT_UID.value, codes.IRRADIATION_EVENT_TYPE.value)
    ]
    started = next(c for c in ds.ContentSequence if c.ValueType == "DATETIME")
    started.DateTime = "2024-03-14"
    protocol = next(
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == codes.ACQUISITION_PROTOCOL.value
    )
    protocol.ValueType = "CODE"
    del protocol.TextValue
    protocol.ConceptCodeSequence = []
    ds.ContentSequence.append(num(codes.KVP, "28\\29", "kV"))
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    ev = _mg(result)
    assert ev.irradiation_event_uid is None and ev.event_type is None
    assert ev.datetime_started is None and ev.acquisition_protocol is None
    assert [q.value for q in ev.kvp] == [28.0, 28.0, 29.0]
    found = {f.code for f in result.findings}
    assert {
        "event.uid_missing",
        "template.missing_item",
        "encoding.invalid_datetime",
        "value.empty_code",
        "value.per_pulse",
    } <= found


def _hvl_event(value: str | None, unit: str | None) -> Dataset:
    ds = _full_mg_event()
    (item,) = [
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == codes.HALF_VALUE_LAYER.value
    ]
    measured = item.MeasuredValueSequence[0]
    if value is None:
        del measured.NumericValue
    if unit is None:
        del measured.MeasurementUnitsCodeSequence
    else:
        measured.MeasurementUnitsCodeSequence[0].CodeValue = unit
    return ds


def test_half_value_layer_units() -> None:
    """HVL is sent in mm (of aluminium, TID 10003 111634); mm[Al] is read the same way,
    another unit is refused with a finding naming it, a missing unit or value gives none."""
    for unit in ("mm", "mm[Al]"):
        result = parse(build_rdsr([_mg_accumulated("0", "1.22"), _hvl_event("0.42", unit)]))
        assert _mg(result).half_value_layer == Quantity(0.42, "mm[Al]")
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), _hvl_event("0.042", "cm")]))
    assert _mg(result).half_value_layer is None
    (finding,) = [f for f in result.findings if f.code == "unit.inconvertible"]
    assert finding.message == (
        "Half Value Layer in 'cm' where mm (aluminium) is expected; value not used"
    )
    assert (finding.content_path, finding.concept) == ("3.13", "DCM:111634")
    no_unit = parse(build_rdsr([_mg_accumulated("0", "1.22"), _hvl_event("0.42", None)]))
    assert _mg(no_unit).half_value_layer is None
    assert [f.code for f in no_unit.findings if f.code.startswith("unit.")] == ["unit.missing"]
    no_value = parse(build_rdsr([_mg_accumulated("0", "1.22"), _hvl_event(None, "mm")]))
    assert _mg(no_value).half_value_layer is None
    (empty,) = [f for f in no_value.findings if f.code == "value.empty"]
    assert empty.content_path == "3.13"


def test_other_measurements_are_named_by_value_without_a_meaning() -> None:
    ds = _full_mg_event()
    (area,) = [
        c
        for c in ds.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == codes.COLLIMATED_FIELD_AREA.value
    ]
    del area.ConceptNameCodeSequence[0].CodeMeaning
    (other,) = _mg(parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))).other_measurements
    assert (other.concept.value, other.concept.scheme_designator) == ("113790", "DCM")
    assert other.concept.meaning == "113790"
    area.ConceptNameCodeSequence[0].CodeMeaning = ""
    (other,) = _mg(parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))).other_measurements
    assert other.concept.meaning == "113790"


def test_more_mammography_items_in_other_units_are_converted_with_findings() -> None:
    ds = _full_mg_event()
    _set_unit(ds, codes.X_RAY_TUBE_CURRENT, "90\\91", "mA")  # one value per pulse
    _set_unit(ds, codes.X_RAY_SOURCE_EXPOSURE_TIME, "0.61", "s")
    _set_unit(ds, codes.EXPOSURE, "56", "mA.s")
    _set_unit(ds, codes.DOSE_AREA_PRODUCT, "0.012", "Gy.cm2")
    _set_unit(ds, codes.DOSE_RP, "6.5", "mGy")
    _set_unit(ds, codes.DISTANCE_SOURCE_TO_DETECTOR, "66", "cm")
    _set_unit(ds, codes.COLLIMATED_FIELD_AREA, "1", "furlong")
    result = parse(build_rdsr([_mg_accumulated("0", "1.22"), ds]))
    ev = _mg(result)
    assert [q.value for q in ev.tube_current] == [90.0, 91.0]
    assert ev.exposure_time is not None and ev.exposure_time.value == pytest.approx(0.61)
    assert ev.exposure is not None and ev.exposure.value == pytest.approx(56.0)
    assert ev.dose_area_product is not None and ev.dose_area_product.value == pytest.approx(0.012)
    assert ev.dose_rp is not None and ev.dose_rp.value == pytest.approx(0.0065)
    assert ev.distance_source_to_detector == Quantity(660.0, "mm")
    (other,) = ev.other_measurements
    assert other.value is None
    unexpected = sorted(f.concept or "" for f in result.findings if f.code == "unit.unexpected")
    assert unexpected == sorted(
        ["DCM:113824", "DCM:113736", "DCM:122130", "DCM:113738", "DCM:113750"]
    )
    assert [f.concept for f in result.findings if f.code == "unit.unknown"] == ["DCM:113790"]
    assert any(f.code == "value.per_pulse" for f in result.findings)
