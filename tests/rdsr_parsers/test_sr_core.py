"""The SR core (``rdsr_parsers/sr.py``) pinned item by item: tree shape and paths, typed
readers, unit handling and the finding each deviation records (issue #15: tests that notice
a wrong number, not only a crash)."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.coding import Code

from dosewatch.domain.finding_codes import FindingCode
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import (
    ContentItem,
    build_tree,
    code_of,
    codes_of,
    count_of,
    datetime_of,
    num_of,
    read_code,
    read_numbers,
    read_quantities,
    read_quantity,
    read_uid,
    require,
    require_event_uid,
    text_of,
    uid_of,
)

DAP = Code("113722", "DCM", "Dose Area Product Total")
EVENT_UID = Code("113769", "DCM", "Irradiation Event UID")
COMMENT = Code("121106", "DCM", "Comment")
LATERALITY = Code("272741003", "SCT", "Laterality")


def _code(value: str, scheme: str, meaning: str = "") -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = value, scheme, meaning or value
    return ds


def _item(value_type: str, concept: Code, **attrs: object) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = "CONTAINS"
    ds.ValueType = value_type
    ds.ConceptNameCodeSequence = Sequence(
        [_code(concept.value, concept.scheme_designator, concept.meaning)]
    )
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


def _num(
    concept: Code, value: str | None, unit: str | None = "Gy.cm2", scheme: str = "UCUM"
) -> Dataset:
    ds = _item("NUM", concept)
    if value is None:
        ds.MeasuredValueSequence = Sequence([])
        return ds
    measured = Dataset()
    measured.NumericValue = value
    if unit is not None:
        measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, scheme)])
    ds.MeasuredValueSequence = Sequence([measured])
    return ds


def _root(*children: Dataset) -> ContentItem:
    root = Dataset()
    root.ValueType = "CONTAINER"
    root.ConceptNameCodeSequence = Sequence([_code("113701", "DCM")])
    root.ContentSequence = Sequence(list(children))
    return build_tree(root)


def _leaf(ds: Dataset) -> ContentItem:
    return _root(ds).children[0]


def _codes(ctx: ParseContext) -> list[str]:
    return [f.code for f in ctx.findings]


# ------------------------------------------------------------------------------ the tree


def test_tree_paths_concepts_and_document_order() -> None:
    inner = _item("CONTAINER", Code("113706", "DCM", "Irradiation Event X-Ray Data"))
    inner.ContentSequence = Sequence([_num(DAP, "1.5"), _num(DAP, "2.5")])
    # a legacy SNOMED-RT concept name is keyed as its SNOMED CT concept
    legacy = _item("CODE", Code("G-C171", "SRT", "Laterality"))
    root = _root(_item("TEXT", COMMENT, TextValue="first"), inner, legacy)
    assert root.path == "" and root.value_type == "CONTAINER" and root.concept == ("DCM", "113701")
    assert [c.path for c in root.children] == ["1", "2", "3"]
    assert [c.path for c in root.children[1].children] == ["2.1", "2.2"]
    assert root.children[0].relationship == "CONTAINS"
    assert root.children[2].concept == ("SCT", "272741003")
    assert root.children[1].concept_str == "DCM:113706"
    assert [c.path for c in root.walk()] == ["1", "2", "2.1", "2.2", "3"]
    # first/all look at direct children only
    assert root.first(DAP) is None and root.all(DAP) == []
    event = root.children[1]
    assert event.first(DAP) is event.children[0]
    assert event.all(DAP) == event.children
    assert root.first(LATERALITY) is root.children[2]


def test_an_item_without_concept_name_has_the_empty_key() -> None:
    ds = Dataset()
    ds.ValueType = "TEXT"
    assert _root(ds).children[0].concept == ("", "")


# ------------------------------------------------------------------------- value readers


def test_read_code_normalises_legacy_codes_and_flags_empty_ones() -> None:
    ctx = ParseContext()
    item = _leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[_code("G-A101", "SRT", "Left")]))
    code = read_code(item, ctx)
    assert code is not None
    assert (code.value, code.scheme_designator, code.meaning) == ("7771000", "SCT", "Left")
    ctx.flush_tallies()
    assert _codes(ctx) == [FindingCode.CODE_LEGACY_SCHEME]
    assert ctx.findings[0].message == "legacy code SRT:G-A101 read as SCT:7771000"

    ctx = ParseContext()
    assert read_code(_leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[])), ctx) is None
    assert read_code(_leaf(_item("CODE", LATERALITY, TextValue="Left")), ctx) is None
    no_scheme = _code("7771000", "")
    assert read_code(_leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[no_scheme])), ctx) is None
    assert _codes(ctx) == [
        FindingCode.VALUE_EMPTY_CODE,
        FindingCode.VALUE_TEXT_IN_CODE_ITEM,
        FindingCode.VALUE_EMPTY_CODE,
    ]
    assert [f.content_path for f in ctx.findings] == ["1", "1", "1"]
    assert ctx.findings[0].concept == "SCT:272741003"
    # a code without meaning is named by its value
    bare = _code("7771000", "SCT")
    bare.CodeMeaning = ""
    found = read_code(_leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[bare])), ctx)
    assert found is not None and found.meaning == "7771000"


def test_read_uid_text_fallback_and_empty() -> None:
    ctx = ParseContext()
    assert read_uid(_leaf(_item("UIDREF", EVENT_UID, UID="1.2.3")), ctx) == "1.2.3"
    assert ctx.findings == []
    assert read_uid(_leaf(_item("TEXT", EVENT_UID, TextValue="1.2.4")), ctx) == "1.2.4"
    assert read_uid(_leaf(_item("UIDREF", EVENT_UID)), ctx) is None
    assert _codes(ctx) == [FindingCode.VALUE_TEXT_FOR_UID, FindingCode.VALUE_EMPTY_UID]


def test_text_uid_and_datetime_of_a_parent() -> None:
    root = _root(
        _item("TEXT", COMMENT, TextValue="  spaced  "),
        _item("UIDREF", EVENT_UID, UID="1.2.3"),
        _item("DATETIME", Code("111526", "DCM", "DateTime Started"), DateTime="20240314093000"),
    )
    ctx = ParseContext()
    assert text_of(root, COMMENT) == "spaced"
    assert text_of(root, DAP) is None
    assert uid_of(root, EVENT_UID, ctx) == "1.2.3" and uid_of(root, DAP, ctx) is None
    started = Code("111526", "DCM", "DateTime Started")
    assert datetime_of(root, started, ctx) == datetime(2024, 3, 14, 9, 30)
    assert datetime_of(root, DAP, ctx) is None
    assert text_of(_root(_item("TEXT", COMMENT, TextValue="   ")), COMMENT) is None
    assert ctx.findings == []


def test_codes_and_code_of_a_parent() -> None:
    root = _root(
        _item("CODE", LATERALITY, ConceptCodeSequence=[_code("7771000", "SCT", "Left")]),
        _item("CODE", LATERALITY, ConceptCodeSequence=[]),
        _item("CODE", LATERALITY, ConceptCodeSequence=[_code("24028007", "SCT", "Right")]),
    )
    ctx = ParseContext()
    assert [c.value for c in codes_of(root, LATERALITY, ctx)] == ["7771000", "24028007"]
    first = code_of(root, LATERALITY, ctx)
    assert first is not None and first.value == "7771000"
    assert code_of(root, DAP, ctx) is None


# --------------------------------------------------------------------------- numbers, units


def test_numbers_and_their_unit() -> None:
    ctx = ParseContext()
    assert read_numbers(_leaf(_num(DAP, "1.5")), ctx) == ((1.5,), "Gy.cm2")
    assert ctx.findings == []
    assert read_numbers(_leaf(_num(DAP, None)), ctx) == ((), None)
    assert _codes(ctx) == [FindingCode.VALUE_EMPTY]
    ctx = ParseContext()
    qualified = _item("NUM", DAP, MeasuredValueSequence=[])
    qualified.NumericValueQualifierCodeSequence = [_code("114000", "DCM", "Not a number")]
    assert read_numbers(_leaf(qualified), ctx) == ((), None)
    assert _codes(ctx) == [FindingCode.VALUE_QUALIFIED]
    ctx = ParseContext()
    assert read_numbers(_leaf(_num(DAP, "2", unit=None)), ctx) == ((2.0,), None)
    assert _codes(ctx) == [FindingCode.UNIT_MISSING]
    ctx = ParseContext()
    assert read_numbers(_leaf(_num(DAP, "2", unit="Gy.cm2", scheme="99XYZ")), ctx) == (
        (2.0,),
        "Gy.cm2",
    )
    assert _codes(ctx) == [FindingCode.UNIT_SCHEME_NONSTANDARD]
    ctx = ParseContext()
    assert read_numbers(_leaf(_num(DAP, "2", unit="furlong")), ctx) == ((2.0,), None)
    assert _codes(ctx) == [FindingCode.UNIT_UNKNOWN]
    ctx = ParseContext()
    assert read_numbers(_leaf(_num(DAP, "3", unit="Gym2")), ctx) == ((3.0,), "Gy.m2")
    assert _codes(ctx) == [FindingCode.UNIT_NONSTANDARD]
    assert "quirk U01" in ctx.findings[0].message


def test_quantities_are_converted_to_the_canonical_unit() -> None:
    ctx = ParseContext()
    (kap,) = read_quantities(
        _leaf(_num(DAP, "0.0012", unit="Gy.m2")), ctx, to_unit="Gy.cm2", expect_unit="Gy.m2"
    )
    assert kap.value == pytest.approx(12.0) and kap.unit == "Gy.cm2"  # 1 m2 = 10^4 cm2
    assert ctx.findings == []
    (kap,) = read_quantities(
        _leaf(_num(DAP, "120", unit="dGy.cm2")), ctx, to_unit="Gy.cm2", expect_unit="Gy.m2"
    )
    assert kap.value == pytest.approx(12.0)  # 1 dGy = 0.1 Gy
    assert _codes(ctx) == [FindingCode.UNIT_UNEXPECTED]
    assert "unit dGy.cm2 where the template prescribes Gy.m2; converted" in ctx.findings[0].message
    ctx = ParseContext()
    assert read_quantities(_leaf(_num(DAP, "5", unit="s")), ctx, to_unit="Gy.cm2") == ()
    assert _codes(ctx) == [FindingCode.UNIT_INCONVERTIBLE]
    ctx = ParseContext()
    assert read_quantities(_leaf(_num(DAP, "5", unit=None)), ctx, to_unit="Gy.cm2") == ()


def test_one_quantity_from_several_values_is_the_first_with_a_finding() -> None:
    ctx = ParseContext()
    item = _leaf(_num(DAP, "1.5\\2.5"))  # an already decoded DS: a pydicom MultiValue
    quantity = read_quantity(item, ctx, to_unit="Gy.cm2")
    assert quantity is not None and quantity.value == 1.5
    assert _codes(ctx) == [FindingCode.VALUE_MULTIPLE]
    assert ctx.findings[0].message.startswith("2 values where one is expected")
    ctx = ParseContext()
    assert read_quantity(_leaf(_num(DAP, "2.5")), ctx, to_unit="Gy.cm2") is not None
    assert ctx.findings == []
    root = _root(_num(DAP, "7"))
    found = num_of(root, DAP, ctx, to_unit="Gy.cm2")
    assert found is not None and found.value == 7.0
    assert num_of(root, COMMENT, ctx, to_unit="Gy.cm2") is None


def test_counts_are_integers_and_a_fraction_is_flagged() -> None:
    frames = Code("113803", "DCM", "Total Number of Radiographic Frames")
    ctx = ParseContext()
    assert count_of(_root(_num(frames, "12", unit="{frames}")), frames, ctx) == 12
    assert ctx.findings == []
    assert count_of(_root(_num(frames, "2.6", unit="{frames}")), frames, ctx) == 3
    assert _codes(ctx) == [FindingCode.VALUE_NOT_INTEGER]
    assert ctx.findings[0].message == "count 2.6 is not an integer"
    assert ctx.findings[0].content_path == "1"
    assert count_of(_root(), frames, ctx) is None
    assert count_of(_root(_num(frames, None)), frames, ctx) is None


# ------------------------------------------------------------------------ mandatory items


def test_require_names_what_is_missing_and_where() -> None:
    ctx = ParseContext()
    root = _root(_num(DAP, "1"))
    assert require(root, DAP, ctx, what="total") is root.children[0]
    assert ctx.findings == []
    assert require(root, COMMENT, ctx, what="comment") is None
    (finding,) = ctx.findings
    assert finding.code == FindingCode.TEMPLATE_MISSING_MANDATORY
    assert finding.content_path == "root" and finding.concept == "DCM:121106"
    assert finding.message == "mandatory comment (DCM:121106 Comment) is missing"
    nested = root.children[0]
    assert require(nested, COMMENT, ctx, what="comment") is None
    assert ctx.findings[-1].content_path == "1"


def test_a_missing_event_uid_keeps_the_event_with_a_warning() -> None:
    ctx = ParseContext()
    assert require_event_uid(_root(_item("UIDREF", EVENT_UID, UID="1.2.9")), EVENT_UID, ctx) == (
        "1.2.9"
    )
    assert ctx.findings == []
    assert require_event_uid(_root(), EVENT_UID, ctx) is None
    (finding,) = ctx.findings
    assert finding.code == FindingCode.EVENT_UID_MISSING
    assert (finding.content_path, finding.concept) == ("root", "DCM:113769")
    assert finding.message.startswith("Irradiation Event UID (DCM:113769) is missing")
