"""TID 10002 Accumulated X-Ray Dose (rdsr_parsers.tid10002_accumulated): every field pinned.

PS3.16 TID 10002 holds one Accumulated X-Ray Dose Data container (DCM:113702) per
Acquisition Plane (DCM:113764, mandatory); its totals come from TID 10004 (Dose Area
Product Total DCM:113722 and the fluoro/acquisition totals in Gy.m2, Dose (RP) Totals in
Gy, times in s, Total Number of Radiographic Frames), TID 10005 (Accumulated Average
Glandular Dose DCM:111637 in mGy with its CID 6022 Laterality modifier) or TID 10006/10007.
Every total is read into the canonical unit (Gy.cm2, Gy, s, mGy), a unit other than the
prescribed one gets ``unit.unexpected``, a negative total ``value.implausible``.
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import AccumulatedMammographyDose, AccumulatedProjectionDose
from dosewatch.domain.units import Quantity
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_projection import (
    _item,
    accumulated,
    build_rdsr,
    coded,
    container,
    event,
    num,
    with_code,
)

MODIFIER = "HAS CONCEPT MOD"


def _text(concept: Code, value: str) -> Dataset:
    item = _item("CONTAINS", "TEXT", concept)
    item.TextValue = value
    return item


def _findings(result: ParseResult, code: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.message, f.content_path, f.concept) for f in with_code(result.findings, code)]


def _rounded(plane: AccumulatedProjectionDose) -> dict[str, object]:
    """The record's fields, quantities as (value to 12 decimals, unit)."""
    out: dict[str, object] = {}
    for name in AccumulatedProjectionDose.__dataclass_fields__:
        value = getattr(plane, name)
        if isinstance(value, Quantity):
            value = (round(value.value, 12), value.unit)
        out[name] = value
    return out


def _plane(result: ParseResult) -> AccumulatedProjectionDose:
    (plane,) = result.report.projection_accumulated
    return plane


# --------------------------------------------------------------------------- TID 10004


def test_every_tid_10004_total_is_read_in_its_canonical_unit() -> None:
    extra = [
        num(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "0.00003", "Gy.m2"),  # 2.4
        num(codes.FLUORO_DOSE_RP_TOTAL, "0.002", "Gy"),  # 2.5
        num(codes.TOTAL_FLUORO_TIME, "61.5", "s"),  # 2.6
        num(codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL, "0.00004", "Gy.m2"),  # 2.7
        num(codes.ACQUISITION_DOSE_RP_TOTAL, "0.005", "Gy"),  # 2.8
        num(codes.TOTAL_ACQUISITION_TIME, "6", "s"),  # 2.9
        num(codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES, "7", "1"),  # 2.10
        _text(codes.COMMENT, "after the run"),  # 2.11
        coded(codes.REFERENCE_POINT_DEFINITION, Code("113860", "DCM", "15cm from Isocenter")),
    ]
    result = parse(build_rdsr([accumulated(dap="0.00007", dose_rp="0.007", extra=extra)]))
    plane = _plane(result)
    assert _rounded(plane) == _rounded(
        AccumulatedProjectionDose(
            acquisition_plane=codes.SINGLE_PLANE,
            reference_point_definition=Code("113860", "DCM", "15cm from Isocenter"),
            dose_area_product_total=Quantity(0.7, "Gy.cm2"),
            dose_rp_total=Quantity(0.007, "Gy"),
            fluoro_dose_area_product_total=Quantity(0.3, "Gy.cm2"),
            fluoro_dose_rp_total=Quantity(0.002, "Gy"),
            total_fluoro_time=Quantity(61.5, "s"),
            acquisition_dose_area_product_total=Quantity(0.4, "Gy.cm2"),
            acquisition_dose_rp_total=Quantity(0.005, "Gy"),
            total_acquisition_time=Quantity(6.0, "s"),
            total_number_of_radiographic_frames=7,
            comment="after the run",
        )
    )
    assert not with_code(result.findings, "unit.unexpected")
    assert not with_code(result.findings, "value.implausible")
    assert not with_code(result.findings, "value.text_for_code")


@pytest.mark.parametrize(
    ("concept", "value", "unit", "field", "canonical", "prescribed"),
    [
        (codes.DOSE_AREA_PRODUCT_TOTAL, "2", "Gy.cm2", "dose_area_product_total", 2.0, "Gy.m2"),
        (codes.DOSE_RP_TOTAL, "3", "mGy", "dose_rp_total", 0.003, "Gy"),
        (
            codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL,
            "4",
            "Gy.cm2",
            "fluoro_dose_area_product_total",
            4.0,
            "Gy.m2",
        ),
        (codes.FLUORO_DOSE_RP_TOTAL, "5", "mGy", "fluoro_dose_rp_total", 0.005, "Gy"),
        (codes.TOTAL_FLUORO_TIME, "2", "min", "total_fluoro_time", 120.0, "s"),
        (
            codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL,
            "6",
            "Gy.cm2",
            "acquisition_dose_area_product_total",
            6.0,
            "Gy.m2",
        ),
        (codes.ACQUISITION_DOSE_RP_TOTAL, "7", "mGy", "acquisition_dose_rp_total", 0.007, "Gy"),
        (codes.TOTAL_ACQUISITION_TIME, "3", "min", "total_acquisition_time", 180.0, "s"),
    ],
)
def test_a_total_in_another_unit_is_converted_with_one_finding(
    concept: Code, value: str, unit: str, field: str, canonical: float, prescribed: str
) -> None:
    children = [
        coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER),
        num(concept, value, unit),  # 2.2
    ]
    result = parse(build_rdsr([container(codes.ACCUMULATED_X_RAY_DOSE_DATA, children)]))
    read = getattr(_plane(result), field)
    assert read is not None
    assert read.unit == {"Gy.m2": "Gy.cm2"}.get(prescribed, prescribed)
    assert read.value == pytest.approx(canonical, rel=1e-12)
    assert _findings(result, "unit.unexpected") == [
        (
            f"unit {unit} where the template prescribes {prescribed}; converted",
            "2.2",
            f"DCM:{concept.value}",
        )
    ]
    assert not with_code(result.findings, "value.implausible")


@pytest.mark.parametrize(
    ("concept", "unit", "shown"),
    [
        (codes.DOSE_AREA_PRODUCT_TOTAL, "Gy.m2", "-1 Gy.cm2"),
        (codes.DOSE_RP_TOTAL, "Gy", "-0.0001 Gy"),
        (codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "Gy.m2", "-1 Gy.cm2"),
        (codes.FLUORO_DOSE_RP_TOTAL, "Gy", "-0.0001 Gy"),
        (codes.TOTAL_FLUORO_TIME, "s", "-0.0001 s"),
        (codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL, "Gy.m2", "-1 Gy.cm2"),
        (codes.ACQUISITION_DOSE_RP_TOTAL, "Gy", "-0.0001 Gy"),
        (codes.TOTAL_ACQUISITION_TIME, "s", "-0.0001 s"),
    ],
)
def test_a_negative_total_is_kept_with_an_implausible_finding(
    concept: Code, unit: str, shown: str
) -> None:
    children = [
        coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER),
        num(concept, "-0.0001", unit),  # 2.2
    ]
    result = parse(build_rdsr([container(codes.ACCUMULATED_X_RAY_DOSE_DATA, children)]))
    assert _findings(result, "value.implausible") == [
        (
            f"accumulated total {shown} is negative; value kept as sent",
            "2.2",
            f"DCM:{concept.value}",
        )
    ]


def test_a_zero_total_is_plausible() -> None:
    result = parse(build_rdsr([accumulated(dap="0", dose_rp="0", fluoro_time="0")]))
    plane = _plane(result)
    assert plane.dose_area_product_total == Quantity(0.0, "Gy.cm2")
    assert not with_code(result.findings, "value.implausible")


def test_a_fractional_frame_count_is_rounded_with_a_finding() -> None:
    extra = [num(codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES, "7.6", "1")]
    result = parse(build_rdsr([accumulated(extra=extra)]))
    assert _plane(result).total_number_of_radiographic_frames == 8
    assert _findings(result, "value.not_integer") == [
        ("count 7.6 is not an integer; rounded", "2.4", "DCM:113731")
    ]


def test_a_text_reference_point_is_kept_and_noted_once_with_its_paths() -> None:
    extra = [_text(codes.REFERENCE_POINT_DEFINITION, "15cm below isocenter")]
    ds = build_rdsr(
        [
            accumulated(plane=codes.PLANE_A, extra=extra),
            accumulated(plane=codes.PLANE_B, extra=extra),
        ]
    )
    result = parse(ds)
    plane_a, plane_b = result.report.projection_accumulated
    assert plane_a.reference_point_definition == "15cm below isocenter"
    assert plane_b.reference_point_definition == "15cm below isocenter"
    ((message, path, concept),) = _findings(result, "value.text_for_code")
    assert message.startswith("Reference Point Definition sent as TEXT in 2 item(s)")
    assert concept == "DCM:113780"
    assert path is not None and "2.4" in path and "3.4" in path


def test_no_reference_point_is_none() -> None:
    assert _plane(parse(build_rdsr([accumulated()]))).reference_point_definition is None


# --------------------------------------------------------------------------- planes


def test_a_container_without_acquisition_plane_keeps_its_totals() -> None:
    plane_less = accumulated(dap="0.00002")
    del plane_less.ContentSequence[0]
    result = parse(build_rdsr([plane_less]))
    plane = _plane(result)
    assert plane.acquisition_plane is None
    assert plane.dose_area_product_total is not None
    assert plane.dose_area_product_total.value == pytest.approx(0.2)
    assert _findings(result, "template.missing_item") == [
        (
            "mandatory Acquisition Plane (DCM:113764) is missing from Accumulated X-Ray Dose "
            "Data (TID 10002); totals kept without a plane",
            "2",
            "DCM:113764",
        )
    ]


def test_planes_are_kept_apart_in_their_order() -> None:
    ds = build_rdsr(
        [
            accumulated(plane=codes.PLANE_B, dap="0.00001"),
            accumulated(plane=codes.PLANE_A, dap="0.00002"),
        ]
    )
    planes = parse(ds).report.projection_accumulated
    assert [p.acquisition_plane for p in planes] == [codes.PLANE_B, codes.PLANE_A]
    assert [_rounded(p)["dose_area_product_total"] for p in planes] == [
        (0.1, "Gy.cm2"),
        (0.2, "Gy.cm2"),
    ]


def test_a_container_with_no_total_at_all_is_still_a_plane() -> None:
    bare = container(
        codes.ACCUMULATED_X_RAY_DOSE_DATA,
        [coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER)],
    )
    result = parse(build_rdsr([bare, event()]))
    assert result.report.projection_accumulated == (
        AccumulatedProjectionDose(acquisition_plane=codes.SINGLE_PLANE),
    )
    assert result.report.mammography_accumulated == ()


@pytest.mark.parametrize(
    "total",
    [
        num(codes.DOSE_AREA_PRODUCT_TOTAL, "0.00001", "Gy.m2"),
        num(codes.DOSE_RP_TOTAL, "0.001", "Gy"),
        num(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "0.00001", "Gy.m2"),
        num(codes.FLUORO_DOSE_RP_TOTAL, "0.001", "Gy"),
        num(codes.TOTAL_FLUORO_TIME, "1", "s"),
        num(codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL, "0.00001", "Gy.m2"),
        num(codes.ACQUISITION_DOSE_RP_TOTAL, "0.001", "Gy"),
        num(codes.TOTAL_ACQUISITION_TIME, "1", "s"),
        num(codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES, "1", "1"),
    ],
)
def test_any_projection_total_beside_an_agd_makes_a_plane(total: Dataset) -> None:
    agd = _agd("1", codes.RIGHT)
    ds = build_rdsr(
        [
            container(
                codes.ACCUMULATED_X_RAY_DOSE_DATA,
                [coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER), agd, total],
            )
        ]
    )
    report = parse(ds).report
    assert len(report.projection_accumulated) == 1
    assert len(report.mammography_accumulated) == 1


def test_an_agd_only_container_is_no_plane() -> None:
    report = parse(build_rdsr([_mg_container(_agd("1", codes.RIGHT))])).report
    assert report.projection_accumulated == ()
    assert report.mammography_accumulated == (
        AccumulatedMammographyDose(codes.RIGHT, Quantity(1.0, "mGy")),
    )


# --------------------------------------------------------------------------- TID 10005


def _agd(value: str, laterality: Code | None, unit: str = "mGy") -> Dataset:
    item = num(codes.ACCUMULATED_AVERAGE_GLANDULAR_DOSE, value, unit)
    if laterality is not None:
        item.ContentSequence = [coded(codes.LATERALITY, laterality, MODIFIER)]
    return item


def _mg_container(*agds: Dataset) -> Dataset:
    return container(
        codes.ACCUMULATED_X_RAY_DOSE_DATA,
        [coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER), *agds],
    )


def test_each_breast_is_read_with_its_side_in_order() -> None:
    ds = build_rdsr([_mg_container(_agd("1.25", codes.RIGHT), _agd("0.5", codes.LEFT))])
    result = parse(ds)
    assert result.report.mammography_accumulated == (
        AccumulatedMammographyDose(codes.RIGHT, Quantity(1.25, "mGy")),
        AccumulatedMammographyDose(codes.LEFT, Quantity(0.5, "mGy")),
    )
    assert not with_code(result.findings, "code.nonstandard_value")
    assert not with_code(result.findings, "template.missing_item")


@pytest.mark.parametrize(
    ("sent", "side"),
    [(codes.LEFT_BREAST, codes.LEFT), (codes.RIGHT_BREAST, codes.RIGHT)],
)
def test_a_breast_code_is_read_as_its_side_with_the_quirk_finding(sent: Code, side: Code) -> None:
    result = parse(build_rdsr([_mg_container(_agd("2", sent))]))
    (breast,) = result.report.mammography_accumulated
    assert breast.laterality == side
    assert _findings(result, "code.nonstandard_value") == [
        (
            f"Laterality {sent.meaning!r} (SCT:{sent.value}) where CID 6022 Side is "
            f"prescribed; read as {side.meaning} (quirk PX11)",
            "2.2.1",
            "SCT:272741003",
        )
    ]


def test_another_laterality_code_is_kept_as_sent() -> None:
    result = parse(build_rdsr([_mg_container(_agd("2", codes.RIGHT_AND_LEFT))]))
    (breast,) = result.report.mammography_accumulated
    assert breast.laterality == codes.RIGHT_AND_LEFT
    assert not with_code(result.findings, "code.nonstandard_value")


def test_an_agd_without_laterality_is_kept_without_a_breast() -> None:
    result = parse(build_rdsr([_mg_container(_agd("2", None))]))
    assert result.report.mammography_accumulated == (
        AccumulatedMammographyDose(None, Quantity(2.0, "mGy")),
    )
    assert _findings(result, "template.missing_item") == [
        (
            "Accumulated Average Glandular Dose without its Laterality modifier (TID 10005); "
            "kept without a breast",
            "2.2",
            "SCT:272741003",
        )
    ]


def test_the_first_laterality_modifier_is_read_among_other_modifiers() -> None:
    agd = _agd("2", None)
    agd.ContentSequence = [
        _text(codes.COMMENT, "a note"),
        coded(codes.LATERALITY, codes.LEFT, MODIFIER),
        coded(codes.LATERALITY, codes.RIGHT, MODIFIER),
    ]
    result = parse(build_rdsr([_mg_container(agd)]))
    (breast,) = result.report.mammography_accumulated
    assert breast.laterality == codes.LEFT
    assert not with_code(result.findings, "template.missing_item")


def test_a_laterality_without_a_code_is_no_breast_and_no_missing_finding() -> None:
    agd = _agd("2", codes.LEFT)
    del agd.ContentSequence[0].ConceptCodeSequence
    result = parse(build_rdsr([_mg_container(agd)]))
    (breast,) = result.report.mammography_accumulated
    assert breast.laterality is None
    assert not with_code(result.findings, "template.missing_item")
    assert not with_code(result.findings, "code.nonstandard_value")


def test_an_agd_in_another_unit_is_converted_with_one_finding() -> None:
    result = parse(build_rdsr([_mg_container(_agd("0.02", codes.RIGHT, "Gy"))]))
    (breast,) = result.report.mammography_accumulated
    assert breast.accumulated_average_glandular_dose == Quantity(20.0, "mGy")
    assert _findings(result, "unit.unexpected") == [
        ("unit Gy where the template prescribes mGy; converted", "2.2", "DCM:111637")
    ]


def test_a_negative_agd_is_kept_with_an_implausible_finding() -> None:
    result = parse(build_rdsr([_mg_container(_agd("-1.5", codes.RIGHT))]))
    (breast,) = result.report.mammography_accumulated
    assert breast.accumulated_average_glandular_dose == Quantity(-1.5, "mGy")
    assert _findings(result, "value.implausible") == [
        ("accumulated AGD -1.5 mGy is negative; value kept as sent", "2.2", "DCM:111637")
    ]


def test_a_zero_agd_is_plausible() -> None:
    result = parse(build_rdsr([_mg_container(_agd("0", codes.RIGHT))]))
    assert not with_code(result.findings, "value.implausible")


def test_an_agd_without_a_value_is_kept_as_none() -> None:
    agd = _agd("1", codes.RIGHT)
    del agd.MeasuredValueSequence
    result = parse(build_rdsr([_mg_container(agd)]))
    (breast,) = result.report.mammography_accumulated
    assert breast == AccumulatedMammographyDose(codes.RIGHT, None)
    assert not with_code(result.findings, "value.implausible")


def test_breast_records_keep_the_path_of_their_agd_item() -> None:
    # a breast total unequal to its events names the AGD item (2.3), not the container
    structure = coded(codes.ANATOMICAL_STRUCTURE, codes.BREAST)
    structure.ContentSequence = [coded(codes.LATERALITY, codes.LEFT, MODIFIER)]
    mg_event = event(
        event_type=codes.STATIONARY_ACQUISITION,
        dap=None,
        dose_rp=None,
        extra=[structure, num(codes.AVERAGE_GLANDULAR_DOSE, "1", "mGy")],
    )
    ds = build_rdsr([_mg_container(_agd("1", codes.RIGHT), _agd("3", codes.LEFT)), mg_event])
    differ: list[Finding] = with_code(parse(ds).findings, "totals.differ_from_events")
    assert [(f.content_path, f.concept) for f in differ] == [("2.3", "DCM:111637")]


def test_empty_coded_plane_and_reference_point_are_findings_not_crashes() -> None:
    rpd = coded(codes.REFERENCE_POINT_DEFINITION, Code("113860", "DCM", "15cm from Isocenter"))
    del rpd.ConceptCodeSequence  # 2.4: a CODE item without its code
    container_ = accumulated(extra=[rpd])
    del container_.ContentSequence[0].ConceptCodeSequence  # 2.1: the plane without its code
    result = parse(build_rdsr([container_]))
    plane = _plane(result)
    assert (plane.acquisition_plane, plane.reference_point_definition) == (None, None)
    assert [f.content_path for f in with_code(result.findings, "value.empty_code")] == [
        "2.1",
        "2.4",
    ]
