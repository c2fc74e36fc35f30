"""The ingest use case: file → parse → estimate → record, one transaction per report.

Stateless steps (:mod:`dosewatch.ingest.prepare`): read the bytes, SHA-256,
:func:`rdsr_parsers.parse`, organ-model estimates — pure functions of the object, run
unchanged by any process (this one, a ``--workers N`` pool, a Celery worker).

Stateful step (:meth:`Ingestor.record`): one database transaction per report
(:class:`dosewatch.ingest.writer.ReportWriter`), all or nothing. Concurrency is settled by
unique constraints (a losing race raises an integrity error and the whole transaction is
retried, without sleeping) and by the study row lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``). Idempotence: an object
whose SOP Instance UID (or exact bytes) is already recorded changes nothing — which is what
makes at-least-once task delivery exactly-once in effect.

Hooks are injected by the entry point (:mod:`dosewatch.ingest.hooks`), never read from the
environment: per-report hooks inside the transaction, and a :data:`~hooks.Checkpoint` called
at each of :data:`~hooks.KILL_POINTS` (a no-op unless a crash test passes one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dosewatch.domain.errors import LedgerError
from dosewatch.domain.report import DoseReport
from dosewatch.ingest.hooks import (
    KILL_POINTS,
    Checkpoint,
    RecordedHook,
    StudyHook,
    no_checkpoint,
)
from dosewatch.ingest.outcome import Outcome, Status
from dosewatch.ingest.prepare import (
    ParseFn,
    Prepared,
    estimate_report,
    prepare_bytes,
    read_file,
    sha256_of,
)
from dosewatch.ingest.writer import ReportWriter
from dosewatch.ledger import identity, quarantine
from dosewatch.ledger.db import make_engine, session_factory, transaction
from dosewatch.ledger.models import ReportRow, Study
from dosewatch.settings import Settings
from rdsr_parsers import parse, peek_device

__all__ = [
    "KILL_POINTS",
    "MAX_ATTEMPTS",
    "Checkpoint",
    "Ingestor",
    "Outcome",
    "ParseFn",
    "Prepared",
    "RecordedHook",
    "Status",
    "StudyHook",
    "estimate_report",
    "prepare_bytes",
    "read_file",
    "sha256_of",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8

#: work done inside the report's transaction, after the report was written (quarantine retry)
InTransaction = Callable[[Session, Outcome], None]


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in {"40001", "40P01", "55P03"}:
            return True
        return "database is locked" in str(exc.orig)
    return False


class Ingestor:
    """Records prepared objects into one ledger database (one per process)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        *,
        parser: ParseFn = parse,
        with_estimates: bool = True,
        on_recorded: RecordedHook | None = None,
        on_study_recorded: StudyHook | None = None,
        checkpoint: Checkpoint = no_checkpoint,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.effective_database_url())
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.readers: sessionmaker[Session] = session_factory(self.engine, read_only=True)
        self.key = identity.pseudonym_key(settings)
        self.parser = parser
        self.with_estimates = with_estimates
        #: called inside each report's transaction with the person id (alert evaluation)
        self.on_recorded = on_recorded
        #: called inside each report's transaction with the study id and the report
        self.on_study_recorded = on_study_recorded
        self.checkpoint = checkpoint
        self.writer = ReportWriter(
            settings, self.key, self.engine.dialect.name == "postgresql", checkpoint
        )

    # ---------------------------------------------------------------- entry points

    def ingest_path(self, path: Path, source: identity.SourceInfo | None = None) -> Outcome:
        """Ingest one file: a known SHA-256 is answered without parsing."""
        source = source or identity.SourceInfo(label=str(path))
        data = read_file(path)
        if isinstance(data, quarantine.Rejection):
            return self.quarantine(sha256_of(str(path).encode()), None, source, data)
        return self.ingest_bytes(data, source)

    def ingest_bytes(self, data: bytes, source: identity.SourceInfo) -> Outcome:
        known = self.known(sha256_of(data))
        if known is not None:
            return known
        prepared = self.prepare(data, source.label)
        return self.record(prepared, source)

    def prepare(self, data: bytes, label: str | None) -> Prepared:
        """The stateless steps with this ingestor's parser and estimate settings."""
        prepared = prepare_bytes(
            data,
            label,
            self.parser,
            with_estimates=self.with_estimates,
            allow_indicative=self.settings.allow_indicative,
        )
        self.checkpoint("after_parse")
        return prepared

    def known(self, sha256: str) -> Outcome | None:
        """The outcome of bytes already seen (recorded or quarantined), else None."""
        with self.readers() as session:
            sop = session.scalar(
                select(ReportRow.sop_instance_uid).where(ReportRow.sha256 == sha256).limit(1)
            )
            if sop is not None:
                return Outcome("duplicate", sop)
            if quarantine.is_quarantined(session, sha256):
                return Outcome("quarantined", reason="already quarantined")
        return None

    def record(
        self,
        prepared: Prepared,
        source: identity.SourceInfo,
        *,
        also: InTransaction | None = None,
    ) -> Outcome:
        """One transaction for one prepared object, retried on a lost race.

        ``also`` runs in the same transaction after the report was written (a quarantine
        retry closes its entry there, so a crash leaves either both or neither).
        """
        if prepared.result is None:
            rejection = prepared.rejection or quarantine.Rejection("input.invalid", "rejected")
            return self.quarantine(prepared.sha256, prepared.data, source, rejection)
        last: Exception | None = None
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    outcome = self.writer.record(session, prepared, source)
                    if self.on_recorded is not None or self.on_study_recorded is not None:
                        self._after_record(session, prepared.result.report)
                    if also is not None:
                        also(session, outcome)
                    self.checkpoint("before_commit")
                self.checkpoint("after_commit")
                return outcome
            except (IntegrityError, OperationalError, NoResultFound) as exc:
                # NoResultFound: a row read a moment ago was deleted by a concurrent retraction
                if not isinstance(exc, NoResultFound) and not _retryable(exc):
                    raise
                last = exc
                log.info(
                    "retrying SOP Instance UID %s after a concurrent write (%s)",
                    prepared.result.report.sop_instance_uid,
                    type(exc).__name__,
                )
        raise LedgerError(
            f"gave up after {MAX_ATTEMPTS} attempts: {type(last).__name__}",
            sop_instance_uid=prepared.result.report.sop_instance_uid,
        )

    def _after_record(self, session: Session, report: DoseReport) -> None:
        row = session.execute(
            select(Study.id, Study.person_id)
            .join(ReportRow, ReportRow.study_id == Study.id)
            .where(ReportRow.sop_instance_uid == report.sop_instance_uid)
        ).first()
        if row is None:
            return
        study_id, person_id = row
        if self.on_study_recorded is not None:
            self.on_study_recorded(session, study_id, report)
        if person_id is not None and self.on_recorded is not None:
            self.on_recorded(session, person_id)

    def quarantine(
        self,
        sha256: str,
        data: bytes | None,
        source: identity.SourceInfo,
        rejection: quarantine.Rejection,
    ) -> Outcome:
        """Keep rejected bytes (when given) and record why; idempotent by SHA-256."""
        stored = device = None
        if data is not None:
            stored = quarantine.keep_file(self.settings.quarantine_dir, sha256, data)
            device = peek_device(data)  # for the conformance report, when the header reads
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    quarantine.record(
                        session,
                        sha256,
                        source.label,
                        rejection,
                        stored,
                        device=device,
                        establishment=source.establishment,
                    )
                    self.checkpoint("quarantine_before_commit")
                break
            except OperationalError as exc:
                if not _retryable(exc):
                    raise
        log.info("quarantined %s: %s", rejection.sop_instance_uid or sha256[:12], rejection.code)
        return Outcome("quarantined", rejection.sop_instance_uid, reason=rejection.code)
