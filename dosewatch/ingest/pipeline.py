"""The ingest use case: file → parse → estimate → record, one transaction per report.

Stateless steps (:func:`prepare`): read the bytes, SHA-256, :func:`rdsr_parsers.parse`,
organ-model estimates. They are pure functions of the file, so any process — a local
``--workers N`` pool today, a distributed task engine for a national backfill later — runs
them unchanged.

Stateful step (:meth:`Ingestor.record`): one database transaction per report that resolves
the establishment and person, locks the study row, applies the de-duplication rules of
:mod:`dosewatch.ledger.dedup`, and writes the report, its events, findings and estimates —
all or nothing. Concurrency is settled by unique constraints (a losing race raises an
integrity error and the whole transaction is retried, without sleeping) and by the study row
lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers with ``BEGIN
IMMEDIATE``). Idempotence: an object whose SOP Instance UID (or exact bytes) is already
recorded changes nothing.

Test-only hook: when the environment variable ``DOSEWATCH_TEST_KILL_AT`` is
``<point>`` or ``<point>:<n>``, the process sends itself SIGKILL the n-th time (default
first) it reaches that named point; :data:`KILL_POINTS` lists them. It exists for the
crash-safety tests and must never be set in production.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dosewatch.domain.errors import DoseWatchError, InvalidValueError, LedgerError
from dosewatch.domain.estimate import Estimate
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import DoseReport, SourceKind
from dosewatch.domain.units import Quantity
from dosewatch.ledger import dedup, identity, quarantine
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import make_engine, session_factory, transaction
from dosewatch.ledger.models import (
    Device,
    EventRow,
    ReportFinding,
    ReportRow,
    ReportStatus,
    Study,
)
from dosewatch.ledger.nrd_models import NrdStudyFacts
from dosewatch.settings import Settings
from rdsr_parsers import ParseResult, parse, peek_device

log = logging.getLogger(__name__)

KILL_ENV = "DOSEWATCH_TEST_KILL_AT"
KILL_POINTS = (
    "after_parse",
    "after_identity",
    "after_report_insert",
    "after_events",
    "before_commit",
    "after_commit",
    "quarantine_before_commit",
)
MAX_ATTEMPTS = 8

Status = Literal["recorded", "duplicate", "quarantined"]
ParseFn = Callable[..., ParseResult]
#: injected by the entry point (e.g. ``dosewatch.cumulative.alerts.on_recorded``): the ledger
#: never imports the packages that build on it
RecordedHook = Callable[[Session, int], None]
#: likewise, with the recorded study's id and the report (e.g.
#: ``dosewatch.nrd.store.on_study_recorded``: patient facts and NRD indicators per study)
StudyHook = Callable[[Session, int, DoseReport], None]

_kill_counts: dict[str, int] = {}


def checkpoint(point: str) -> None:
    """Test-only crash hook (see the module docstring); a no-op unless the env var is set."""
    spec = os.environ.get(KILL_ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _kill_counts[point] = _kill_counts.get(point, 0) + 1
    if _kill_counts[point] >= int(nth or "1"):
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- stateless steps


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
    """Organ-model estimates through the ``organ_models`` registry entry point.

    Uses ``organ_models.estimate_with_reasons`` (estimates and findings); a
    :class:`DoseWatchError` from the models never blocks recording: it becomes a finding.
    """
    import organ_models

    if not hasattr(organ_models, "estimate_with_reasons"):
        return (), ()
    from organ_models import EstimationSettings, ReferencePolicy, patient_from_report

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


# --------------------------------------------------------------------------- outcome


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one object."""

    status: Status
    sop_instance_uid: str | None = None
    superseded: int = 0  # reports marked superseded by this transaction (itself included)
    reason: str | None = None  # quarantine reason code


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in {"40001", "40P01", "55P03"}:
            return True
        return "database is locked" in str(exc.orig)
    return False


# --------------------------------------------------------------------------- the use case


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
        self._for_update = self.engine.dialect.name == "postgresql"

    # ---------------------------------------------------------------- entry points

    def ingest_path(self, path: Path, source: identity.SourceInfo | None = None) -> Outcome:
        """Ingest one file: a known SHA-256 is answered without parsing."""
        source = source or identity.SourceInfo(label=str(path))
        data = read_file(path)
        if isinstance(data, quarantine.Rejection):
            return self._quarantine(sha256_of(str(path).encode()), None, source, data)
        return self.ingest_bytes(data, source)

    def ingest_bytes(self, data: bytes, source: identity.SourceInfo) -> Outcome:
        digest = sha256_of(data)
        known = self.known(digest)
        if known is not None:
            return known
        prepared = prepare_bytes(
            data,
            source.label,
            self.parser,
            with_estimates=self.with_estimates,
            allow_indicative=self.settings.allow_indicative,
        )
        checkpoint("after_parse")
        return self.record(prepared, source)

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

    def record(self, prepared: Prepared, source: identity.SourceInfo) -> Outcome:
        """One transaction for one prepared object, retried on a lost race."""
        if prepared.result is None:
            rejection = prepared.rejection or quarantine.Rejection("input.invalid", "rejected")
            return self._quarantine(prepared.sha256, prepared.data, source, rejection)
        last: Exception | None = None
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    outcome = self._record(session, prepared, source)
                    if self.on_recorded is not None or self.on_study_recorded is not None:
                        self._after_record(session, prepared.result.report)
                    checkpoint("before_commit")
                checkpoint("after_commit")
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

    def _quarantine(
        self,
        sha256: str,
        data: bytes | None,
        source: identity.SourceInfo,
        rejection: quarantine.Rejection,
    ) -> Outcome:
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
                    checkpoint("quarantine_before_commit")
                break
            except OperationalError as exc:
                if not _retryable(exc):
                    raise
        log.info("quarantined %s: %s", rejection.sop_instance_uid or sha256[:12], rejection.code)
        return Outcome("quarantined", rejection.sop_instance_uid, reason=rejection.code)

    # ---------------------------------------------------------------- the transaction

    def _record(self, session: Session, prepared: Prepared, source: identity.SourceInfo) -> Outcome:
        assert prepared.result is not None
        report = prepared.result.report
        sop_uid = report.sop_instance_uid
        same_uid = select(ReportRow).where(ReportRow.sop_instance_uid == sop_uid)
        if self._for_update:  # serialise with a concurrent retraction of that report
            same_uid = same_uid.with_for_update()
        stored_same_uid = session.scalars(same_uid).one_or_none()
        if stored_same_uid is not None:
            return self._resent(session, stored_same_uid, prepared, source)
        return self._record_new(session, prepared, source)

    def _record_new(
        self, session: Session, prepared: Prepared, source: identity.SourceInfo
    ) -> Outcome:
        assert prepared.result is not None
        report = prepared.result.report
        sop_uid = report.sop_instance_uid
        findings: list[Finding] = []
        establishment = identity.resolve_establishment(
            session, self.settings, source, report.device.institution_name, findings
        )
        person_id, identifier_id = identity.resolve_person(
            session,
            self.key,
            report.patient,
            establishment.code,
            report.study.study_instance_uid,
            findings,
        )
        study = self._study(session, report, person_id, identifier_id, establishment.id)
        if study.person_id != person_id:
            findings.append(
                Finding(
                    FindingCode.IDENTITY_STUDY_PERSON_MISMATCH,
                    "the study is already recorded under another person; the report is "
                    "attached to the study (check the patient identifiers)",
                )
            )
        device_id = self._device(session, report, establishment.id)
        checkpoint("after_identity")

        incoming, repeated = dedup.incoming_events(report)
        for key in repeated:
            findings.append(
                Finding(
                    FindingCode.EVENT_REPEATED_IN_OBJECT,
                    f"event {key} appears twice in the object; the first occurrence is kept",
                )
            )
        keys = frozenset(e.key for e in incoming)
        header = report.source_kind is SourceKind.IMAGE_HEADER
        my_rank = dedup.rank(report.source_kind.value, _content_datetime(report), sop_uid)
        in_study = session.scalars(select(ReportRow).where(ReportRow.study_id == study.id)).all()
        currents = [r for r in in_study if r.status == ReportStatus.CURRENT.value]
        if all(my_rank > dedup.row_rank(r) for r in in_study):
            # study facts follow the highest-ranked report, whatever the arrival order
            _set_study_facts(study, report, person_id, identifier_id, establishment.id)

        def keys_of(row: ReportRow) -> frozenset[str]:
            return frozenset(str(k) for k in row.event_keys)

        covered_by = [
            s
            for s in currents
            if dedup.covers(
                keys_of(s),
                dedup.row_rank(s),
                dedup.is_header(s.source_kind),
                keys,
                my_rank,
                header,
            )
        ]
        row = ReportRow(
            sop_instance_uid=sop_uid,
            sop_class_uid=report.sop_class_uid,
            study_id=study.id,
            device_id=device_id,
            establishment_id=establishment.id,
            source_kind=report.source_kind.value,
            modality=report.modality.value,
            template_id=report.template_id,
            presentation_intent=report.presentation_intent,
            content_datetime=_content_datetime(report),
            status=ReportStatus.CURRENT.value,
            source=source.label,
            sha256=prepared.sha256,
            event_count=len(report.events),
            event_keys=sorted(keys),
            software_versions=_cut("\\".join(report.device.software_versions)) or None,
            received_at=identity.now(),
            **_totals(report),
        )
        session.add(row)
        session.flush()
        checkpoint("after_report_insert")

        existing = (
            {
                e.event_key: e
                for e in session.scalars(
                    select(EventRow).where(
                        EventRow.study_id == study.id, EventRow.event_key.in_(keys)
                    )
                ).all()
            }
            if keys
            else {}
        )
        superseded = 0
        if covered_by:
            winner = max(covered_by, key=dedup.row_rank)
            row.status = ReportStatus.SUPERSEDED.value
            row.superseded_by_id = winner.id
            superseded += 1
            for event in incoming:
                stored = existing.get(event.key)
                if stored is not None and stored.value_hash != event.value_hash:
                    stored.conflict = True
                    findings.append(_conflict_finding(event, kept=False))
        else:
            victims = [
                s
                for s in currents
                if dedup.covers(
                    keys,
                    my_rank,
                    header,
                    keys_of(s),
                    dedup.row_rank(s),
                    dedup.is_header(s.source_kind),
                )
            ]
            victim_ids = {s.id for s in victims}
            for victim in victims:
                victim.status = ReportStatus.SUPERSEDED.value
                victim.superseded_by_id = row.id
                superseded += 1
            if victim_ids:
                session.execute(
                    update(ReportRow)
                    .where(ReportRow.superseded_by_id.in_(victim_ids))
                    .values(superseded_by_id=row.id)
                )
            owners = {s.id: s for s in currents}
            for event in incoming:
                stored = existing.get(event.key)
                if stored is None:
                    session.add(
                        EventRow(
                            study_id=study.id,
                            report_id=row.id,
                            event_key=event.key,
                            value_hash=event.value_hash,
                            counted=True,
                            conflict=False,
                            **event.values,
                        )
                    )
                    continue
                owner = owners.get(stored.report_id)
                take = (
                    stored.report_id in victim_ids
                    or owner is None
                    or my_rank > dedup.row_rank(owner)
                )
                if stored.value_hash != event.value_hash:
                    stored.conflict = True
                    findings.append(_conflict_finding(event, kept=take))
                if take:
                    stored.report_id = row.id
                    if stored.value_hash != event.value_hash:
                        stored.value_hash = event.value_hash
                        for column, value in event.values.items():
                            setattr(stored, column, value)
            session.flush()
            checkpoint("after_events")
        dedup.recount(session, study.id)

        for finding in prepared.result.findings:
            session.add(_finding_row(row.id, "parser", finding))
        for finding in prepared.estimate_findings:
            session.add(_finding_row(row.id, "model", finding))
        for finding in findings:
            session.add(_finding_row(row.id, "ledger", finding))
        estimate_ledger.add(session, row, study.id, prepared.estimates, _inputs_json)
        estimate_ledger.elect(session, study.id)
        return Outcome("recorded", sop_uid, superseded)

    def _resent(
        self,
        session: Session,
        stored: ReportRow,
        prepared: Prepared,
        source: identity.SourceInfo,
    ) -> Outcome:
        """An object whose SOP Instance UID is already recorded; it counts as a duplicate.

        Same bytes: nothing changes. Different bytes (a corrected or altered re-send): of the
        two versions a complete copy beats one the parser flagged as cut short, then the one
        with the later content date-time, then the larger SHA-256, is kept
        (:func:`dedup.version_rank`) — so the ledger does not depend on arrival order. When
        the incoming version wins,
        the stored one is retracted (its events, findings and estimates deleted, its study
        too if it held nothing else) and the incoming one recorded as new; when retraction is
        not clean (the stored report shares events with other reports or superseded some),
        a version with the same study and event keys is updated in place, and otherwise the
        stored version is kept (logged).
        """
        assert prepared.result is not None
        report = prepared.result.report
        outcome = Outcome("duplicate", stored.sop_instance_uid)
        if stored.sha256 == prepared.sha256:
            return outcome
        moment = _content_datetime(report)
        mine = dedup.version_rank(
            dedup.is_cut(f.code for f in prepared.result.findings), moment, prepared.sha256
        )
        theirs = dedup.version_rank(
            dedup.stored_is_cut(session, stored.id), stored.content_datetime, stored.sha256
        )
        if mine <= theirs:
            return outcome
        if self._retract(session, stored):
            recorded = self._record_new(session, prepared, source)
            return Outcome("duplicate", stored.sop_instance_uid, recorded.superseded)
        incoming, _ = dedup.incoming_events(report)
        keys = frozenset(e.key for e in incoming)
        same_study = (
            session.scalar(select(Study.study_instance_uid).where(Study.id == stored.study_id))
            == report.study.study_instance_uid
        )
        if not same_study or keys != frozenset(str(k) for k in stored.event_keys):
            log.info(
                "SOP Instance UID %s re-sent with other content; the stored version is kept",
                stored.sop_instance_uid,
            )
            return outcome
        study = self._lock_study(session, stored.study_id)
        for column, value in _totals(report).items():
            setattr(stored, column, value)
        stored.sha256 = prepared.sha256
        stored.content_datetime = moment
        stored.presentation_intent = report.presentation_intent
        stored.template_id = report.template_id
        stored.event_count = len(report.events)
        session.execute(
            delete(ReportFinding).where(
                ReportFinding.report_id == stored.id, ReportFinding.origin != "ledger"
            )
        )
        estimate_ledger.delete_for_report(session, stored.id)
        my_rank = dedup.row_rank(stored)
        owned = {
            e.event_key: e
            for e in session.scalars(select(EventRow).where(EventRow.report_id == stored.id))
        }
        for event in incoming:
            row = owned.get(event.key)
            if row is not None and row.value_hash != event.value_hash:
                row.value_hash = event.value_hash
                for column, value in event.values.items():
                    setattr(row, column, value)
        in_study = session.scalars(select(ReportRow).where(ReportRow.study_id == study.id)).all()
        if all(my_rank >= dedup.row_rank(r) for r in in_study):
            study.study_date = report.study.study_date
            study.accession_number = _cut(report.study.accession_number, 64)
            study.study_description = _cut(report.study.study_description)
        session.flush()
        dedup.recount(session, study.id)
        for finding in prepared.result.findings:
            session.add(_finding_row(stored.id, "parser", finding))
        for finding in prepared.estimate_findings:
            session.add(_finding_row(stored.id, "model", finding))
        estimate_ledger.add(session, stored, study.id, prepared.estimates, _inputs_json)
        estimate_ledger.elect(session, study.id)
        return outcome

    def _retract(self, session: Session, stored: ReportRow) -> bool:
        """Delete a report that nothing else depends on; False (and no change) otherwise."""
        study = self._lock_study(session, stored.study_id)
        if session.scalar(select(ReportRow.id).where(ReportRow.superseded_by_id == stored.id)):
            return False
        others = session.scalars(
            select(ReportRow).where(
                ReportRow.study_id == study.id,
                ReportRow.id != stored.id,
                ReportRow.status == ReportStatus.CURRENT.value,
            )
        ).all()
        shared = {str(k) for other in others for k in other.event_keys}
        if shared & {str(k) for k in stored.event_keys}:
            return False
        session.execute(delete(ReportFinding).where(ReportFinding.report_id == stored.id))
        estimate_ledger.delete_for_report(session, stored.id)
        session.execute(delete(EventRow).where(EventRow.report_id == stored.id))
        session.delete(stored)
        session.flush()
        remaining = session.scalar(select(ReportRow.id).where(ReportRow.study_id == study.id))
        if remaining is None:  # an alert raised at the study keeps it (re-evaluated after)
            remaining = session.scalar(
                select(AlertRow.id).where(AlertRow.study_id == study.id).limit(1)
            )
        if remaining is None:
            # derived per-study rows go with the study (the hooks rebuild them on re-record)
            session.execute(delete(NrdStudyFacts).where(NrdStudyFacts.study_id == study.id))
            session.delete(study)
            session.flush()
        else:
            dedup.recount(session, study.id)
            estimate_ledger.elect(session, study.id)
        return True

    def _lock_study(self, session: Session, study_id: int) -> Study:
        statement = select(Study).where(Study.id == study_id)
        if self._for_update:
            statement = statement.with_for_update()
        return session.scalars(statement).one()

    def _study(
        self,
        session: Session,
        report: DoseReport,
        person_id: int,
        identifier_id: int,
        establishment_id: int,
    ) -> Study:
        uid = report.study.study_instance_uid
        identity.insert_ignore(
            session,
            Study,
            {
                "study_instance_uid": uid,
                "person_id": person_id,
                "identifier_id": identifier_id,
                "establishment_id": establishment_id,
                "study_date": report.study.study_date,
                "accession_number": _cut(report.study.accession_number, 64),
                "study_description": _cut(report.study.study_description),
                "created_at": identity.now(),
            },
        )
        statement = select(Study).where(Study.study_instance_uid == uid)
        if self._for_update:
            statement = statement.with_for_update()
        return session.scalars(statement).one()

    def _device(self, session: Session, report: DoseReport, establishment_id: int) -> int | None:
        d = report.device
        if d.device_observer_uid:
            basis = f"uid\x1f{d.device_observer_uid}"
        else:
            parts = (d.manufacturer, d.model, d.serial_number, d.station_name)
            if not any(parts):
                return None
            basis = "\x1f".join((p or "").strip().lower() for p in parts)
        key = hashlib.sha256(basis.encode()).hexdigest()
        identity.insert_ignore(
            session,
            Device,
            {
                "establishment_id": establishment_id,
                "device_key": key,
                "manufacturer": _cut(d.manufacturer),
                "model": _cut(d.model),
                "serial_number": _cut(d.serial_number),
                "station_name": _cut(d.station_name),
                "device_observer_uid": _cut(d.device_observer_uid, 64),
            },
        )
        return session.scalars(
            select(Device.id).where(
                Device.establishment_id == establishment_id, Device.device_key == key
            )
        ).one()


# --------------------------------------------------------------------------- helpers


def _cut(value: str | None, limit: int = 200) -> str | None:
    return None if value is None else value[:limit]


def _content_datetime(report: DoseReport) -> datetime | None:
    moment = report.study.content_datetime or report.study.acquisition_datetime
    if moment is not None and moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None)  # stored naive, as DICOM local time
    return moment


def _set_study_facts(
    study: Study, report: DoseReport, person_id: int, identifier_id: int, establishment_id: int
) -> None:
    study.person_id = person_id
    study.identifier_id = identifier_id
    study.establishment_id = establishment_id
    study.study_date = report.study.study_date
    study.accession_number = _cut(report.study.accession_number, 64)
    study.study_description = _cut(report.study.study_description)


def _total(values: list[Quantity | None], unit: str) -> float | None:
    present = [v.value_in(unit) for v in values if v is not None]
    return sum(present) if present else None


def _totals(report: DoseReport) -> dict[str, float | None]:
    planes = report.projection_accumulated
    return {
        "dlp_total_mgy_cm": (
            report.ct_accumulated.dlp_total.value_in("mGy.cm")
            if report.ct_accumulated and report.ct_accumulated.dlp_total
            else None
        ),
        "kap_total_gy_cm2": _total([p.dose_area_product_total for p in planes], "Gy.cm2"),
        "ka_r_total_gy": _total([p.dose_rp_total for p in planes], "Gy"),
        "fluoro_time_total_s": _total([p.total_fluoro_time for p in planes], "s"),
    }


def _finding_row(report_id: int, origin: str, finding: Finding) -> ReportFinding:
    return ReportFinding(
        report_id=report_id,
        origin=origin,
        severity=str(finding.severity),
        code=finding.code[:100],
        message=finding.message,
        content_path=_cut(finding.content_path),
        concept=_cut(finding.concept),
    )


def _conflict_finding(event: dedup.EventValues, *, kept: bool) -> Finding:
    shown = {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in event.values.items()
        if v is not None and k not in {"event_uid", "from_header", "modality"}
    }
    what = "these values replace" if kept else "these values lose to"
    return Finding(
        FindingCode.EVENT_CONFLICTING_VALUES,
        f"event {event.key} was sent before with different values; {what} the stored ones: {shown}",
    )


def _inputs_json(estimate: Estimate) -> dict[str, Any]:
    return {
        "origin": str(estimate.origin),
        "inputs": [item.to_json() for item in estimate.inputs],
        "coefficients": [
            {
                "name": c.name,
                "value": c.value,
                "unit": c.unit,
                "source": c.source,
                "locator": c.locator,
                "verification": str(c.verification),
            }
            for c in estimate.coefficients
        ],
        "findings": [
            {"severity": str(f.severity), "code": f.code, "message": f.message}
            for f in estimate.findings
        ],
    }
