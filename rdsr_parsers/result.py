"""What a parser returns."""

from __future__ import annotations

from dataclasses import dataclass

from dosewatch.domain.findings import Finding, Severity
from dosewatch.domain.report import DoseReport


@dataclass(frozen=True, slots=True)
class ParseResult:
    """A dose report and every deviation recorded while reading it."""

    report: DoseReport
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
