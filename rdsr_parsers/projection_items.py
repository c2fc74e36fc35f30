"""Item access shared by the projection X-ray readers (TID 10001-10007).

A container's direct children are indexed once by normalised concept key
(:class:`Items`), so that reading the ~50 items of an Irradiation Event X-Ray Data
container costs one pass over its children instead of one scan per concept. Readers
return values with their canonical units and leave findings in the ParseContext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey, code_key, normalise_key
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.units import Quantity
from rdsr_parsers import quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import (
    ContentItem,
    read_code,
    read_datetime,
    read_numbers,
    read_quantities,
    read_text,
)


class Items:
    """The direct children of one content item, indexed by concept key in one pass."""

    __slots__ = ("_by_key", "parent")

    def __init__(self, parent: ContentItem) -> None:
        self.parent = parent
        by_key: dict[CodeKey, list[ContentItem]] = {}
        for child in parent.children:
            found = by_key.get(child.concept)
            if found is None:
                by_key[child.concept] = [child]
            else:
                found.append(child)
        self._by_key = by_key

    @property
    def path(self) -> str:
        return self.parent.path or "root"

    def has(self, key: CodeKey) -> bool:
        return key in self._by_key

    def first(self, key: CodeKey) -> ContentItem | None:
        found = self._by_key.get(key)
        return None if found is None else found[0]

    def all(self, key: CodeKey) -> list[ContentItem]:
        return self._by_key.get(key, [])

    # ---------------------------------------------------------------- typed readers

    def quantity(
        self, key: CodeKey, ctx: ParseContext, *, to_unit: str, expect_unit: str | None = None
    ) -> Quantity | None:
        """The first value of the first item with this concept, in ``to_unit``.

        Several values in one item (per-pulse arrays) are not an error for a scalar
        field: the first is kept and a WARNING says so (sr.read_quantity).
        """
        item = self.first(key)
        if item is None:
            return None
        values = read_quantities(item, ctx, to_unit=to_unit, expect_unit=expect_unit)
        if len(values) > 1:
            ctx.add(
                FindingCode.VALUE_MULTIPLE,
                f"{len(values)} values where one is expected; the first is used",
                path=item.path,
                concept=item.concept_str,
            )
        return values[0] if values else None

    def quantities(
        self, key: CodeKey, ctx: ParseContext, *, to_unit: str, expect_unit: str | None = None
    ) -> tuple[Quantity, ...]:
        """Every value of every item with this concept (per-pulse arrays kept in order)."""
        out: list[Quantity] = []
        for item in self.all(key):
            out.extend(read_quantities(item, ctx, to_unit=to_unit, expect_unit=expect_unit))
        return tuple(out)

    def count(self, key: CodeKey, ctx: ParseContext) -> Quantity | None:
        """A counted NUM (unit "1" or a UCUM annotation such as {pulses}) as a unit-1 value."""
        item = self.first(key)
        if item is None:
            return None
        numbers, unit = read_numbers(item, ctx)
        if not numbers:
            return None
        if unit is not None and unit != "1" and not (unit.startswith("{") and unit.endswith("}")):
            ctx.add(
                FindingCode.UNIT_UNEXPECTED,
                f"unit {unit} for a count; value kept as a count",
                path=item.path,
                concept=item.concept_str,
            )
        return Quantity(numbers[0], "1")

    def integer(self, key: CodeKey, ctx: ParseContext) -> int | None:
        counted = self.count(key, ctx)
        if counted is None:
            return None
        if not float(counted.value).is_integer():
            item = self.first(key)
            ctx.add(
                FindingCode.VALUE_NOT_INTEGER,
                f"count {counted.value} is not an integer; rounded",
                path=None if item is None else item.path,
                concept=None if item is None else item.concept_str,
            )
        return round(counted.value)

    def code(self, key: CodeKey, ctx: ParseContext) -> Code | None:
        item = self.first(key)
        return None if item is None else read_coded(item, ctx)

    def text(self, key: CodeKey) -> str | None:
        item = self.first(key)
        return None if item is None else read_text(item)

    def date_time(self, key: CodeKey, ctx: ParseContext) -> datetime | None:
        item = self.first(key)
        return None if item is None else read_datetime(item, ctx)


def read_coded(item: ContentItem, ctx: ParseContext) -> Code | None:
    """A CODE item's value; a DCM-labelled SNOMED-RT value is re-read by quirk (with finding).

    DCM code values are numeric; a value such as ``C-120F9`` under scheme ``DCM`` is a
    SNOMED-RT code sent with the wrong scheme designator (quirks.csv kind
    ``code_scheme_alias``).
    """
    code = read_code(item, ctx)
    if code is None or code.scheme_designator != "DCM" or code.value.isdigit():
        return code
    alias = quirks.lookup("code_scheme_alias", "DCM", ctx.manufacturer, ctx.model)
    if alias is None:
        ctx.add(
            FindingCode.CODE_WRONG_SCHEME,
            f"non-numeric value {code.value!r} under scheme DCM; kept as sent",
            path=item.path,
            concept=item.concept_str,
        )
        return code
    scheme, value = normalise_key(alias.replacement, code.value)
    ctx.add(
        alias.finding_code,
        f"code DCM:{code.value} read as {alias.replacement}:{code.value} -> {scheme}:{value} "
        f"(quirk {alias.quirk_id})",
        path=item.path,
        concept=item.concept_str,
    )
    return Code(value, scheme, code.meaning)


def code_or_text(item: ContentItem, ctx: ParseContext) -> Code | str | None:
    """A CODE item's value or a TEXT item's text, without a finding (callers aggregate).

    Used for Reference Point Definition (113780), which TID 10002/10003 allow as TEXT
    or CODE; the reader records one finding per report for the TEXT form.
    """
    if item.value_type == "TEXT":
        return read_text(item)
    return read_coded(item, ctx)


def key(code: Code) -> CodeKey:
    """Shorthand kept for readability in the readers' key tables."""
    return code_key(code)


K_ACQUISITION_PLANE = key(codes.ACQUISITION_PLANE)
K_REFERENCE_POINT_DEFINITION = key(codes.REFERENCE_POINT_DEFINITION)
K_COMMENT = key(codes.COMMENT)
K_LATERALITY = key(codes.LATERALITY)


@dataclass(slots=True)
class Notes:
    """Deviations that repeat in every event of a report, reported once with a count.

    Each list holds the content paths where the deviation was seen.
    """

    text_reference_points: list[str] = field(default_factory=list)
    retired_exposure_time: list[str] = field(default_factory=list)
    misplaced_orientation_modifier: list[str] = field(default_factory=list)
    per_pulse_values: list[str] = field(default_factory=list)

    def flush(self, ctx: ParseContext) -> None:
        """Record one finding per kind of deviation seen."""
        if self.text_reference_points:
            ctx.add(
                FindingCode.VALUE_TEXT_FOR_CODE,
                f"Reference Point Definition sent as TEXT in {len(self.text_reference_points)} "
                "item(s) (TID 10002/10003 allow TEXT when no CODE is sent; CID 10025 code "
                "preferred); text kept",
                path=_paths(self.text_reference_points),
                concept=_concept(codes.REFERENCE_POINT_DEFINITION),
            )
        if self.retired_exposure_time:
            ctx.add(
                FindingCode.CODE_RETIRED,
                f"retired Exposure Time DCM:113735 used in {len(self.retired_exposure_time)} "
                "event(s) instead of DCM:113824 (TID 10003B); read the same way",
                path=_paths(self.retired_exposure_time),
                concept=_concept(codes.PROJECTION_EXPOSURE_TIME),
            )
        if self.misplaced_orientation_modifier:
            ctx.add(
                FindingCode.TEMPLATE_MISPLACED_ITEM,
                "Patient Orientation Modifier sent beside Patient Orientation instead of as "
                f"its concept modifier in {len(self.misplaced_orientation_modifier)} event(s); "
                "read as its modifier",
                path=_paths(self.misplaced_orientation_modifier),
                concept=_concept(codes.PATIENT_ORIENTATION_MODIFIER),
            )
        if self.per_pulse_values:
            ctx.add(
                FindingCode.VALUE_PER_PULSE,
                f"{len(self.per_pulse_values)} NUM item(s) carry one value per pulse "
                "(multi-valued Numeric Value); all values kept in order",
                path=_paths(self.per_pulse_values),
            )


def _paths(paths: list[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown if len(paths) <= 3 else f"{shown}, ... ({len(paths)} in all)"


def _concept(code: Code) -> str:
    scheme, value = code_key(code)
    return f"{scheme}:{value}"
