"""The one transaction that records a prepared report: identity, study, dedup, rows.

:class:`ReportWriter` runs inside a transaction its caller opened (:mod:`pipeline` retries
the whole transaction on a lost race). It resolves the establishment and person, locks the
study row, applies the de-duplication rules of :mod:`dosewatch.ledger.dedup`, and writes the
report, its events, findings and estimates. An object whose SOP Instance UID is already
recorded is a duplicate (:meth:`ReportWriter._resent` decides which version is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from dosewatch.domain.estimate import Estimate
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import DoseReport, SourceKind
from dosewatch.domain.totals import fluoro_time_total_s, report_totals
from dosewatch.ingest.hooks import Checkpoint
from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.prepare import Prepared
from dosewatch.ledger import dedup, devices, identity
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.devices import cut as _cut
from dosewatch.ledger.models import EventRow, ReportFinding, ReportRow, ReportStatus, Study
from dosewatch.ledger.nrd_models import NrdStudyFacts
from dosewatch.settings import Settings

log = logging.getLogger(__name__)

FINDING_TABLE = cast(Table, ReportFinding.__table__)
EVENT_TABLE = cast(Table, EventRow.__table__)


@dataclass(frozen=True, slots=True)
class ReportWriter:
    """Writes prepared reports; one per ingestor (holds no session)."""

    settings: Settings
    key: bytes  # the pseudonym HMAC key
    for_update: bool  # lock rows with SELECT ... FOR UPDATE (PostgreSQL)
    checkpoint: Checkpoint

    def record(self, session: Session, prepared: Prepared, source: identity.SourceInfo) -> Outcome:
        """Write one prepared (parsed) object in the caller's transaction."""
        assert prepared.result is not None
        report = prepared.result.report
        sop_uid = report.sop_instance_uid
        same_uid = select(ReportRow).where(ReportRow.sop_instance_uid == sop_uid)
        if self.for_update:  # serialise with a concurrent retraction of that report
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
        device_id = devices.device_id(session, report.device, establishment.id)
        self.checkpoint("after_identity")

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
            series_instance_uid=_cut(report.study.series_instance_uid, 64),
            received_at=identity.now(),
            **report_totals_columns(report),
        )
        session.add(row)
        session.flush()
        self.checkpoint("after_report_insert")

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
            new_events: list[dict[str, Any]] = []
            for event in incoming:
                stored = existing.get(event.key)
                if stored is None:
                    new_events.append(
                        {
                            "study_id": study.id,
                            "report_id": row.id,
                            "event_key": event.key,
                            "value_hash": event.value_hash,
                            "counted": True,
                            "conflict": False,
                            **event.values,
                        }
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
            insert_events(session, new_events)
            self.checkpoint("after_events")
        dedup.recount(session, study.id)

        add_findings(
            session,
            row.id,
            parser=prepared.result.findings,
            model=prepared.estimate_findings,
            ledger=findings,
        )
        estimate_ledger.record(session, row, study.id, prepared.estimates, inputs_json)
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
        for column, value in report_totals_columns(report).items():
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
        add_findings(
            session, stored.id, parser=prepared.result.findings, model=prepared.estimate_findings
        )
        estimate_ledger.record(session, stored, study.id, prepared.estimates, inputs_json)
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
        if self.for_update:
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
        if self.for_update:
            statement = statement.with_for_update()
        return session.scalars(statement).one()


# --------------------------------------------------------------------------- helpers


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


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """New events in one executemany (no ORM objects: the lean path); every row gets every
    column any of them has (a column a row lacks is NULL, as the ORM would write it)."""
    if not rows:
        return
    columns = list(dict.fromkeys(column for row in rows for column in row))
    session.execute(insert(EVENT_TABLE), [{c: row.get(c) for c in columns} for row in rows])


def add_findings(
    session: Session,
    report_id: int,
    *,
    parser: Iterable[Finding] = (),
    model: Iterable[Finding] = (),
    ledger: Iterable[Finding] = (),
) -> None:
    """A report's findings by origin, in one executemany (no ORM objects: the lean path)."""
    rows = [
        finding_values(report_id, origin, finding)
        for origin, findings in (("parser", parser), ("model", model), ("ledger", ledger))
        for finding in findings
    ]
    if rows:
        session.execute(insert(FINDING_TABLE), rows)


def finding_values(report_id: int, origin: str, finding: Finding) -> dict[str, Any]:
    """The ``report_finding`` columns of one finding of a report."""
    return {
        "report_id": report_id,
        "origin": origin,
        "severity": str(finding.severity),
        "code": finding.code[:100],
        "message": finding.message,
        "content_path": _cut(finding.content_path),
        "concept": _cut(finding.concept),
    }


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


def inputs_json(estimate: Estimate) -> dict[str, Any]:
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


def report_totals_columns(report: DoseReport) -> dict[str, float | None]:
    """The report row's total columns: the object's own totals (:mod:`dosewatch.domain.totals`)."""
    totals = report_totals(report)
    return {
        "dlp_total_mgy_cm": totals.dlp_mgy_cm,
        "kap_total_gy_cm2": totals.kap_gy_cm2,
        "ka_r_total_gy": totals.ka_r_gy,
        "fluoro_time_total_s": fluoro_time_total_s(report),
    }
