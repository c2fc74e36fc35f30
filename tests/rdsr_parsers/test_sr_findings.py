"""What each finding of the SR core says and where it points (issue #15).

``test_sr_core.py`` pins the values and finding codes of every reader; this file pins the
rest of each finding: its exact message, its content path and concept, the coded-value
alternatives of PS3.3 Table 8.8-1 (Long Code Value, URN Code Value), and the device identity
handed to the quirk table. A finding is what a physicist reads to trust or reject a dose;
a wrong message or a lost path is a defect even when the number is right.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.coding import Code
from pydicom.tag import Tag

from dosewatch.domain.finding_codes import FindingCode
from rdsr_parsers import quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import (
    ContentItem,
    build_tree,
    datetime_of,
    read_code,
    read_numbers,
    read_quantities,
    read_quantity,
    read_text,
    read_uid,
    require_event_uid,
)

DAP = Code("113722", "DCM", "Dose Area Product Total")
EVENT_UID = Code("113769", "DCM", "Irradiation Event UID")
COMMENT = Code("121106", "DCM", "Comment")
LATERALITY = Code("272741003", "SCT", "Laterality")
STARTED = Code("111526", "DCM", "DateTime Started")


def _code(value: str | None, scheme: str | None, meaning: str = "x") -> Dataset:
    ds = Dataset()
    if value is not None:
        ds.CodeValue = value
    if scheme is not None:
        ds.CodingSchemeDesignator = scheme
    ds.CodeMeaning = meaning
    return ds


def _item(value_type: str, concept: Code, **attrs: object) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = "CONTAINS"
    ds.ValueType = value_type
    ds.ConceptNameCodeSequence = Sequence(
        [_code(concept.value, concept.scheme_designator, concept.meaning)]
    )
    for name, value in attrs.items():
        setattr(ds, name, value)
    return ds


def _num(value: str, unit: Dataset | None) -> Dataset:
    ds = _item("NUM", DAP)
    measured = Dataset()
    measured.NumericValue = value
    if unit is not None:
        measured.MeasurementUnitsCodeSequence = Sequence([unit])
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


def _only(ctx: ParseContext) -> tuple[str, str, str | None, str | None]:
    (finding,) = ctx.findings
    return finding.code, finding.message, finding.content_path, finding.concept


# ------------------------------------------------------------------------------ codes


def test_code_item_findings_say_what_was_wrong() -> None:
    ctx = ParseContext()
    assert read_code(_leaf(_item("CODE", LATERALITY, TextValue="Left")), ctx) is None
    assert _only(ctx) == (
        FindingCode.VALUE_TEXT_IN_CODE_ITEM,
        "TEXT value where a coded value is expected; kept as text",
        "1",
        "SCT:272741003",
    )
    ctx = ParseContext()
    assert read_code(_leaf(_item("CODE", LATERALITY)), ctx) is None
    assert _only(ctx) == (
        FindingCode.VALUE_EMPTY_CODE,
        "coded item without a coded value",
        "1",
        "SCT:272741003",
    )


def test_a_code_without_value_quotes_the_first_40_characters_of_its_meaning() -> None:
    meaning = "Left" + "x" * 41  # 45 characters
    ctx = ParseContext()
    item = _leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[_code(None, "SCT", meaning)]))
    assert read_code(item, ctx) is None
    assert _only(ctx) == (
        FindingCode.VALUE_EMPTY_CODE,
        f"coded value without code value or scheme (meaning {meaning[:40]!r})",
        "1",
        "SCT:272741003",
    )


def test_long_and_urn_code_values_are_read_ps33_table_8_8_1() -> None:
    # PS3.3 Table 8.8-1: Code Value (0008,0100), Long Code Value (0008,0119) or URN Code
    # Value (0008,0120) holds the code; exactly one of them is present.
    long_ds = _code(None, "SCT", "Left")
    long_ds.LongCodeValue = "7771000"
    urn_ds = _code(None, "RFC3986", "URN code")
    urn_ds.URNCodeValue = "urn:oid:1.2.3"
    ctx = ParseContext()
    long_code = read_code(_leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[long_ds])), ctx)
    urn_code = read_code(_leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[urn_ds])), ctx)
    assert long_code is not None and (long_code.value, long_code.scheme_designator) == (
        "7771000",
        "SCT",
    )
    assert urn_code is not None and urn_code.value == "urn:oid:1.2.3"
    assert ctx.findings == []
    # none of the three: refused, no invented value
    ctx = ParseContext()
    bare = _leaf(_item("CODE", LATERALITY, ConceptCodeSequence=[_code(None, "SCT")]))
    assert read_code(bare, ctx) is None
    assert [f.code for f in ctx.findings] == [FindingCode.VALUE_EMPTY_CODE]


# ------------------------------------------------------------------------ text, UID, dates


def test_a_text_item_without_text_value_reads_none() -> None:
    assert read_text(_leaf(_item("TEXT", COMMENT))) is None


def test_uid_findings_and_the_text_fallback_only_for_text_items() -> None:
    ctx = ParseContext()
    # a UIDREF item is read from UID only: a stray TextValue is not a UID
    item = _leaf(_item("UIDREF", EVENT_UID, TextValue="1.2.5"))
    assert read_uid(item, ctx) is None
    assert _only(ctx) == (
        FindingCode.VALUE_EMPTY_UID,
        "UIDREF item without a UID",
        "1",
        "DCM:113769",
    )
    ctx = ParseContext()
    assert read_uid(_leaf(_item("TEXT", EVENT_UID, TextValue="1.2.4")), ctx) == "1.2.4"
    assert _only(ctx) == (FindingCode.VALUE_TEXT_FOR_UID, "UID sent as TEXT", "1", "DCM:113769")


def test_an_event_uid_item_without_uid_is_flagged_on_the_item() -> None:
    ctx = ParseContext()
    assert require_event_uid(_root(_item("UIDREF", EVENT_UID)), EVENT_UID, ctx) is None
    assert _only(ctx)[0::2] == (FindingCode.VALUE_EMPTY_UID, "1")


def test_the_missing_event_uid_message_in_full() -> None:
    ctx = ParseContext()
    assert require_event_uid(_root(), EVENT_UID, ctx) is None
    assert ctx.findings[0].message == (
        "Irradiation Event UID (DCM:113769) is missing; event kept without identity "
        "(the ledger cannot de-duplicate it by UID)"
    )


def test_an_invalid_datetime_is_ignored_with_its_path() -> None:
    ctx = ParseContext()
    root = _root(_item("DATETIME", STARTED, DateTime="2024-03-14"))
    assert datetime_of(root, STARTED, ctx) is None
    assert _only(ctx)[0::2] == (FindingCode.ENCODING_INVALID_DATETIME, "1")
    assert datetime_of(_root(_item("DATETIME", STARTED, DateTime="2024")), STARTED, ctx) == (
        datetime(2024, 1, 1)
    )


# ------------------------------------------------------------------------------ units


def test_unit_findings_say_what_was_wrong_and_where() -> None:
    ctx = ParseContext()
    assert read_numbers(_leaf(_num("2", None)), ctx) == ((2.0,), None)
    assert _only(ctx) == (
        FindingCode.UNIT_MISSING,
        "numeric value without a unit",
        "1",
        "DCM:113722",
    )

    ctx = ParseContext()
    assert read_numbers(_leaf(_num("2", _code("Gy.cm2", None))), ctx) == ((2.0,), "Gy.cm2")
    assert _only(ctx) == (
        FindingCode.UNIT_SCHEME_NONSTANDARD,
        "unit scheme '' is not UCUM",
        "1",
        "DCM:113722",
    )

    ctx = ParseContext()
    assert read_numbers(_leaf(_num("2", _code(None, "UCUM"))), ctx) == ((2.0,), None)
    assert _only(ctx) == (
        FindingCode.UNIT_UNKNOWN,
        "unknown unit ''; value not used",
        "1",
        "DCM:113722",
    )

    ctx = ParseContext()
    read_numbers(_leaf(_num("2", _code("furlongs per fortnight squared", "UCUM"))), ctx)
    assert _only(ctx) == (
        FindingCode.UNIT_UNKNOWN,
        "unknown unit 'furlongs per fortnight s'; value not used",  # first 24 characters
        "1",
        "DCM:113722",
    )


def test_inconvertible_and_missing_units_drop_the_value_with_one_finding() -> None:
    ctx = ParseContext()
    assert read_quantities(_leaf(_num("5", _code("s", "UCUM"))), ctx, to_unit="Gy.cm2") == ()
    assert _only(ctx) == (
        FindingCode.UNIT_INCONVERTIBLE,
        "unit 's' cannot be converted to 'Gy.cm2'; value not used",
        "1",
        "DCM:113722",
    )
    # no unit: one UNIT_MISSING, no conversion attempted
    ctx = ParseContext()
    assert read_quantities(_leaf(_num("5", None)), ctx, to_unit="Gy.cm2") == ()
    assert [f.code for f in ctx.findings] == [FindingCode.UNIT_MISSING]


def test_several_values_where_one_is_expected_point_at_the_item() -> None:
    ctx = ParseContext()
    quantity = read_quantity(
        _leaf(_num("1.5\\2.5", _code("Gy.cm2", "UCUM"))), ctx, to_unit="Gy.cm2"
    )
    assert quantity is not None and quantity.value == 1.5
    assert _only(ctx) == (
        FindingCode.VALUE_MULTIPLE,
        "2 values where one is expected; the first is used",
        "1",
        "DCM:113722",
    )


@pytest.mark.parametrize(
    ("unit", "kind"),
    [(_code("Gym2", "UCUM"), "unit_alias"), (_code("Gy.m2", "UCM"), "scheme_alias")],
)
def test_quirk_lookups_are_made_for_the_device_of_the_object(
    monkeypatch: pytest.MonkeyPatch, unit: Dataset, kind: str
) -> None:
    """Quirk rows are restricted by manufacturer and model patterns (quirks.csv): the
    reader must ask for the device that sent the object, not for any device."""
    asked: list[tuple[str, str, str | None, str | None]] = []
    real = quirks.lookup

    def spy(kind: str, match: str, manufacturer: str | None, model: str | None) -> object:
        asked.append((kind, match, manufacturer, model))
        return real(kind, match, manufacturer, model)

    monkeypatch.setattr(quirks, "lookup", spy)
    ctx = ParseContext(manufacturer="Siemens", model="Artis Zee")
    assert read_numbers(_leaf(_num("3", unit)), ctx) == ((3.0,), "Gy.m2")
    lookups = [a for a in asked if a[0] == kind]
    assert lookups, "the quirk table was not consulted"
    assert all(a[2:] == ("Siemens", "Artis Zee") for a in lookups)


# ------------------------------------------------------------------ tree, absent attributes


def test_absent_or_empty_attributes_read_as_empty_strings() -> None:
    """No value is invented for an attribute the object leaves out: ValueType,
    RelationshipType and the concept name's scheme and value read as ""."""
    no_scheme = Dataset()
    no_scheme.ConceptNameCodeSequence = Sequence([_code("113722", None)])
    empty_scheme = Dataset()
    empty_scheme.ConceptNameCodeSequence = Sequence([_code("113722", "")])
    no_value = Dataset()
    no_value.ConceptNameCodeSequence = Sequence([_code(None, "DCM")])
    empty_value = Dataset()
    empty_value.ConceptNameCodeSequence = Sequence([_code("", "DCM")])
    bare_root = Dataset()
    bare_root.ContentSequence = Sequence([no_scheme, empty_scheme, no_value, empty_value])
    root = build_tree(bare_root)
    assert (root.path, root.value_type, root.relationship, root.concept) == ("", "", "", ("", ""))
    assert [c.concept for c in root.children] == [
        ("", "113722"),
        ("", "113722"),
        ("DCM", ""),
        ("DCM", ""),
    ]
    assert all(c.value_type == "" and c.relationship == "" for c in root.children)
    assert len(root.children) == 4
    # empty (not absent) strings as well
    blank = Dataset()
    blank.ValueType = ""
    blank.RelationshipType = ""
    (child,) = _root(blank).children
    assert (child.value_type, child.relationship) == ("", "")
    blank_root = Dataset()
    blank_root.ValueType = ""
    assert build_tree(blank_root).value_type == ""


# ------------------------------------------------------------------------------ numbers


def test_empty_numeric_values_say_which_part_is_missing() -> None:
    ctx = ParseContext()
    assert read_numbers(_leaf(_item("NUM", DAP, MeasuredValueSequence=[])), ctx) == ((), None)
    assert _only(ctx) == (
        FindingCode.VALUE_EMPTY,
        "NUM item with an empty measured value",
        "1",
        "DCM:113722",
    )
    # a Measured Value item without Numeric Value (0040,A30A)
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = Sequence([_code("Gy.cm2", "UCUM")])
    ctx = ParseContext()
    item = _leaf(_item("NUM", DAP, MeasuredValueSequence=[measured]))
    assert read_numbers(item, ctx) == ((), None)
    assert _only(ctx) == (
        FindingCode.VALUE_EMPTY,
        "NUM item without a numeric value",
        "1",
        "DCM:113722",
    )


def test_a_repaired_number_is_flagged_on_its_item() -> None:
    """A decimal comma as read from the file (the undecoded element) is repaired by
    ``values.decimals`` with a finding that points at the NUM item."""
    ds = _num("0", _code("Gy.cm2", "UCUM"))
    measured = ds.MeasuredValueSequence[0]
    tag = Tag(0x0040A30A)
    del measured[tag]
    measured._dict[tag] = RawDataElement(tag, "DS", 3, b"1,5", 0, True, True)
    ctx = ParseContext()
    assert read_numbers(_leaf(ds), ctx) == ((1.5,), "Gy.cm2")
    assert _only(ctx)[0::2] == (FindingCode.ENCODING_DECIMAL_COMMA, "1")
    assert ctx.findings[0].concept == "DCM:113722"
