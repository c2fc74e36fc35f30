"""Vendor quirks as data: each row of ``data/quirks.csv`` names the test file that proves it.

Parsers never test ``manufacturer == ...``; they ask this table. Rows of kind
``unit_alias`` map a raw unit string to UCUM; ``scheme_alias`` maps a coding scheme
designator. Other kinds document deviations handled by a generic code path (TEXT where
CODE is expected, dose report in Enhanced SR, ...) so that every finding can name its
quirk and the evidence.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.finding_codes import FindingCode

_REQUIRED = (
    "quirk_id",
    "kind",
    "manufacturer_pattern",
    "model_pattern",
    "match",
    "replacement",
    "finding_code",
    "evidence_file",
    "description",
)


@dataclass(frozen=True, slots=True)
class Quirk:
    quirk_id: str
    kind: str
    manufacturer_pattern: re.Pattern[str]
    model_pattern: re.Pattern[str]
    match: str
    replacement: str
    finding_code: FindingCode
    evidence_file: str
    description: str

    def applies_to(self, manufacturer: str | None, model: str | None) -> bool:
        return bool(
            self.manufacturer_pattern.fullmatch(manufacturer or "")
            and self.model_pattern.fullmatch(model or "")
        )


@functools.cache
def all_quirks() -> tuple[Quirk, ...]:
    """Every quirk row, validated once."""
    text = resources.files("rdsr_parsers").joinpath("data/quirks.csv").read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(reader.fieldnames) != _REQUIRED:
        raise ReferenceDataError(f"quirks.csv columns must be {_REQUIRED}")
    rows: list[Quirk] = []
    seen: set[str] = set()
    for row in reader:
        qid = row["quirk_id"]
        if qid in seen:
            raise ReferenceDataError(f"quirks.csv: duplicate quirk_id {qid}")
        seen.add(qid)
        try:
            finding_code = FindingCode.from_code(row["finding_code"])
        except ValueError as exc:
            raise ReferenceDataError(
                f"quirks.csv {qid}: finding code {row['finding_code']!r} is not in the catalogue"
            ) from exc
        rows.append(
            Quirk(
                quirk_id=qid,
                kind=row["kind"],
                manufacturer_pattern=re.compile(row["manufacturer_pattern"], re.IGNORECASE),
                model_pattern=re.compile(row["model_pattern"], re.IGNORECASE),
                match=row["match"],
                replacement=row["replacement"],
                finding_code=finding_code,
                evidence_file=row["evidence_file"],
                description=row["description"],
            )
        )
    return tuple(rows)


@functools.cache
def _by_kind_and_match() -> dict[tuple[str, str], tuple[Quirk, ...]]:
    table: dict[tuple[str, str], list[Quirk]] = {}
    for quirk in all_quirks():
        table.setdefault((quirk.kind, quirk.match), []).append(quirk)
    return {key: tuple(value) for key, value in table.items()}


def lookup(kind: str, match: str, manufacturer: str | None, model: str | None) -> Quirk | None:
    """The first quirk of ``kind`` whose ``match`` equals ``match`` and applies to the device."""
    for quirk in _by_kind_and_match().get((kind, match), ()):
        if quirk.applies_to(manufacturer, model):
            return quirk
    return None


def by_id(quirk_id: str) -> Quirk:
    for quirk in all_quirks():
        if quirk.quirk_id == quirk_id:
            return quirk
    raise ReferenceDataError(f"no quirk {quirk_id!r} in quirks.csv")
