"""Per-parse state: where we are (file, SOP Instance UID) and the findings recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from dosewatch.domain.errors import StrictnessError
from dosewatch.domain.findings import Finding, Severity, Strictness


@dataclass(slots=True)
class ParseContext:
    """Collects findings for one object and escalates them by ``strictness``.

    One context per parse call: parsers stay stateless functions of their input.
    """

    strictness: Strictness = Strictness.LENIENT
    file: str | None = None
    sop_instance_uid: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        path: str | None = None,
        concept: str | None = None,
    ) -> None:
        finding = Finding(severity, code, message, path, concept)
        threshold = self.strictness.raises_at()
        if threshold is not None and severity >= threshold:
            raise StrictnessError(
                f"{code}: {message} (strictness {self.strictness.value})",
                file=self.file,
                sop_instance_uid=self.sop_instance_uid,
                content_path=path,
                concept=concept,
            )
        self.findings.append(finding)

    def info(self, code: str, message: str, **where: str | None) -> None:
        self.add(Severity.INFO, code, message, **where)

    def warn(self, code: str, message: str, **where: str | None) -> None:
        self.add(Severity.WARNING, code, message, **where)

    def error(self, code: str, message: str, **where: str | None) -> None:
        self.add(Severity.ERROR, code, message, **where)
