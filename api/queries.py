"""Scoped reads of the ledger for the routes: every function takes the establishment scope
(``None`` = regional) and returns API schemas, so no route builds its own tenancy filter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.schemas import (
    AuditOut,
    EstimateOut,
    EventOut,
    StudyDetail,
    StudyOut,
    UsageOut,
    UsageRow,
)
from dosewatch.ledger.models import (
    AuditEvent,
    Establishment,
    EstimateRow,
    EventRow,
    Person,
    ReportRow,
    Study,
)

Scope = frozenset[int] | None


def scoped(statement: Any, scope: Scope) -> Any:
    """Restrict a statement over ``study`` to the establishments in scope."""
    if scope is None:
        return statement
    return statement.where(Study.establishment_id.in_(sorted(scope)))


def _estimates_by_event(db: Session, study_ids: Sequence[int]) -> dict[int, list[EstimateOut]]:
    rows = db.scalars(
        select(EstimateRow)
        .where(EstimateRow.study_id.in_(study_ids), EstimateRow.current.is_(True))
        .order_by(EstimateRow.id)
    ).all()
    out: dict[int, list[EstimateOut]] = defaultdict(list)
    for row in rows:
        if row.event_id is None:
            continue
        out[row.event_id].append(estimate_out(row, row.id, row.event_id))
    return out


def estimate_out(row: Any, estimate_id: int, event_id: int | None) -> EstimateOut:
    """An estimate of the answer, from an :class:`EstimateRow` or a selected row of its columns."""
    organ = f"{row.organ_scheme}:{row.organ_value}" if row.organ_scheme else None
    return EstimateOut(
        id=estimate_id,
        event_id=event_id,
        quantity=row.quantity,
        organ=organ,
        organ_meaning=row.organ_meaning,
        value=row.value,
        unit=row.unit,
        uncertainty_pct=row.uncertainty_pct,
        method=row.method,
        model_id=row.model_id,
        model_version=row.model_version,
        table_version=row.table_version,
        basis=row.basis,
        indicative=row.indicative,
        upper_bound=row.upper_bound,
    )


def event_out(row: EventRow, study_uid: str, estimates: list[EstimateOut]) -> EventOut:
    return EventOut(
        id=row.id,
        study_instance_uid=study_uid,
        event_uid=row.event_uid,
        kind=row.kind,
        modality=row.modality,
        datetime_started=row.datetime_started,
        acquisition_protocol=row.acquisition_protocol,
        counted=row.counted,
        conflict=row.conflict,
        ctdivol_mgy=row.ctdivol_mgy,
        dlp_mgy_cm=row.dlp_mgy_cm,
        ssde_mgy=row.ssde_mgy,
        kap_gy_cm2=row.kap_gy_cm2,
        ka_r_gy=row.ka_r_gy,
        agd_mgy=row.agd_mgy,
        activity_mbq=row.activity_mbq,
        estimates=estimates,
    )


_STUDY_COLUMNS = (Study, Person.pseudonym, Establishment.code)


def _study_select() -> Any:
    return (
        select(*_STUDY_COLUMNS)
        .join(Person, Person.id == Study.person_id)
        .join(Establishment, Establishment.id == Study.establishment_id)
    )


def study_details(
    db: Session, rows: Sequence[Any], with_estimates: bool = True
) -> list[StudyDetail]:
    """Studies with their events (and current estimates), three queries in all."""
    study_ids = [study.id for study, _p, _c in rows]
    if not study_ids:
        return []
    events = db.scalars(
        select(EventRow)
        .where(EventRow.study_id.in_(study_ids))
        .order_by(EventRow.study_id, EventRow.datetime_started, EventRow.id)
    ).all()
    estimates = _estimates_by_event(db, study_ids) if with_estimates else {}
    by_study: dict[int, list[EventRow]] = defaultdict(list)
    for event in events:
        by_study[event.study_id].append(event)
    out = []
    for study, pseudonym, code in rows:
        study_events = by_study.get(study.id, [])
        out.append(
            StudyDetail(
                study_instance_uid=study.study_instance_uid,
                person_pseudonym=pseudonym,
                establishment_id=study.establishment_id,
                establishment_code=code,
                study_date=study.study_date,
                study_description=study.study_description,
                modalities=sorted({e.modality for e in study_events}),
                event_count=len(study_events),
                events=[
                    event_out(e, study.study_instance_uid, estimates.get(e.id, []))
                    for e in study_events
                ],
            )
        )
    return out


def study_by_uid(db: Session, uid: str, scope: Scope) -> StudyDetail | None:
    statement = scoped(_study_select().where(Study.study_instance_uid == uid), scope)
    rows = db.execute(statement).all()
    details = study_details(db, rows)
    return details[0] if details else None


def study_page(
    db: Session, scope: Scope, establishment_id: int | None, page: int, page_size: int
) -> tuple[list[StudyOut], int]:
    base = scoped(_study_select(), scope)
    if establishment_id is not None:
        base = base.where(Study.establishment_id == establishment_id)
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = db.execute(
        base.order_by(Study.study_date.desc(), Study.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    details = study_details(db, rows, with_estimates=False)
    items = [StudyOut.model_validate(d.model_dump(exclude={"events"})) for d in details]
    return items, total


def event_in_scope(db: Session, event_id: int, scope: Scope) -> EventOut | None:
    statement = scoped(
        select(EventRow, Study.study_instance_uid)
        .join(Study, Study.id == EventRow.study_id)
        .where(EventRow.id == event_id),
        scope,
    )
    row = db.execute(statement).one_or_none()
    if row is None:
        return None
    event, uid = row
    estimates = _estimates_by_event(db, [event.study_id]).get(event.id, [])
    return event_out(event, uid, estimates)


def estimate_in_scope(db: Session, estimate_id: int, scope: Scope) -> EstimateRow | None:
    statement = scoped(
        select(EstimateRow)
        .join(Study, Study.id == EstimateRow.study_id)
        .where(EstimateRow.id == estimate_id),
        scope,
    )
    return db.scalars(statement).one_or_none()


def usage_of(db: Session, establishment: Establishment) -> UsageOut:
    """Per month of reception: dose objects recorded (``ingest``) and those that received
    organ-dose estimates (``organ_dose``), with the number of distinct exams (studies)."""
    reports = db.execute(
        select(ReportRow.id, ReportRow.study_id, ReportRow.received_at).where(
            ReportRow.establishment_id == establishment.id
        )
    ).all()
    estimated = set(
        db.scalars(
            select(EstimateRow.report_id)
            .join(ReportRow, ReportRow.id == EstimateRow.report_id)
            .where(ReportRow.establishment_id == establishment.id)
            .distinct()
        ).all()
    )
    objects: dict[tuple[str, str], int] = defaultdict(int)
    exams: dict[tuple[str, str], set[int]] = defaultdict(set)
    for report_id, study_id, received_at in reports:
        month = received_at.strftime("%Y-%m")
        services = ["ingest"] + (["organ_dose"] if report_id in estimated else [])
        for service in services:
            objects[month, service] += 1
            exams[month, service].add(study_id)
    rows = [
        UsageRow(month=m, service=s, dose_objects=n, exams=len(exams[m, s]))
        for (m, s), n in sorted(objects.items())
    ]
    return UsageOut(
        establishment_id=establishment.id, establishment_code=establishment.code, rows=rows
    )


def audit_page(
    db: Session, action: str | None, page: int, page_size: int
) -> tuple[list[AuditOut], int]:
    """Audit events, newest first; ``action`` filters."""
    base = select(AuditEvent)
    if action:
        base = base.where(AuditEvent.action == action)
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = db.scalars(
        base.order_by(AuditEvent.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return [AuditOut.model_validate(r) for r in rows], total
