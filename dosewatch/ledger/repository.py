"""Read side of the ledger: totals, a person's history across sites, identifier look-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dosewatch.ledger.models import (
    Establishment,
    EventRow,
    PatientIdentifierRow,
    Person,
    Quarantine,
    QuarantineStatus,
    ReportRow,
    ReportStatus,
    Study,
)


@dataclass(frozen=True, slots=True)
class LedgerStats:
    """Whole-ledger totals (``dosewatch stats --json``)."""

    persons: int
    studies: int
    reports: int
    events: int
    quarantined: int

    def as_dict(self) -> dict[str, int]:
        return {
            "persons": self.persons,
            "studies": self.studies,
            "reports": self.reports,
            "events": self.events,
            "quarantined": self.quarantined,
        }


def stats(session: Session) -> LedgerStats:
    """Persons (merged ones not counted), studies, reports, events, open quarantine entries."""

    def count(statement: object) -> int:
        return int(session.scalar(statement) or 0)  # type: ignore[call-overload]

    return LedgerStats(
        persons=count(
            select(func.count()).select_from(Person).where(Person.merged_into_id.is_(None))
        ),
        studies=count(select(func.count()).select_from(Study)),
        reports=count(select(func.count()).select_from(ReportRow)),
        events=count(select(func.count()).select_from(EventRow)),
        quarantined=count(
            select(func.count())
            .select_from(Quarantine)
            .where(Quarantine.status == QuarantineStatus.OPEN.value)
        ),
    )


def find_persons(session: Session, value: str, issuer: str | None = None) -> list[int]:
    """Live person ids whose identifier has ``value`` (issuer-qualified when given), or whose
    pseudonym or numeric id is ``value``."""
    statement = select(PatientIdentifierRow.person_id).where(PatientIdentifierRow.value == value)
    if issuer is not None:
        statement = statement.where(
            PatientIdentifierRow.issuer.in_(
                [issuer, f"ISSUER:{issuer}", f"OID:{issuer}", f"INS:{issuer}", f"EST:{issuer}"]
            )
        )
    ids = set(session.scalars(statement).all())
    if issuer is None:
        ids.update(session.scalars(select(Person.id).where(Person.pseudonym == value)).all())
        if value.isdigit() and len(value) <= 9 and session.get(Person, int(value)) is not None:
            ids.add(int(value))
    live = set()
    for person_id in ids:
        while True:
            merged = session.scalar(select(Person.merged_into_id).where(Person.id == person_id))
            if merged is None:
                break
            person_id = merged
        live.add(person_id)
    return sorted(live)


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    study_instance_uid: str
    study_date: date | None
    establishment: str
    modality: str
    kind: str
    event_uid: str | None
    datetime_started: datetime | None
    acquisition_protocol: str | None
    ctdivol_mgy: float | None
    dlp_mgy_cm: float | None
    kap_gy_cm2: float | None
    ka_r_gy: float | None
    agd_mgy: float | None
    activity_mbq: float | None
    counted: bool
    conflict: bool


def history(session: Session, person_id: int) -> list[HistoryEvent]:
    """Every event of a person's studies across establishments, oldest first (one query)."""
    rows = session.execute(
        select(
            Study.study_instance_uid,
            Study.study_date,
            Establishment.code.label("establishment"),
            EventRow.modality,
            EventRow.kind,
            EventRow.event_uid,
            EventRow.datetime_started,
            EventRow.acquisition_protocol,
            EventRow.ctdivol_mgy,
            EventRow.dlp_mgy_cm,
            EventRow.kap_gy_cm2,
            EventRow.ka_r_gy,
            EventRow.agd_mgy,
            EventRow.activity_mbq,
            EventRow.counted,
            EventRow.conflict,
        )
        .join(EventRow, EventRow.study_id == Study.id)
        .join(Establishment, Establishment.id == Study.establishment_id)
        .where(Study.person_id == person_id)
        .order_by(
            Study.study_date, Study.study_instance_uid, EventRow.datetime_started, EventRow.id
        )
    ).all()
    return [HistoryEvent(**row._asdict()) for row in rows]


def identifiers_of(session: Session, person_id: int) -> list[PatientIdentifierRow]:
    return list(
        session.scalars(
            select(PatientIdentifierRow)
            .where(PatientIdentifierRow.person_id == person_id)
            .order_by(PatientIdentifierRow.id)
        ).all()
    )


def current_report_count(session: Session, study_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ReportRow)
            .where(ReportRow.study_id == study_id, ReportRow.status == ReportStatus.CURRENT.value)
        )
        or 0
    )
