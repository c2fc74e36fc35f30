"""Findings: tolerable deviations recorded while reading or estimating, and strictness."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dosewatch.domain.finding_codes import FindingCode, Severity

__all__ = ["Finding", "FindingCode", "Severity", "Strictness"]


class Strictness(enum.Enum):
    """How deviations are treated (modelled on pydicom's IGNORE/WARN/RAISE).

    * ``LENIENT``: record every deviation as a finding, recover whatever can be recovered.
    * ``STANDARD``: as LENIENT, but ERROR-severity findings raise.
    * ``STRICT``: every WARNING or ERROR finding raises :class:`StrictnessError`.
    """

    LENIENT = "lenient"
    STANDARD = "standard"
    STRICT = "strict"

    def raises_at(self) -> Severity | None:
        """The lowest severity that becomes an error, or None."""
        if self is Strictness.STRICT:
            return Severity.WARNING
        if self is Strictness.STANDARD:
            return Severity.ERROR
        return None


@dataclass(frozen=True, slots=True)
class Finding:
    """One recorded deviation.

    ``code`` is a member of the finding catalogue (:class:`FindingCode`), which fixes the
    severity; ``content_path`` is the SR content path (``1.4.2``) or the DICOM tag
    (``(0018,115E)``) where it was seen; ``concept`` is ``SCHEME:VALUE``.
    """

    code: FindingCode
    message: str
    content_path: str | None = None
    concept: str | None = None

    @property
    def severity(self) -> Severity:
        """The catalogue's severity of :attr:`code`."""
        return self.code.severity

    def __str__(self) -> str:
        where = f" at {self.content_path}" if self.content_path else ""
        return f"[{self.severity}] {self.code}{where}: {self.message}"
