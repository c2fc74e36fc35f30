"""Recompute estimates after a model or reference-table version change (``dosewatch recompute``).

For each current report in scope (oldest report id first) the stored object is read again
from its recorded source file — only when its SHA-256 still equals the one recorded at
ingest, so it is the very object the ledger holds — parsed and estimated by the installed
organ models, and compared slot by slot with the report's stored estimates:

* an estimate whose value, uncertainty, model version or table version changed is
  *replaced*: the old row stays retrievable with its versions (``selection = replaced``,
  never deleted, never counted again) and the new one is added;
* an estimate the models no longer give is replaced by nothing (kept, not counted);
* an estimate identical to the stored one changes nothing (a second run is a no-op).

Then :func:`dosewatch.ledger.estimates.elect` re-decides the study's counted estimates, and
the ``on_changed`` hook (the CLI injects ``dosewatch.cumulative.alerts.on_recorded``)
re-evaluates the person's alerts in the same transaction — raised once, withdrawn where a
threshold is no longer crossed. A report whose object cannot be read again (received over
the network, file moved or changed) is left as it is and reported with the reason.

Each report is one transaction that also records the run's progress
(:class:`~dosewatch.ledger.recompute_models.RecomputeRun`), so a run killed at any point
resumes after the last report it committed, and the result equals an uninterrupted run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from dosewatch.domain import codes
from dosewatch.domain.errors import LedgerError
from dosewatch.domain.estimate import Estimate
from dosewatch.domain.findings import Finding
from dosewatch.ingest.hooks import Checkpoint, RecordedHook, no_checkpoint
from dosewatch.ingest.prepare import Prepared, prepare_bytes, sha256_of
from dosewatch.ingest.writer import FINDING_TABLE, finding_values, inputs_json
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.db import transaction
from dosewatch.ledger.identity import now
from dosewatch.ledger.models import EstimateRow, ReportFinding, ReportRow, ReportStatus, Study
from dosewatch.ledger.recompute_models import RecomputeRun
from dosewatch.settings import Settings

log = logging.getLogger(__name__)

#: the fields whose change makes a stored estimate out of date
_COMPARED = (
    "value",
    "unit",
    "uncertainty_pct",
    "model_version",
    "table_version",
    "indicative",
    "upper_bound",
)
#: origin of the report findings the organ models produced (re-derived by a recompute)
MODEL_FINDINGS = "model"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which estimates a run recomputes: one model id (None: all), studies from a date."""

    model_id: str | None = None
    since: date | None = None


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What a recompute did to one report."""

    sop_instance_uid: str
    replaced: int = 0
    added: int = 0
    unavailable: str | None = None  # why the object could not be read again

    @property
    def changed(self) -> bool:
        return bool(self.replaced or self.added)


@dataclass(slots=True)
class RunSummary:
    """A run's totals (the persisted counters of :class:`RecomputeRun`)."""

    run_id: int
    resumed: bool
    reports_in_scope: int
    reports_done: int = 0
    reports_changed: int = 0
    estimates_replaced: int = 0
    estimates_added: int = 0
    unavailable: list[tuple[str, str]] = field(default_factory=list)  # (SOP UID, reason)
    finished: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "run": self.run_id,
            "resumed": self.resumed,
            "reports_in_scope": self.reports_in_scope,
            "reports_done": self.reports_done,
            "reports_changed": self.reports_changed,
            "estimates_replaced": self.estimates_replaced,
            "estimates_added": self.estimates_added,
            "unavailable": [{"sop_instance_uid": s, "reason": r} for s, r in self.unavailable],
            "finished": self.finished,
        }


# --------------------------------------------------------------------------- comparison


def _slot(estimate: Estimate) -> str:
    basis = None if estimate.basis is None else estimate.basis.value
    target = (estimate.event_uid or estimate_ledger.STUDY_TARGET)[:80]
    return estimate_ledger.slot_key(
        target, estimate.quantity.value, codes.code_str(estimate.organ), basis
    )


def _fields_of(estimate: Estimate) -> tuple[object, ...]:
    return (
        estimate.value.value,
        estimate.value.unit,
        estimate.uncertainty_pct,
        estimate.model_version,
        estimate.table_version,
        estimate.indicative,
        estimate.upper_bound,
    )


def _fields_of_row(row: EstimateRow) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in _COMPARED)


def plan(
    stored: Sequence[EstimateRow], fresh: Sequence[Estimate]
) -> tuple[list[EstimateRow], list[Estimate]]:
    """(stored rows to replace, new estimates to add) for one report (pure).

    Rows and estimates are matched by (slot, model id, origin); a match with the same
    :data:`_COMPARED` fields is kept as it is.
    """
    by_key: dict[tuple[str, str, str], EstimateRow] = {
        (row.slot_key, row.model_id, row.origin): row for row in stored
    }
    replace: list[EstimateRow] = []
    add: list[Estimate] = []
    seen: set[tuple[str, str, str]] = set()
    for estimate in fresh:
        key = (_slot(estimate), estimate.model_id, estimate.origin.value)
        seen.add(key)
        row = by_key.get(key)
        if row is not None and _fields_of_row(row) == _fields_of(estimate):
            continue
        if row is not None:
            replace.append(row)
        add.append(estimate)
    replace.extend(row for key, row in by_key.items() if key not in seen)
    return replace, add


def _why_replaced(row: EstimateRow, fresh: dict[tuple[str, str, str], Estimate], run: int) -> str:
    new = fresh.get((row.slot_key, row.model_id, row.origin))
    if new is None:
        return f"recompute run {run}: the installed models no longer give this estimate"
    return (
        f"replaced by recompute run {run}: {row.model_id} {row.model_version} -> "
        f"{new.model_version}, tables {row.table_version} -> {new.table_version}, "
        f"{row.value:.6g} -> {new.value.value:.6g} {new.value.unit}"
    )


# --------------------------------------------------------------------------- one report


def _reread(settings: Settings, report: ReportRow) -> Prepared | str:
    """The stored object parsed and estimated again, or why it cannot be."""
    path = Path(report.source) if report.source else None
    if path is None or not path.is_file():
        return "the ledger keeps no copy of the object and its recorded source is not a file"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"the source file cannot be read ({type(exc).__name__})"
    if sha256_of(data) != report.sha256:
        return "the source file changed since ingest (SHA-256 differs)"
    prepared = prepare_bytes(
        data, report.source, with_estimates=True, allow_indicative=settings.allow_indicative
    )
    if prepared.result is None:
        reason = prepared.rejection.message if prepared.rejection else "rejected"
        return f"the object is now rejected by the parser: {reason}"
    return prepared


def _refresh_findings(session: Session, report_id: int, findings: Sequence[Finding]) -> None:
    """Make the report's model findings (refusals included) those of the fresh estimate."""
    stored = session.execute(
        select(ReportFinding.code, ReportFinding.message, ReportFinding.concept).where(
            ReportFinding.report_id == report_id, ReportFinding.origin == MODEL_FINDINGS
        )
    ).all()
    wanted = [finding_values(report_id, MODEL_FINDINGS, f) for f in findings]
    if sorted((r.code, r.message, r.concept or "") for r in stored) == sorted(
        (w["code"], w["message"], w["concept"] or "") for w in wanted
    ):
        return
    session.execute(
        delete(ReportFinding).where(
            ReportFinding.report_id == report_id, ReportFinding.origin == MODEL_FINDINGS
        )
    )
    if wanted:
        session.execute(insert(FINDING_TABLE), wanted)


def recompute_report(
    session: Session,
    settings: Settings,
    report: ReportRow,
    scope: Scope,
    run_id: int,
    on_changed: RecordedHook | None = None,
) -> ReportResult:
    """Recompute one report's estimates inside the caller's transaction (see module doc)."""
    prepared = _reread(settings, report)
    if isinstance(prepared, str):
        return ReportResult(report.sop_instance_uid, unavailable=prepared)
    statement = select(Study).where(Study.id == report.study_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()  # the study lock ingest's elect runs under
    study = session.scalars(statement).one()
    fresh = [e for e in prepared.estimates if scope.model_id in (None, e.model_id)]
    stored_query = select(EstimateRow).where(
        EstimateRow.report_id == report.id,
        EstimateRow.selection != estimate_ledger.Selection.REPLACED.value,
    )
    if scope.model_id is not None:
        stored_query = stored_query.where(EstimateRow.model_id == scope.model_id)
    stored = session.scalars(stored_query).all()
    replace, add = plan(stored, fresh)
    _refresh_findings(session, report.id, prepared.estimate_findings)
    if not (replace or add):
        return ReportResult(report.sop_instance_uid)
    by_key = {(_slot(e), e.model_id, e.origin.value): e for e in fresh}
    for row in replace:
        row.current = False
        row.selection = estimate_ledger.Selection.REPLACED.value
        row.selection_reason = _why_replaced(row, by_key, run_id)
    session.flush()  # the replaced rows leave their slots before the new ones are elected
    estimate_ledger.record(session, report, study.id, add, inputs_json)
    if on_changed is not None and study.person_id is not None:
        on_changed(session, study.person_id)
    log.info(
        "recomputed SOP Instance UID %s: %d estimate(s) replaced, %d added",
        report.sop_instance_uid,
        len(replace),
        len(add),
    )
    return ReportResult(report.sop_instance_uid, replaced=len(replace), added=len(add))


# --------------------------------------------------------------------------- a run


def _scope_query(scope: Scope, after: int) -> Select[int]:
    query = (
        select(ReportRow.id)
        .join(Study, Study.id == ReportRow.study_id)
        .where(ReportRow.status == ReportStatus.CURRENT.value, ReportRow.id > after)
        .order_by(ReportRow.id)
    )
    if scope.since is not None:
        query = query.where(Study.study_date >= scope.since)
    return query


def open_run(session: Session, scope: Scope, actor: str) -> tuple[RecomputeRun, bool]:
    """The unfinished run of the same scope (resumed), else a new one."""
    unfinished = session.scalars(
        select(RecomputeRun)
        .where(RecomputeRun.finished_at.is_(None))
        .where(
            RecomputeRun.model_id.is_(None)
            if scope.model_id is None
            else RecomputeRun.model_id == scope.model_id
        )
        .where(
            RecomputeRun.since.is_(None)
            if scope.since is None
            else RecomputeRun.since == scope.since
        )
        .order_by(RecomputeRun.id.desc())
        .limit(1)
    ).first()
    if unfinished is not None:
        return unfinished, True
    run = RecomputeRun(
        model_id=scope.model_id,
        since=scope.since,
        actor=actor[:100],
        started_at=now(),
        last_report_id=0,
        reports_done=0,
        reports_changed=0,
        reports_unavailable=0,
        estimates_replaced=0,
        estimates_added=0,
    )
    session.add(run)
    session.flush()
    return run, False


def _get_run(session: Session, run_id: int) -> RecomputeRun:
    record = session.get(RecomputeRun, run_id)
    if record is None:
        raise LedgerError(f"recompute run {run_id} vanished")
    return record


def run(
    sessions: sessionmaker[Session],
    settings: Settings,
    scope: Scope,
    *,
    actor: str,
    on_changed: RecordedHook | None = None,
    progress: Callable[[int, int], None] | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> RunSummary:
    """Recompute every current report of the scope, resuming an unfinished run of it.

    ``progress(done, total)`` is called after each report (the CLI draws its bar with it);
    ``checkpoint`` after each committed report (crash tests inject one that kills).
    """
    with transaction(sessions) as session:
        opened, resumed = open_run(session, scope, actor)
        run_id, done_before = opened.id, opened.reports_done
        pending: list[int] = list(session.scalars(_scope_query(scope, opened.last_report_id)))
    summary = RunSummary(run_id, resumed, done_before + len(pending), done_before)
    for report_id in pending:
        with transaction(sessions) as session:
            report = session.get(ReportRow, report_id)
            record = _get_run(session, run_id)
            if report is not None and report.status == ReportStatus.CURRENT.value:
                result = recompute_report(session, settings, report, scope, run_id, on_changed)
                record.reports_changed += int(result.changed)
                record.reports_unavailable += int(result.unavailable is not None)
                record.estimates_replaced += result.replaced
                record.estimates_added += result.added
                if result.unavailable is not None:
                    summary.unavailable.append((result.sop_instance_uid, result.unavailable))
            record.reports_done += 1
            record.last_report_id = report_id
        checkpoint("recompute_after_report")
        summary.reports_done += 1
        if progress is not None:
            progress(summary.reports_done, summary.reports_in_scope)
    with transaction(sessions) as session:
        record = _get_run(session, run_id)
        record.finished_at = now()
        summary.reports_changed = record.reports_changed
        summary.estimates_replaced = record.estimates_replaced
        summary.estimates_added = record.estimates_added
        summary.finished = True
    return summary
