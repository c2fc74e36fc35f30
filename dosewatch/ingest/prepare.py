"""The stateless steps of ingest: read the bytes, SHA-256, parse, estimate.

They are pure functions of the object, so any process — this one, a local ``--workers N``
pool, a Celery worker on another host — runs them unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import organ_models
from dosewatch.domain.errors import DoseWatchError, InvalidValueError
from dosewatch.domain.estimate import Estimate
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import DoseReport
from dosewatch.ledger import dedup, quarantine
from dosewatch.ledger import estimates as estimate_ledger
from organ_models import EstimationSettings, ReferencePolicy, patient_from_report
from rdsr_parsers import ParseResult, parse

ParseFn = Callable[..., ParseResult]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file read, hashed, parsed and estimated — or rejected with a reason."""

    sha256: str
    label: str | None
    result: ParseResult | None = None
    rejection: quarantine.Rejection | None = None
    data: bytes | None = field(default=None, repr=False)  # kept only for rejected objects
    estimates: tuple[Estimate, ...] = ()
    estimate_findings: tuple[Finding, ...] = ()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def estimate_report(
    report: DoseReport, allow_indicative: bool = False
) -> tuple[tuple[Estimate, ...], tuple[Finding, ...]]:
    """Organ-model estimates and findings (``organ_models.estimate_with_reasons``).

    A :class:`DoseWatchError` from the models never blocks recording: it becomes a finding.
    """
    settings = EstimationSettings(policy=ReferencePolicy(allow_indicative=allow_indicative))
    try:
        # estimates name their event by its ledger key, so UID-less events keep theirs
        keyed = dedup.keyed_for_estimation(report)
        result = organ_models.estimate_with_reasons(keyed, patient_from_report(report), settings)
    except DoseWatchError as exc:
        return (), (Finding(FindingCode.MODEL_FAILED, f"{exc.code}: {exc.message}"),)
    # what was not estimated, and why, is kept for the completeness of cumulative sums
    refused = tuple(estimate_ledger.not_estimated_finding(n) for n in result.not_estimated)
    return tuple(result.estimates), tuple(result.findings) + refused


def prepare_bytes(
    data: bytes,
    label: str | None,
    parser: ParseFn = parse,
    *,
    with_estimates: bool = True,
    allow_indicative: bool = False,
) -> Prepared:
    """Parse and estimate one object (stateless)."""
    digest = sha256_of(data)
    try:
        result = parser(data, name=label)
    except DoseWatchError as exc:
        rejection = quarantine.Rejection(exc.code, str(exc), exc.sop_instance_uid)
        return Prepared(digest, label, rejection=rejection, data=data)
    report = result.report
    missing = [
        name
        for name, value in (
            ("SOP Instance UID", report.sop_instance_uid),
            ("Study Instance UID", report.study.study_instance_uid),
        )
        if not value
    ]
    if missing:
        invalid = InvalidValueError(
            f"{' and '.join(missing)} absent: the object cannot be ledgered"
        )
        rejection = quarantine.Rejection(
            invalid.code, str(invalid), report.sop_instance_uid or None
        )
        return Prepared(digest, label, rejection=rejection, data=data)
    estimates: tuple[Estimate, ...] = ()
    estimate_findings: tuple[Finding, ...] = ()
    if with_estimates:
        estimates, estimate_findings = estimate_report(report, allow_indicative)
    return Prepared(digest, label, result, estimates=estimates, estimate_findings=estimate_findings)


def read_file(path: Path) -> bytes | quarantine.Rejection:
    try:
        return path.read_bytes()
    except OSError as exc:
        return quarantine.Rejection("input.unreadable", f"cannot read file: {exc.strerror}")
