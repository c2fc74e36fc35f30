"""Tolerant decoding of DICOM value representations seen broken in real files.

Each function takes the raw text of one element, returns the decoded value (or None) and
records a finding in the context whenever it had to repair or drop something. Nothing
here touches pydicom's global settings.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time

from pydicom.multival import MultiValue

from dosewatch.domain.finding_codes import FindingCode
from rdsr_parsers.context import ParseContext

_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
_AGE_RE = re.compile(r"^(\d{1,3})\s*([DWMY])$", re.IGNORECASE)
_AGE_UNITS = {"D": "d", "W": "wk", "M": "mo", "Y": "a"}
_AGE_LIMIT_YEARS = 150.0


def as_text(raw: object) -> str | None:
    """Decode bytes as ASCII-compatible text; strip padding; '' -> None."""
    if raw is None:
        return None
    text = bytes(raw).decode("latin-1") if isinstance(raw, bytes | bytearray) else str(raw)
    text = text.strip(" \x00\t\r\n")
    return text or None


def decimals(
    raw: object, ctx: ParseContext, *, path: str | None, concept: str | None, vr: str = "DS"
) -> tuple[float, ...]:
    """All numbers of a multi-valued DS/IS (backslash separated), repairing vendor bugs.

    Repairs, each with a finding: decimal comma ("1,5"), comma or slash used as a value
    separator inside one value ("1.06,0.206"), decimals inside IS ("40.196").
    Non-finite and undecodable parts are dropped with a finding.
    """
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _finite((float(raw),), ctx, path=path, concept=concept)
    if isinstance(raw, list | tuple | MultiValue):  # MultiValue: an already decoded DS/IS
        out: list[float] = []
        for part in raw:
            out.extend(decimals(part, ctx, path=path, concept=concept, vr=vr))
        return tuple(out)
    text = as_text(raw)
    if text is None:
        return ()
    values: list[float] = []
    for part in text.split("\\"):
        values.extend(_one_decimal(part.strip(), ctx, path=path, concept=concept, vr=vr))
    return _finite(tuple(values), ctx, path=path, concept=concept)


def _finite(
    values: tuple[float, ...], ctx: ParseContext, *, path: str | None, concept: str | None
) -> tuple[float, ...]:
    if all(math.isfinite(v) for v in values):
        return values
    ctx.add(FindingCode.VALUE_NOT_FINITE, "non-finite number dropped", path=path, concept=concept)
    return tuple(v for v in values if math.isfinite(v))


def _one_decimal(
    part: str, ctx: ParseContext, *, path: str | None, concept: str | None, vr: str
) -> list[float]:
    if not part:
        return []
    if _FLOAT_RE.match(part):
        value = float(part)
        if vr == "IS" and not value.is_integer():
            ctx.add(
                FindingCode.ENCODING_DECIMAL_IN_IS,
                f"decimal value {part!r} in an integer (IS) element, kept as a decimal",
                path=path,
                concept=concept,
            )
        return [value]
    if _DECIMAL_COMMA_RE.match(part):
        ctx.add(
            FindingCode.ENCODING_DECIMAL_COMMA,
            f"decimal comma in {part!r}, read as {part.replace(',', '.')}",
            path=path,
            concept=concept,
        )
        return [float(part.replace(",", "."))]
    for separator in (",", "/", ";"):
        pieces = [p.strip() for p in part.split(separator)]
        if len(pieces) > 1 and all(_FLOAT_RE.match(p) for p in pieces):
            ctx.add(
                FindingCode.ENCODING_SEPARATOR_IN_VALUE,
                f"{separator!r} used as a value separator inside {part!r}; "
                f"read as {len(pieces)} values",
                path=path,
                concept=concept,
            )
            return [float(p) for p in pieces]
    ctx.add(
        FindingCode.ENCODING_NOT_A_NUMBER,
        f"value {part[:32]!r} is not a number; dropped",
        path=path,
        concept=concept,
    )
    return []


def first_decimal(
    raw: object, ctx: ParseContext, *, path: str | None, concept: str | None, vr: str = "DS"
) -> float | None:
    """The first number of a DS/IS value (findings as in :func:`decimals`)."""
    values = decimals(raw, ctx, path=path, concept=concept, vr=vr)
    return values[0] if values else None


def parse_date(raw: object, ctx: ParseContext, *, path: str | None) -> date | None:
    """DA (YYYYMMDD); tolerates '.', '-' or '/' separators with a finding."""
    text = as_text(raw)
    if text is None:
        return None
    digits = text
    if not (len(text) == 8 and text.isdigit()):
        digits = re.sub(r"[./-]", "", text)
        if len(digits) == 8 and digits.isdigit():
            ctx.add(
                FindingCode.ENCODING_DATE_SEPARATOR, f"date {text!r} with separators", path=path
            )
    try:
        return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except (ValueError, IndexError):
        ctx.add(
            FindingCode.ENCODING_INVALID_DATE, f"invalid date {text[:20]!r}; ignored", path=path
        )
        return None


def parse_time(raw: object, ctx: ParseContext, *, path: str | None) -> time | None:
    """TM (HHMMSS.FFFFFF, any prefix); tolerates ':' separators."""
    text = as_text(raw)
    if text is None:
        return None
    clean = text.replace(":", "")
    match = re.match(r"^(\d{2})(\d{2})?(\d{2})?(\.(\d{1,6}))?$", clean)
    if not match:
        ctx.add(
            FindingCode.ENCODING_INVALID_TIME, f"invalid time {text[:20]!r}; ignored", path=path
        )
        return None
    try:
        frac = (match.group(5) or "0").ljust(6, "0")
        return time(
            int(match.group(1)),
            int(match.group(2) or 0),
            min(int(match.group(3) or 0), 59),
            int(frac),
        )
    except ValueError:
        ctx.add(
            FindingCode.ENCODING_INVALID_TIME, f"invalid time {text[:20]!r}; ignored", path=path
        )
        return None


def parse_datetime(raw: object, ctx: ParseContext, *, path: str | None) -> datetime | None:
    """DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX). The UTC offset is dropped (local time kept)."""
    text = as_text(raw)
    if text is None:
        return None
    body = re.split(r"[+-]\d{4}$", text)[0] if len(text) > 8 else text
    match = re.match(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.(\d{1,6}))?$", body)
    if not match:
        ctx.add(
            FindingCode.ENCODING_INVALID_DATETIME,
            f"invalid datetime {text[:26]!r}; ignored",
            path=path,
        )
        return None
    try:
        frac = (match.group(8) or "0").ljust(6, "0")
        return datetime(
            int(match.group(1)),
            int(match.group(2) or 1),
            int(match.group(3) or 1),
            int(match.group(4) or 0),
            int(match.group(5) or 0),
            min(int(match.group(6) or 0), 59),
            int(frac),
        )
    except ValueError:
        ctx.add(
            FindingCode.ENCODING_INVALID_DATETIME,
            f"invalid datetime {text[:26]!r}; ignored",
            path=path,
        )
        return None


def combine(d: date | None, t: time | None) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d, t or time(0, 0))


def parse_age(raw: object, ctx: ParseContext, *, path: str | None) -> tuple[float, str] | None:
    """AS ('037Y'); tolerates missing zero padding; drops ages over 150 years.

    Returns (value, UCUM unit) or None.
    """
    text = as_text(raw)
    if text is None:
        return None
    match = _AGE_RE.match(text)
    if not match:
        ctx.add(
            FindingCode.ENCODING_INVALID_AGE,
            f"invalid age string {text[:12]!r}; ignored",
            path=path,
        )
        return None
    number, letter = int(match.group(1)), match.group(2).upper()
    if len(text) != 4:
        ctx.add(FindingCode.ENCODING_AGE_FORMAT, f"age {text!r} is not in nnnX form", path=path)
    unit = _AGE_UNITS[letter]
    years = {"d": number / 365.25, "wk": number / 52.18, "mo": number / 12.0, "a": float(number)}
    if years[unit] > _AGE_LIMIT_YEARS:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE_AGE,
            f"age {text!r} is over {_AGE_LIMIT_YEARS:g} years (de-identification artefact?); "
            "ignored",
            path=path,
        )
        return None
    return float(number), unit
