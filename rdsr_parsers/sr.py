"""SR content tree helpers: find items by concept code, read typed values with findings.

The tree is walked once into :class:`ContentItem` nodes keyed by normalised
``(scheme, value)`` concept keys. Content paths such as ``1.4.2`` (1-based positions)
are kept for messages only; nothing is found by position or by CodeMeaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain.codes import CodeKey, code_key, normalise_key
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.units import Quantity, conversion_factor, is_known_unit
from rdsr_parsers import quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.reader.dataset import LeanDataset
from rdsr_parsers.values import as_text, decimals, parse_datetime

_TAG_NUMERIC_VALUE = 0x0040A30A
_EMPTY_KEY: CodeKey = ("", "")


@dataclass(slots=True, eq=False)
class ContentItem:
    """One SR content item and its children, in document order."""

    path: str
    value_type: str
    relationship: str
    concept: CodeKey
    dataset: Dataset
    children: list[ContentItem] = field(default_factory=list)
    #: the item's Content Sequence as read (the walk's input; the children are the tree)
    content: Any = field(default=None, repr=False)

    @property
    def concept_str(self) -> str:
        return f"{self.concept[0]}:{self.concept[1]}"

    def all(self, concept: Code) -> list[ContentItem]:
        """Direct children with this concept name."""
        key = code_key(concept)
        return [c for c in self.children if c.concept == key]

    def first(self, concept: Code) -> ContentItem | None:
        """The first direct child with this concept name, or None."""
        key = code_key(concept)
        for child in self.children:
            if child.concept == key:
                return child
        return None

    def walk(self) -> Iterator[ContentItem]:
        for child in self.children:
            yield child
            yield from child.walk()


def _concept_key(ds: Dataset) -> CodeKey:
    seq = ds.get("ConceptNameCodeSequence")
    if not seq:
        return _EMPTY_KEY
    code = seq[0]
    return normalise_key(
        str(code.get("CodingSchemeDesignator", "") or ""), str(code.get("CodeValue", "") or "")
    )


#: one content item's (ValueType, RelationshipType, concept key, Content Sequence)
_Fields = tuple[str, str, CodeKey, Any]


def _fields(ds: Dataset) -> _Fields:
    return (
        str(ds.get("ValueType", "") or ""),
        str(ds.get("RelationshipType", "") or ""),
        _concept_key(ds),
        ds.get("ContentSequence"),
    )


def _lean_fields(ds: LeanDataset) -> _Fields:
    """:func:`_fields` of a lean data set, through its fused accessors (same values)."""
    value_type, relationship, names, content = ds.content_item()
    key = _EMPTY_KEY
    if names:
        scheme, value = names[0].code_key_fields()
        key = normalise_key(str(scheme or ""), str(value or ""))
    return str(value_type or ""), str(relationship or ""), key, content


def build_tree(root: Dataset) -> ContentItem:
    """Walk the whole content tree of ``root`` once (iteratively: no recursion limit).

    ``root`` is a pydicom Dataset or a :class:`LeanDataset` (the same read interface).
    """
    fields: Any = _lean_fields if isinstance(root, LeanDataset) else _fields
    value_type, _relationship, concept, content = fields(root)
    top = ContentItem("", value_type, "", concept, root, content=content)
    stack: list[ContentItem] = [top]
    while stack:
        node = stack.pop()
        seq = node.content
        if not seq:
            continue
        prefix = f"{node.path}." if node.path else ""
        children = node.children
        for position, ds in enumerate(seq, start=1):
            value_type, relationship, concept, content = fields(ds)
            child = ContentItem(
                f"{prefix}{position}", value_type, relationship, concept, ds, content=content
            )
            children.append(child)
            stack.append(child)
    return top


# --------------------------------------------------------------------------- value readers


def _where(item: ContentItem) -> dict[str, str | None]:
    return {"path": item.path, "concept": item.concept_str}


def read_code(item: ContentItem, ctx: ParseContext) -> Code | None:
    """The coded value of a CODE item (SRT normalised to SCT), or None with a finding."""
    seq = item.dataset.get("ConceptCodeSequence")
    if not seq:
        text = as_text(item.dataset.get("TextValue"))
        if text is not None:
            ctx.add(
                FindingCode.VALUE_TEXT_IN_CODE_ITEM,
                "TEXT value where a coded value is expected; kept as text",
                **_where(item),
            )
        else:
            ctx.add(
                FindingCode.VALUE_EMPTY_CODE, "coded item without a coded value", **_where(item)
            )
        return None
    ds = seq[0]
    scheme = as_text(ds.get("CodingSchemeDesignator")) or ""
    value = as_text(ds.get("CodeValue")) or as_text(ds.get("LongCodeValue")) or ""
    value = value or (as_text(ds.get("URNCodeValue")) or "")
    meaning = as_text(ds.get("CodeMeaning")) or ""
    if not value or not scheme:
        ctx.add(
            FindingCode.VALUE_EMPTY_CODE,
            f"coded value without code value or scheme (meaning {meaning[:40]!r})",
            **_where(item),
        )
        return None
    key = normalise_key(scheme, value)
    if key != (scheme, value):
        ctx.tally(
            FindingCode.CODE_LEGACY_SCHEME,
            f"legacy code {scheme}:{value} read as {key[0]}:{key[1]}",
            path=item.path,
        )
    return Code(key[1], key[0], meaning or key[1])


def read_text(item: ContentItem) -> str | None:
    value = item.dataset.get("TextValue")
    return None if value is None else (str(value).strip() or None)


def read_uid(item: ContentItem, ctx: ParseContext) -> str | None:
    value = as_text(item.dataset.get("UID"))
    if value is None and item.value_type == "TEXT":
        value = as_text(item.dataset.get("TextValue"))
        if value is not None:
            ctx.add(FindingCode.VALUE_TEXT_FOR_UID, "UID sent as TEXT", **_where(item))
    if value is None:
        ctx.add(FindingCode.VALUE_EMPTY_UID, "UIDREF item without a UID", **_where(item))
    return value


def read_datetime(item: ContentItem, ctx: ParseContext) -> datetime | None:
    raw = item.dataset.get("DateTime")
    if raw is None:
        return None
    return parse_datetime(raw, ctx, path=item.path)


def _unit_of(mv: Dataset, item: ContentItem, ctx: ParseContext) -> str | None:
    seq = mv.get("MeasurementUnitsCodeSequence")
    if not seq:
        ctx.add(FindingCode.UNIT_MISSING, "numeric value without a unit", **_where(item))
        return None
    unit_ds = seq[0]
    scheme = as_text(unit_ds.get("CodingSchemeDesignator")) or ""
    raw_unit = as_text(unit_ds.get("CodeValue")) or ""
    if scheme != "UCUM":
        alias = quirks.lookup("scheme_alias", scheme, ctx.manufacturer, ctx.model)
        if alias is not None:
            ctx.add(
                alias.finding_code,
                f"unit scheme {scheme!r} read as {alias.replacement} (quirk {alias.quirk_id})",
                **_where(item),
            )
        else:
            ctx.add(
                FindingCode.UNIT_SCHEME_NONSTANDARD,
                f"unit scheme {scheme!r} is not UCUM",
                **_where(item),
            )
    if is_known_unit(raw_unit):
        return raw_unit
    alias = quirks.lookup("unit_alias", raw_unit, ctx.manufacturer, ctx.model)
    if alias is not None:
        ctx.add(
            alias.finding_code,
            f"unit {raw_unit!r} read as {alias.replacement} (quirk {alias.quirk_id})",
            **_where(item),
        )
        return alias.replacement
    ctx.add(
        FindingCode.UNIT_UNKNOWN, f"unknown unit {raw_unit[:24]!r}; value not used", **_where(item)
    )
    return None


def read_numbers(item: ContentItem, ctx: ParseContext) -> tuple[tuple[float, ...], str | None]:
    """All numbers of a NUM item and its (normalised UCUM) unit; () when empty."""
    seq = item.dataset.get("MeasuredValueSequence")
    if not seq:
        qualifier = item.dataset.get("NumericValueQualifierCodeSequence")
        if qualifier:
            ctx.add(
                FindingCode.VALUE_QUALIFIED, "numeric value replaced by a qualifier", **_where(item)
            )
        else:
            ctx.add(
                FindingCode.VALUE_EMPTY, "NUM item with an empty measured value", **_where(item)
            )
        return (), None
    mv = seq[0]
    elem = mv.get_item(_TAG_NUMERIC_VALUE)
    raw: Any = None if elem is None else elem.value
    numbers = decimals(raw, ctx, path=item.path, concept=item.concept_str)
    if not numbers:
        ctx.add(FindingCode.VALUE_EMPTY, "NUM item without a numeric value", **_where(item))
        return (), None
    return numbers, _unit_of(mv, item, ctx)


def read_quantities(
    item: ContentItem, ctx: ParseContext, *, to_unit: str, expect_unit: str | None = None
) -> tuple[Quantity, ...]:
    """Every value of a NUM item converted to ``to_unit``.

    ``expect_unit`` is the unit the template prescribes; another (convertible) unit is
    converted with a finding. An inconvertible unit drops the value with a finding.
    """
    numbers, unit = read_numbers(item, ctx)
    if not numbers or unit is None:
        return ()
    try:
        factor = conversion_factor(unit, to_unit)
    except Exception:
        ctx.add(
            FindingCode.UNIT_INCONVERTIBLE,
            f"unit {unit!r} cannot be converted to {to_unit!r}; value not used",
            **_where(item),
        )
        return ()
    if expect_unit is not None and unit != expect_unit:
        ctx.add(
            FindingCode.UNIT_UNEXPECTED,
            f"unit {unit} where the template prescribes {expect_unit}; converted",
            **_where(item),
        )
    return tuple(Quantity(n * factor, to_unit) for n in numbers)


def read_quantity(
    item: ContentItem, ctx: ParseContext, *, to_unit: str, expect_unit: str | None = None
) -> Quantity | None:
    values = read_quantities(item, ctx, to_unit=to_unit, expect_unit=expect_unit)
    if len(values) > 1:
        ctx.add(
            FindingCode.VALUE_MULTIPLE,
            f"{len(values)} values where one is expected; the first is used",
            **_where(item),
        )
    return values[0] if values else None


# ------------------------------------------------------------- child-of-parent shorthands


def num_of(
    parent: ContentItem,
    concept: Code,
    ctx: ParseContext,
    *,
    to_unit: str,
    expect_unit: str | None = None,
) -> Quantity | None:
    item = parent.first(concept)
    if item is None:
        return None
    return read_quantity(item, ctx, to_unit=to_unit, expect_unit=expect_unit)


def count_of(parent: ContentItem, concept: Code, ctx: ParseContext) -> int | None:
    """A NUM item holding a count (any annotation unit), as int."""
    item = parent.first(concept)
    if item is None:
        return None
    numbers, _unit = read_numbers(item, ctx)
    if not numbers:
        return None
    if not float(numbers[0]).is_integer():
        ctx.add(
            FindingCode.VALUE_NOT_INTEGER, f"count {numbers[0]} is not an integer", **_where(item)
        )
    return round(numbers[0])


def code_of(parent: ContentItem, concept: Code, ctx: ParseContext) -> Code | None:
    item = parent.first(concept)
    return None if item is None else read_code(item, ctx)


def codes_of(parent: ContentItem, concept: Code, ctx: ParseContext) -> tuple[Code, ...]:
    out = (read_code(item, ctx) for item in parent.all(concept))
    return tuple(c for c in out if c is not None)


def text_of(parent: ContentItem, concept: Code) -> str | None:
    item = parent.first(concept)
    return None if item is None else read_text(item)


def uid_of(parent: ContentItem, concept: Code, ctx: ParseContext) -> str | None:
    item = parent.first(concept)
    return None if item is None else read_uid(item, ctx)


def datetime_of(parent: ContentItem, concept: Code, ctx: ParseContext) -> datetime | None:
    item = parent.first(concept)
    return None if item is None else read_datetime(item, ctx)


def require_event_uid(parent: ContentItem, concept: Code, ctx: ParseContext) -> str | None:
    """The mandatory event UID of an event container (TID 10003/10013/10022).

    Missing, the event is kept: its dose is intact but it has no identity, so the ledger
    cannot de-duplicate it by UID — a WARNING ``event.uid_missing`` in every template.
    """
    item = parent.first(concept)
    if item is None:
        scheme, value = code_key(concept)
        ctx.add(
            FindingCode.EVENT_UID_MISSING,
            f"{concept.meaning} ({scheme}:{value}) is missing; event kept without identity "
            "(the ledger cannot de-duplicate it by UID)",
            path=parent.path or "root",
            concept=f"{scheme}:{value}",
        )
        return None
    return read_uid(item, ctx)


def require(
    parent: ContentItem, concept: Code, ctx: ParseContext, *, what: str
) -> ContentItem | None:
    """A mandatory child: present, or an ERROR finding naming the concept and path."""
    item = parent.first(concept)
    if item is None:
        ctx.add(
            FindingCode.TEMPLATE_MISSING_MANDATORY,
            f"mandatory {what} ({code_key(concept)[0]}:{code_key(concept)[1]} "
            f"{concept.meaning}) is missing",
            path=parent.path or "root",
            concept=f"{code_key(concept)[0]}:{code_key(concept)[1]}",
        )
    return item
