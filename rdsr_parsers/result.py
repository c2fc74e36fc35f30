"""What a parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from dosewatch.domain.findings import Finding, Severity
from dosewatch.domain.report import DoseReport


@dataclass(frozen=True, slots=True)
class ParseResult:
    """A dose report and every deviation recorded while reading it."""

    report: DoseReport
    findings: tuple[Finding, ...]
    #: which decoder read the values ("lean", "pydicom" or "dataset") and why pydicom, if so;
    #: not part of equality: the two decoders must give equal results
    decoder: str = field(default="pydicom", compare=False)
    decoder_reason: str | None = field(default=None, compare=False)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
