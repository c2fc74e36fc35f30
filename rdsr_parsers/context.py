"""Per-parse state: where we are (file, SOP Instance UID) and the findings recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from dosewatch.domain.errors import StrictnessError
from dosewatch.domain.findings import Finding, FindingCode, Strictness


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
    _tallies: dict[FindingCode, list[str | int | None]] = field(default_factory=dict)

    def add(
        self,
        code: FindingCode,
        message: str,
        *,
        path: str | None = None,
        concept: str | None = None,
    ) -> None:
        """Record one finding; its severity is the catalogue's (:class:`FindingCode`)."""
        finding = Finding(code, message, path, concept)
        threshold = self.strictness.raises_at()
        if threshold is not None and code.severity >= threshold:
            raise StrictnessError(
                f"{code}: {message} (strictness {self.strictness.value})",
                file=self.file,
                sop_instance_uid=self.sop_instance_uid,
                content_path=path,
                concept=concept,
            )
        self.findings.append(finding)

    def tally(self, code: FindingCode, example: str, *, path: str | None = None) -> None:
        """Count a repetitive normalisation; one finding per code at the end.

        Used for deviations that recur on every item of a report (legacy SNOMED-RT codes),
        so that the findings stay readable: the first example and path, and the count.
        """
        entry = self._tallies.get(code)
        if entry is None:
            self._tallies[code] = [example, path, 1]
        else:
            entry[2] = int(entry[2] or 0) + 1

    def flush_tallies(self) -> None:
        for code, (example, path, count) in self._tallies.items():
            more = f" (and {int(count or 0) - 1} more such items)" if int(count or 0) > 1 else ""
            self.add(code, f"{example}{more}", path=None if path is None else str(path))
        self._tallies.clear()
