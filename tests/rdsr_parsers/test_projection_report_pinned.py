"""TID 10001 root reader (rdsr_parsers.tid10001_projection): every finding pinned in full.

Each test builds a minimal X-Ray Radiation Dose SR (``build_rdsr`` of test_projection) and
pins what PS3.16 TID 10001 and the module's docstring prescribe: the root-context repairs
(Has Intent, TID 10001 row 1.1; the scope UID, row 5.1), the modality decision (MG, RF, DX)
with its message, the CID 10032 device-type check, and the comparison of accumulated totals
with event sums per plane (TID 10002/10004) and per breast (TID 10005) at 0.1 % relative.
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import (
    DoseModality,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
)
from rdsr_parsers import tid10001_projection
from rdsr_parsers.dispatch import parse
from rdsr_parsers.result import ParseResult
from tests.rdsr_parsers.test_projection import (
    accumulated,
    build_rdsr,
    coded,
    container,
    event,
    num,
    uidref,
    with_code,
)

MODIFIER = "HAS CONCEPT MOD"


def _without_intent(ds: Dataset) -> Dataset:
    """The report with Procedure reported sent without its Has Intent modifier."""
    del ds.ContentSequence[0].ContentSequence
    return ds


def _root_intent() -> Dataset:
    return coded(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, MODIFIER)


def _scope() -> Dataset:
    return coded(codes.SCOPE_OF_ACCUMULATION, codes.SCOPE_STUDY, "HAS OBS CONTEXT")


def _root_uid(concept: Code, uid: str) -> Dataset:
    item = uidref(concept, uid)
    item.RelationshipType = "HAS OBS CONTEXT"
    return item


def _only(result: ParseResult, code: str) -> Finding:
    (finding,) = with_code(result.findings, code)
    return finding


def _modality_message(result: ParseResult) -> str:
    return _only(result, "report.modality").message


# --------------------------------------------------------------------------- mandatory


def test_neither_container_is_refused_with_its_full_message() -> None:
    with pytest.raises(MissingMandatoryItemError) as refused:
        parse(build_rdsr([]))
    assert refused.value.message == (
        "X-Ray Radiation Dose Report (TID 10001) has neither Accumulated X-Ray Dose Data "
        "(DCM:113702) nor Irradiation Event X-Ray Data (DCM:113706)"
    )
    assert refused.value.content_path == "root"
    assert refused.value.concept == "DCM:113702"


def test_events_without_accumulated_container_get_the_mandatory_message() -> None:
    result = parse(build_rdsr([event()]))
    error = _only(result, "template.missing_mandatory")
    assert error.message == (
        "mandatory Accumulated X-Ray Dose Data container (TID 10002) (DCM:113702 "
        "Accumulated X-Ray Dose Data) is missing"
    )
    assert (error.content_path, error.concept) == ("root", "DCM:113702")


def test_accumulated_container_alone_needs_no_event() -> None:
    result = parse(build_rdsr([accumulated()]))
    assert result.report.events == ()
    assert not with_code(result.findings, "template.missing_mandatory")
    assert len(result.report.projection_accumulated) == 1


# --------------------------------------------------------------------------- Has Intent


def test_has_intent_at_the_root_is_read_as_the_modifier() -> None:
    ds = _without_intent(build_rdsr([accumulated(), event()], root_extra=[_root_intent()]))
    result = parse(ds)
    assert result.report.has_intent == codes.DIAGNOSTIC_INTENT
    misplaced = _only(result, "template.misplaced_item")
    assert misplaced.message == (
        "Has Intent sent at the document root instead of as concept modifier of "
        "Procedure reported (TID 10001 row 1.1); read as its modifier"
    )
    # root children: 1 Procedure reported, 2 the misplaced Has Intent
    assert (misplaced.content_path, misplaced.concept) == ("2", "SCT:363703001")
    assert not with_code(result.findings, "template.missing_item")


def test_has_intent_at_the_root_is_ignored_when_the_modifier_is_there() -> None:
    therapeutic = coded(codes.HAS_INTENT, Code("262202000", "SCT", "Therapeutic Intent"), MODIFIER)
    result = parse(build_rdsr([accumulated(), event()], root_extra=[therapeutic]))
    assert result.report.has_intent == codes.DIAGNOSTIC_INTENT
    assert not with_code(result.findings, "template.misplaced_item")


def test_has_intent_at_the_root_without_procedure_reported_is_not_read() -> None:
    ds = build_rdsr([accumulated(), event()], root_extra=[_root_intent()])
    del ds.ContentSequence[0]  # no Procedure reported at all
    result = parse(ds)
    assert result.report.has_intent is None
    assert not with_code(result.findings, "template.misplaced_item")
    assert not with_code(result.findings, "template.missing_item")


def test_missing_has_intent_of_a_projection_x_ray_procedure_is_a_finding() -> None:
    result = parse(_without_intent(build_rdsr([accumulated(), event()])))
    assert result.report.has_intent is None
    missing = _only(result, "template.missing_item")
    assert missing.message == (
        "Has Intent (SCT:363703001), required for Procedure reported Projection X-Ray "
        "(TID 10001 row 1.1), is missing"
    )
    assert (missing.content_path, missing.concept) == ("1", "SCT:363703001")


def test_missing_has_intent_of_another_procedure_is_no_finding() -> None:
    ds = _without_intent(build_rdsr([accumulated(), event()], procedure=codes.MAMMOGRAPHY))
    result = parse(ds)
    assert result.report.has_intent is None
    assert not with_code(result.findings, "template.missing_item")


# --------------------------------------------------------------------------- scope UID


@pytest.mark.parametrize(
    ("concept", "shown"),
    [
        (codes.STUDY_INSTANCE_UID, "DCM:110180"),
        (codes.SERIES_INSTANCE_UID, "DCM:112002"),
        (codes.PERFORMED_PROCEDURE_STEP_SOP_INSTANCE_UID, "DCM:121126"),
    ],
)
def test_scope_uid_at_the_root_is_read_as_the_scope_uid(concept: Code, shown: str) -> None:
    ds = build_rdsr([accumulated(), event()], root_extra=[_scope(), _root_uid(concept, "1.2.3.4")])
    result = parse(ds)
    assert result.report.scope_uid == "1.2.3.4"
    assert result.report.has_intent == codes.DIAGNOSTIC_INTENT  # kept beside the repair
    misplaced = _only(result, "template.misplaced_item")
    assert misplaced.message == (
        "scope UID sent at the document root instead of under Scope of "
        "Accumulation (TID 10001 row 5.1); read as the scope UID"
    )
    assert (misplaced.content_path, misplaced.concept) == ("3", shown)


def test_only_the_first_root_scope_uid_is_read_and_other_items_are_skipped() -> None:
    text = Dataset()
    text.RelationshipType = "HAS OBS CONTEXT"
    text.ValueType = "TEXT"
    text.ConceptNameCodeSequence = coded(codes.STUDY_INSTANCE_UID, codes.SCOPE_STUDY)[
        "ConceptNameCodeSequence"
    ].value
    text.TextValue = "9.9.9"
    other = _root_uid(codes.IRRADIATION_EVENT_UID, "7.7.7")
    ds = build_rdsr(
        [accumulated(), event()],
        root_extra=[
            _scope(),
            text,  # 3: the concept of a scope UID, but TEXT
            other,  # 4: a UIDREF of another concept
            _root_uid(codes.SERIES_INSTANCE_UID, "1.2.3.5"),  # 5
            _root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.6"),  # 6
        ],
    )
    result = parse(ds)
    assert result.report.scope_uid == "1.2.3.5"
    misplaced = _only(result, "template.misplaced_item")
    assert (misplaced.content_path, misplaced.concept) == ("5", "DCM:112002")


def test_root_scope_uid_is_not_read_without_scope_of_accumulation() -> None:
    ds = build_rdsr(
        [accumulated(), event()], root_extra=[_root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.4")]
    )
    result = parse(ds)
    assert result.report.scope_uid is None
    assert not with_code(result.findings, "template.misplaced_item")


def test_root_scope_uid_is_not_read_when_the_scope_has_its_uid() -> None:
    scope = _scope()
    scope.ContentSequence = [_root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.1")]
    ds = build_rdsr(
        [accumulated(), event()],
        root_extra=[scope, _root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.4")],
    )
    result = parse(ds)
    assert result.report.scope_uid == "1.2.3.1"
    assert not with_code(result.findings, "template.misplaced_item")


def test_both_repairs_together() -> None:
    ds = _without_intent(
        build_rdsr(
            [accumulated(), event()],
            root_extra=[_root_intent(), _scope(), _root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.4")],
        )
    )
    result = parse(ds)
    assert result.report.has_intent == codes.DIAGNOSTIC_INTENT
    assert result.report.scope_uid == "1.2.3.4"
    assert [f.content_path for f in with_code(result.findings, "template.misplaced_item")] == [
        "2",
        "4",
    ]


# --------------------------------------------------------------------------- modality


def _mg_event(agd: str = "1.0", laterality: Code = codes.RIGHT) -> Dataset:
    structure = coded(codes.ANATOMICAL_STRUCTURE, codes.BREAST)
    structure.ContentSequence = [coded(codes.LATERALITY, laterality, MODIFIER)]
    extra = [structure, num(codes.AVERAGE_GLANDULAR_DOSE, agd, "mGy")]
    return event(event_type=codes.STATIONARY_ACQUISITION, dap=None, dose_rp=None, extra=extra)


def _breast(value: str, laterality: Code | None) -> Dataset:
    agd = num(codes.ACCUMULATED_AVERAGE_GLANDULAR_DOSE, value, "mGy")
    if laterality is not None:
        agd.ContentSequence = [coded(codes.LATERALITY, laterality, MODIFIER)]
    return agd


def _mg_accumulated(*breasts: Dataset) -> Dataset:
    return container(
        codes.ACCUMULATED_X_RAY_DOSE_DATA,
        [coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, MODIFIER), *breasts],
    )


MG_MESSAGE = "modality MG: Procedure reported Mammography or mammography dose items present"


def test_mammography_from_procedure_reported_alone() -> None:
    # no AGD item anywhere: the procedure decides
    ds = build_rdsr([accumulated(), event(event_type=codes.STATIONARY_ACQUISITION)],
                    procedure=codes.MAMMOGRAPHY)  # fmt: skip
    result = parse(ds)
    assert result.report.modality is DoseModality.MAMMOGRAPHY
    assert _modality_message(result) == MG_MESSAGE
    assert all(isinstance(e, MammographyIrradiationEvent) for e in result.report.events)


def test_mammography_from_an_event_agd_alone() -> None:
    result = parse(build_rdsr([accumulated(), _mg_event()]))
    assert result.report.modality is DoseModality.MAMMOGRAPHY
    assert _modality_message(result) == MG_MESSAGE
    (only,) = result.report.events
    assert isinstance(only, MammographyIrradiationEvent)


def test_mammography_from_an_accumulated_agd_alone() -> None:
    ds = build_rdsr([_mg_accumulated(_breast("1", codes.RIGHT)), event()])
    result = parse(ds)
    assert result.report.modality is DoseModality.MAMMOGRAPHY
    assert isinstance(result.report.events[0], MammographyIrradiationEvent)


def test_fluoroscopy_message_counts_the_fluoroscopy_events() -> None:
    ds = build_rdsr(
        [
            accumulated(dap="0.00003", dose_rp="0.003"),
            event(),
            event(event_type=codes.STATIONARY_ACQUISITION),
            event(),
        ]
    )
    result = parse(ds)
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert _modality_message(result) == "modality RF: 2 of 3 irradiation events are Fluoroscopy"
    assert all(isinstance(e, ProjectionIrradiationEvent) for e in result.report.events)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            num(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "0.00002", "Gy.m2"),
            "modality RF: Fluoro Dose Area Product Total is 0.2 Gy.cm2",
        ),
        (
            num(codes.FLUORO_DOSE_RP_TOTAL, "0.002", "Gy"),
            "modality RF: Fluoro Dose (RP) Total is 0.002 Gy",
        ),
        (num(codes.TOTAL_FLUORO_TIME, "12.5", "s"), "modality RF: Total Fluoro Time is 12.5 s"),
    ],
)
def test_fluoroscopy_from_each_fluoroscopy_total(item: Dataset, message: str) -> None:
    ds = build_rdsr([accumulated(extra=[item]), event(event_type=codes.STATIONARY_ACQUISITION)])
    result = parse(ds)
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert _modality_message(result) == message


def test_fluoroscopy_total_of_a_second_plane_decides() -> None:
    ds = build_rdsr(
        [
            accumulated(plane=codes.PLANE_A, fluoro_time="0"),
            accumulated(plane=codes.PLANE_B, fluoro_time="3"),
        ]
    )
    result = parse(ds)
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert _modality_message(result) == "modality RF: Total Fluoro Time is 3 s"


def test_the_first_non_zero_fluoroscopy_total_is_named() -> None:
    extra = [
        num(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "0", "Gy.m2"),
        num(codes.FLUORO_DOSE_RP_TOTAL, "0.004", "Gy"),
    ]
    ds = build_rdsr([accumulated(fluoro_time="7", extra=extra)])
    assert _modality_message(parse(ds)) == "modality RF: Fluoro Dose (RP) Total is 0.004 Gy"


def test_zero_fluoroscopy_totals_give_radiography() -> None:
    extra = [
        num(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, "0", "Gy.m2"),
        num(codes.FLUORO_DOSE_RP_TOTAL, "0", "Gy"),
    ]
    ds = build_rdsr(
        [accumulated(fluoro_time="0", extra=extra), event(event_type=codes.STATIONARY_ACQUISITION)]
    )
    result = parse(ds)
    assert result.report.modality is DoseModality.RADIOGRAPHY
    assert _modality_message(result) == (
        "modality DX: no fluoroscopy event and no fluoroscopy total"
    )


# --------------------------------------------------------------------------- device type


def _device(declared: Code) -> Dataset:
    return coded(codes.ACQUISITION_DEVICE_TYPE, declared, MODIFIER)


def _body(kind: str) -> list[Dataset]:
    """The content of a fluoroscopy, radiography or mammography report."""
    if kind == "MG":
        return [accumulated(), _mg_event()]
    if kind == "RF":
        return [accumulated(), event()]
    return [accumulated(), event(event_type=codes.STATIONARY_ACQUISITION)]


@pytest.mark.parametrize(
    ("content", "declared", "modality"),
    [
        ("RF", codes.INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM, "FLUOROSCOPY"),
        ("RF", codes.CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM, "FLUOROSCOPY"),
        ("MG", codes.FLUOROSCOPY_GUIDED_PROJECTION_RADIOGRAPHY_SYSTEM, "MAMMOGRAPHY"),
    ],
)
def test_contradicting_device_type_is_a_mismatch_with_its_message(
    content: str, declared: Code, modality: str
) -> None:
    result = parse(build_rdsr(_body(content), root_extra=[_device(declared)]))
    assert result.report.modality is DoseModality[modality]
    mismatch = _only(result, "device.type_mismatch")
    assert mismatch.message == (
        f"Acquisition Device Type DCM:{declared.value} ({declared.meaning}) "
        f"contradicts the report content; modality kept as {modality}"
    )
    assert (mismatch.content_path, mismatch.concept) == ("2", "DCM:122142")


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        ("RF", codes.FLUOROSCOPY_GUIDED_PROJECTION_RADIOGRAPHY_SYSTEM),
        ("DX", codes.INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM),
        ("DX", codes.CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM),
        ("DX", codes.FLUOROSCOPY_GUIDED_PROJECTION_RADIOGRAPHY_SYSTEM),
        ("MG", codes.INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM),
        ("MG", codes.CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM),
    ],
)
def test_consistent_device_type_is_no_mismatch(content: str, declared: Code) -> None:
    result = parse(build_rdsr(_body(content), root_extra=[_device(declared)]))
    assert not with_code(result.findings, "device.type_mismatch")


def test_device_type_without_a_code_is_no_mismatch() -> None:
    empty = _device(codes.INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM)
    del empty.ConceptCodeSequence
    result = parse(build_rdsr(_body("RF"), root_extra=[empty]))
    assert result.report.modality is DoseModality.FLUOROSCOPY
    assert not with_code(result.findings, "device.type_mismatch")


# --------------------------------------------------------------------------- plane totals


def _differ(result: ParseResult) -> list[Finding]:
    return with_code(result.findings, "totals.differ_from_events")


def test_single_plane_total_is_compared_with_every_event_whatever_its_plane() -> None:
    ds = build_rdsr(
        [
            accumulated(dap="0.00003", dose_rp="0.003"),
            event(plane=codes.PLANE_A, dap=("0.00001", "Gy.m2"), dose_rp=("0.001", "Gy")),
            event(plane=codes.PLANE_B, dap=("0.00002", "Gy.m2"), dose_rp=("0.002", "Gy")),
        ]
    )
    assert _differ(parse(ds)) == []


def test_plane_total_message_names_plane_values_count_and_unit() -> None:
    ds = build_rdsr(
        [
            accumulated(dap="0.00005", dose_rp="0.003"),
            event(dap=("0.00001", "Gy.m2"), dose_rp=("0.001", "Gy")),
            event(dap=("0.00002", "Gy.m2"), dose_rp=("0.002", "Gy")),
        ]
    )
    (dap,) = _differ(parse(ds))
    assert dap.message == (
        "Dose Area Product Total of Single Plane is 0.5 Gy.cm2 but its 2 event value(s) "
        "sum to 0.3 Gy.cm2; both kept"
    )
    # root children: 1 Procedure reported, 2 the Accumulated X-Ray Dose Data
    assert (dap.content_path, dap.concept) == ("2", "DCM:113722")


def test_dose_rp_total_message() -> None:
    result = parse(build_rdsr([accumulated(dap="0.00002", dose_rp="0.0125"), event(), event()]))
    (rp,) = _differ(result)
    assert rp.message == (
        "Dose (RP) Total of Single Plane is 0.0125 Gy but its 2 event value(s) sum to "
        "0.002 Gy; both kept"
    )
    assert (rp.content_path, rp.concept) == ("2", "DCM:113725")


def test_a_plane_without_acquisition_plane_is_named_the_plane() -> None:
    plane_less = accumulated(dap="0.00004")
    del plane_less.ContentSequence[0]
    result = parse(build_rdsr([plane_less, event()]))
    (missing,) = [f for f in result.findings if f.concept == "DCM:113764"]
    assert missing.code == "template.missing_item"
    (dap,) = _differ(result)
    assert dap.message.startswith("Dose Area Product Total of the plane is 0.4 Gy.cm2 ")


def test_biplane_totals_take_only_their_plane_events() -> None:
    ds = build_rdsr(
        [
            accumulated(plane=codes.PLANE_A, dap="0.00003", dose_rp="0.003"),
            accumulated(plane=codes.PLANE_B, dap="0.00004", dose_rp="0.005"),
            event(plane=codes.PLANE_A, dap=("0.00001", "Gy.m2"), dose_rp=("0.001", "Gy")),
            event(plane=codes.PLANE_A, dap=("0.00002", "Gy.m2"), dose_rp=("0.002", "Gy")),
            event(plane=codes.PLANE_B, dap=("0.00004", "Gy.m2"), dose_rp=("0.004", "Gy")),
        ]
    )
    (rp,) = _differ(parse(ds))
    assert rp.message == (
        "Dose (RP) Total of Plane B is 0.005 Gy but its 1 event value(s) sum to 0.004 Gy; both kept"
    )
    assert (rp.content_path, rp.concept) == ("3", "DCM:113725")


def test_events_without_the_value_are_not_counted() -> None:
    ds = build_rdsr(
        [accumulated(dap="0.00002", dose_rp="0.002"), event(dose_rp=None), event(dap=None)]
    )
    messages = sorted(f.message for f in _differ(parse(ds)))
    assert messages == [
        "Dose (RP) Total of Single Plane is 0.002 Gy but its 1 event value(s) sum to "
        "0.001 Gy; both kept",
        "Dose Area Product Total of Single Plane is 0.2 Gy.cm2 but its 1 event value(s) "
        "sum to 0.1 Gy.cm2; both kept",
    ]


def test_no_event_value_means_no_comparison() -> None:
    ds = build_rdsr([accumulated(dap="0.00002", dose_rp="0.002"), event(dap=None, dose_rp=None)])
    assert _differ(parse(ds)) == []


def test_no_total_means_no_comparison() -> None:
    no_rp = accumulated()
    del no_rp.ContentSequence[2]  # Dose (RP) Total
    ds = build_rdsr([no_rp, event(dose_rp=("0.5", "Gy"))])
    assert _differ(parse(ds)) == []


@pytest.mark.parametrize(
    ("event_rp", "differs"),
    [
        ("0.0010009", False),  # 0.09 % below the 1e-3 relative tolerance
        ("0.0009991", False),
        ("0.0010011", True),  # 0.11 % above it
        ("0.0009989", True),
    ],
)
def test_totals_tolerance_is_one_per_mille_both_ways(event_rp: str, differs: bool) -> None:
    assert tid10001_projection.TOTALS_RELATIVE_TOLERANCE == 1e-3
    ds = build_rdsr([accumulated(dose_rp="0.001"), event(dose_rp=(event_rp, "Gy"))])
    assert bool(_differ(parse(ds))) is differs


def test_a_zero_total_is_close_to_a_sub_picogray_sum_only() -> None:
    near = build_rdsr([accumulated(dose_rp="0"), event(dose_rp=("5e-13", "Gy"))])
    assert _differ(parse(near)) == []
    far = build_rdsr([accumulated(dose_rp="0"), event(dose_rp=("5e-12", "Gy"))])
    (rp,) = _differ(parse(far))
    assert "is 0 Gy but its 1 event value(s) sum to 5e-12 Gy" in rp.message


# --------------------------------------------------------------------------- breast totals


def test_breast_total_message_names_the_breast() -> None:
    ds = build_rdsr(
        [
            _mg_accumulated(_breast("2.5", codes.RIGHT_BREAST), _breast("1", codes.LEFT)),
            _mg_event("1.0", codes.RIGHT),
            _mg_event("1.0", codes.RIGHT_BREAST),
            _mg_event("0.75", codes.LEFT),
            _mg_event("0.25", codes.LEFT_BREAST),
        ]
    )
    (agd,) = _differ(parse(ds))
    assert agd.message == (
        "Accumulated Average Glandular Dose of Right is 2.5 mGy but its 2 event value(s) "
        "sum to 2 mGy; both kept"
    )
    # root 2 the container; its children: 1 the plane, 2 the right breast's AGD
    assert (agd.content_path, agd.concept) == ("2.2", "DCM:111637")


def test_breasts_without_laterality_or_with_another_are_skipped_not_stopping() -> None:
    ds = build_rdsr(
        [
            _mg_accumulated(
                _breast("9", None),
                _breast("9", codes.RIGHT_AND_LEFT),
                _breast("3", codes.LEFT),
            ),
            _mg_event("1.0", codes.LEFT),
            _mg_event("5.0", codes.RIGHT),
        ]
    )
    (agd,) = _differ(parse(ds))
    assert agd.message == (
        "Accumulated Average Glandular Dose of Left is 3 mGy but its 1 event value(s) "
        "sum to 1 mGy; both kept"
    )


def test_events_without_laterality_are_not_summed_into_a_breast() -> None:
    no_side = _mg_event("4.0")
    structure = no_side.ContentSequence[-2]
    del structure.ContentSequence
    ds = build_rdsr([_mg_accumulated(_breast("1", codes.RIGHT)), _mg_event("1.0"), no_side])
    assert _differ(parse(ds)) == []


def test_breast_totals_equal_to_their_sums_give_no_finding() -> None:
    ds = build_rdsr(
        [
            _mg_accumulated(_breast("1.5", codes.RIGHT), _breast("0.5", codes.LEFT_BREAST)),
            _mg_event("1.5", codes.RIGHT),
            _mg_event("0.5", codes.LEFT),
        ]
    )
    result = parse(ds)
    assert _differ(result) == []
    right, left = result.report.mammography_accumulated
    assert right.laterality == codes.RIGHT and left.laterality == codes.LEFT


def test_an_empty_root_scope_uid_is_flagged_and_read_as_none() -> None:
    empty = _root_uid(codes.STUDY_INSTANCE_UID, "1.2.3.4")
    del empty.UID
    ds = build_rdsr([accumulated(), event()], root_extra=[_scope(), empty])  # 3: the empty UID
    result = parse(ds)
    assert result.report.scope_uid is None
    assert [f.content_path for f in with_code(result.findings, "template.misplaced_item")] == ["3"]
    assert [(f.message, f.content_path) for f in with_code(result.findings, "value.empty_uid")] == [
        ("UIDREF item without a UID", "3")
    ]
