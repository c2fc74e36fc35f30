"""Tolerant readers of image-header attributes (numbers, codes, materials, laterality).

Numeric string attributes (DS, IS) are decoded from their raw bytes through
:func:`rdsr_parsers.values.decimals`, so vendor bugs (comma inside DS, decimals in IS)
become findings instead of pydicom warnings or exceptions; binary numbers (FD, FL, US...)
are decoded by pydicom. Findings name the attribute by its tag, ``(0018,115E)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sr.coding import Code
from pydicom.tag import BaseTag, Tag

from dosewatch.domain import codes
from dosewatch.domain.codes import normalise_key
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.units import Quantity
from rdsr_parsers import header, quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.values import as_text, decimals

_TEXT_NUMBER_VRS: Final = frozenset({"DS", "IS"})
_BINARY_NUMBER_VRS: Final = frozenset({"FD", "FL", "US", "SS", "UL", "SL", "UV", "SV"})

#: filter / anode material words seen in (0018,7050) and (0018,1191), and their codes
MATERIAL_WORDS: Final[dict[str, Code]] = {
    "ALUMINUM": codes.ALUMINUM,
    "ALUMINIUM": codes.ALUMINUM,
    "AL": codes.ALUMINUM,
    "COPPER": codes.COPPER,
    "CU": codes.COPPER,
    "MOLYBDENUM": codes.MOLYBDENUM,
    "MO": codes.MOLYBDENUM,
    "RHODIUM": codes.RHODIUM,
    "RH": codes.RHODIUM,
    "TUNGSTEN": codes.TUNGSTEN,
    "W": codes.TUNGSTEN,
    "SILVER": codes.SILVER,
    "AG": codes.SILVER,
}

#: Image Laterality (0020,0062) / Laterality (0020,0060) letters
LATERALITY_LETTERS: Final[dict[str, Code]] = {
    "R": codes.RIGHT,
    "L": codes.LEFT,
    "B": codes.RIGHT_AND_LEFT,
    "U": codes.UNPAIRED,
}


def tag_str(tag: int) -> str:
    """``(GGGG,EEEE)`` for findings."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _tag(keyword: str) -> BaseTag:
    tag = tag_for_keyword(keyword)
    if tag is None:  # a programming error, not an input error
        raise KeyError(f"unknown DICOM keyword {keyword}")
    return Tag(tag)


def numbers_at(ds: Dataset, tag: int, ctx: ParseContext) -> tuple[float, ...]:
    """Every number of the element ``tag`` of ``ds`` (empty when absent or empty)."""
    elem = ds.get_item(tag)
    if elem is None:
        return ()
    declared = elem.VR
    vr = declared
    if vr in (None, "UN"):
        try:
            vr = dictionary_VR(tag)
        except KeyError:  # private element without dictionary entry: text if sent as UN
            vr = "DS" if declared == "UN" else ""
    if vr in _TEXT_NUMBER_VRS:
        raw: object = elem.value
        if isinstance(raw, MultiValue):
            raw = list(raw)
        return decimals(raw, ctx, path=tag_str(tag), concept=None, vr=vr)
    if vr not in _BINARY_NUMBER_VRS or declared == "UN":
        return ()
    value = ds[tag].value
    if value is None:
        return ()
    if isinstance(value, MultiValue | list | tuple):
        return tuple(float(v) for v in value)
    return (float(value),)


def numbers(ds: Dataset, keyword: str, ctx: ParseContext) -> tuple[float, ...]:
    return numbers_at(ds, _tag(keyword), ctx)


def number(ds: Dataset, keyword: str, ctx: ParseContext) -> float | None:
    values = numbers(ds, keyword, ctx)
    return values[0] if values else None


def quantity(
    ds: Dataset, keyword: str, unit: str, ctx: ParseContext, *, to_unit: str | None = None
) -> Quantity | None:
    """The first number of ``keyword`` in the unit the IOD defines, converted to ``to_unit``.

    ``unit`` may carry a decimal scale for units outside the UCUM table: ``"1e-3 mA"``
    reads X-Ray Tube Current in uA (0018,8151).
    """
    value = number(ds, keyword, ctx)
    if value is None:
        return None
    scale, _, base = unit.rpartition(" ")
    q = Quantity(value * float(scale), base) if scale else Quantity(value, unit)
    return q if to_unit is None else q.to(to_unit)


def first_quantity(
    ds: Dataset, candidates: Iterable[tuple[str, str]], to_unit: str, ctx: ParseContext
) -> Quantity | None:
    """The first present of several attributes (most precise first), as ``to_unit``."""
    for keyword, unit in candidates:
        value = quantity(ds, keyword, unit, ctx, to_unit=to_unit)
        if value is not None:
            return value
    return None


def text(ds: Dataset, keyword: str) -> str | None:
    return header.text(ds, keyword)


def texts(ds: Dataset, keyword: str) -> tuple[str, ...]:
    """Every value of a multi-valued string attribute."""
    value = text(ds, keyword)
    if value is None:
        return ()
    return tuple(part.strip() for part in value.split("\\") if part.strip())


def code_from(item: Dataset, ctx: ParseContext, *, path: str) -> Code | None:
    """A code sequence item as a Code (legacy SNOMED-RT mapped to SCT).

    A private scheme listed in the quirks table (kind ``code_scheme_alias``) is read as
    the scheme it stands for, with the quirk's finding.
    """
    scheme = as_text(item.get("CodingSchemeDesignator"))
    value = as_text(item.get("CodeValue")) or as_text(item.get("LongCodeValue"))
    meaning = header.text(item, "CodeMeaning")
    if not scheme or not value:
        ctx.add(
            FindingCode.VALUE_EMPTY_CODE, "code sequence item without value or scheme", path=path
        )
        return None
    alias = quirks.lookup("code_scheme_alias", scheme, ctx.manufacturer, ctx.model)
    if alias is not None:
        key = normalise_key(alias.replacement, value)
        ctx.add(
            alias.finding_code,
            f"code {scheme}:{value} in a private scheme read as {alias.replacement} "
            f"{value} = {key[0]}:{key[1]} (quirk {alias.quirk_id})",
            path=path,
        )
        return Code(key[1], key[0], meaning or key[1])
    key = normalise_key(scheme, value)
    return Code(key[1], key[0], meaning or key[1])


def code_in(ds: Dataset, keyword: str, ctx: ParseContext) -> Code | None:
    """The first item of a code sequence attribute, or None."""
    seq = ds.get(keyword)
    if not seq:
        return None
    return code_from(seq[0], ctx, path=tag_str(_tag(keyword)))


def material_code(word: str) -> Code | None:
    """The CID 10006 code of a material word (ALUMINUM, CU, MOLYBDENUM...), or None."""
    return MATERIAL_WORDS.get(word.strip().upper())


def laterality(ds: Dataset) -> tuple[str | None, Code | None]:
    """(letter, code) from Image Laterality (0020,0062), else Laterality (0020,0060)."""
    for keyword in ("ImageLaterality", "Laterality"):
        letter = text(ds, keyword)
        if letter:
            letter = letter.upper()
            return letter, LATERALITY_LETTERS.get(letter)
    return None, None
