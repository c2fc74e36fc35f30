"""Time windows of a cumulative dose: ``12m``, ``5y``, ``all`` or ``FROM:TO`` (ISO dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dosewatch.domain.errors import InvalidValueError

_ROLLING = re.compile(r"^(\d{1,3})([my])$")


@dataclass(frozen=True, slots=True)
class Window:
    """Exams with ``start <= study date <= end``; ``None`` bounds are open.

    A bounded window cannot place an undated study: those are counted only in ``all`` and
    reported as excluded otherwise (never silently dropped).
    """

    label: str
    start: date | None
    end: date | None

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, day: date | None) -> bool:
        if day is None:
            return not self.bounded
        if self.start is not None and day < self.start:
            return False
        return self.end is None or day <= self.end


def _months_back(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    # the same day of the month, clipped (31 March - 1 month = 28/29 February)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def parse_window(text: str, today: date) -> Window:
    """``12m`` / ``5y`` (rolling, ending ``today``, start day included), ``all``, ``FROM:TO``."""
    spec = text.strip().lower()
    if spec in {"all", "lifetime"}:
        return Window("all", None, None)
    match = _ROLLING.match(spec)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        if count == 0:
            raise InvalidValueError(f"window {text!r}: the length must be positive")
        months = count if unit == "m" else 12 * count
        return Window(spec, _months_back(today, months), today)
    if ":" in spec:
        first, _, second = spec.partition(":")
        try:
            start = date.fromisoformat(first) if first else None
            end = date.fromisoformat(second) if second else None
        except ValueError as exc:
            raise InvalidValueError(f"window {text!r}: dates must be YYYY-MM-DD ({exc})") from exc
        if start is not None and end is not None and start > end:
            raise InvalidValueError(f"window {text!r}: FROM is after TO")
        return Window(spec, start, end)
    raise InvalidValueError(f"window {text!r}: expected 12m, 5y, all or FROM:TO (ISO dates)")
