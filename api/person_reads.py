"""Set-based reads of one person for the history: two queries whatever the number of exams
(the person with its identifiers; its studies joined to their events and current
estimates). The statements are Core selects over the tables, built once at import with
bound parameters, and return plain rows (no ORM identity map, no per-row object loads), so
that a history costs the same on a 1,000,000-event ledger and little CPU per request."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from api.queries import Scope, estimate_out
from api.schemas import EventOut, IdentifierOut, PersonOut, StudyDetail
from dosewatch.ledger.models import (
    Establishment,
    EstimateRow,
    EventRow,
    PatientIdentifierRow,
    Person,
    Study,
)

_person = Person.__table__.c
_identifier = PatientIdentifierRow.__table__.c
_study = Study.__table__.c
_site = Establishment.__table__.c
_event = EventRow.__table__.c
_estimate = EstimateRow.__table__.c


class PersonRow(NamedTuple):
    id: int
    pseudonym: str
    sex: str | None
    birth_date: Any
    identifiers: tuple[IdentifierOut, ...]


_PERSON = (
    select(
        _person.id,
        _person.pseudonym,
        _person.sex,
        _person.birth_date,
        _person.merged_into_id,
        _identifier.issuer,
        _identifier.value,
        _identifier.kind,
    )
    .select_from(Person.__table__)
    .outerjoin(PatientIdentifierRow.__table__, _identifier.person_id == _person.id)
    .where(_person.id == bindparam("person_id"))
    .order_by(_identifier.id)
)


def live_person(db: Session, person_id: int) -> PersonRow | None:
    """The person with its identifiers (one query), following merges to the surviving row."""
    seen: set[int] = set()
    while person_id not in seen:
        seen.add(person_id)
        rows = db.execute(_PERSON, {"person_id": person_id}).all()
        if not rows:
            return None
        first = rows[0]
        if first.merged_into_id is None:
            identifiers = tuple(
                IdentifierOut(issuer=r.issuer, value=r.value, kind=r.kind)
                for r in rows
                if r.issuer is not None
            )
            return PersonRow(first.id, first.pseudonym, first.sex, first.birth_date, identifiers)
        person_id = first.merged_into_id
    return None  # a merge cycle: no live person


def person_out(person: PersonRow) -> PersonOut:
    return PersonOut(
        id=person.id,
        pseudonym=person.pseudonym,
        sex=person.sex,
        birth_date=person.birth_date,
        identifiers=list(person.identifiers),
    )


_EVENT_FIELDS = (
    "id",
    "event_uid",
    "kind",
    "modality",
    "datetime_started",
    "acquisition_protocol",
    "counted",
    "conflict",
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "ssde_mgy",
    "kap_gy_cm2",
    "ka_r_gy",
    "agd_mgy",
    "activity_mbq",
)
_ESTIMATE_FIELDS = (
    "quantity",
    "organ_scheme",
    "organ_value",
    "organ_meaning",
    "value",
    "unit",
    "uncertainty_pct",
    "method",
    "model_id",
    "model_version",
    "table_version",
    "basis",
    "indicative",
    "upper_bound",
)


def _in_scope(statement: Select[Any], column: Any, scoped: bool) -> Select[Any]:
    return statement.where(column.in_(bindparam("scope", expanding=True))) if scoped else statement


def _studies_statement(scoped: bool) -> Select[Any]:
    statement = (
        select(
            _study.id.label("study_id"),
            _study.study_instance_uid,
            _study.establishment_id,
            _study.study_date,
            _study.study_description,
            _site.code,
            *(_event[name] for name in _EVENT_FIELDS),
            _estimate.id.label("estimate_id"),
            *(_estimate[name] for name in _ESTIMATE_FIELDS),
        )
        .select_from(Study.__table__)
        .join(Establishment.__table__, _site.id == _study.establishment_id)
        .outerjoin(EventRow.__table__, _event.study_id == _study.id)
        .outerjoin(
            EstimateRow.__table__,
            (_estimate.event_id == _event.id) & _estimate.current.is_(True),
        )
        .where(_study.person_id == bindparam("person_id"))
        .order_by(
            _study.study_date,
            _study.study_instance_uid,
            _event.datetime_started,
            _event.id,
            _estimate.id,
        )
    )
    return _in_scope(statement, _study.establishment_id, scoped)


#: (regional, scoped) variants, built once
_STUDIES = (_studies_statement(False), _studies_statement(True))
_VISIBLE = _in_scope(
    select(_study.id).where(_study.person_id == bindparam("person_id")).limit(1),
    _study.establishment_id,
    True,
)


def _params(person_id: int, scope: Scope) -> dict[str, Any]:
    if scope is None:
        return {"person_id": person_id}
    return {"person_id": person_id, "scope": sorted(scope)}


def person_studies(db: Session, person: PersonRow, scope: Scope) -> list[StudyDetail]:
    """The person's studies in scope with their events and their current estimates,
    oldest first, in ONE query (study ⟕ event ⟕ current estimate)."""
    statement = _STUDIES[scope is not None]
    studies: dict[int, tuple[Any, dict[int, EventOut]]] = {}
    for row in db.execute(statement, _params(person.id, scope)):
        entry = studies.get(row.study_id)
        if entry is None:
            entry = studies[row.study_id] = (row, {})
        if row.id is None:  # a study without events (outer join)
            continue
        event = entry[1].get(row.id)
        if event is None:
            values = {name: getattr(row, name) for name in _EVENT_FIELDS}
            event = entry[1][row.id] = EventOut(
                study_instance_uid=row.study_instance_uid, estimates=[], **values
            )
        if row.estimate_id is not None:
            event.estimates.append(estimate_out(row, row.estimate_id, row.id))
    out = []
    for study, by_id in studies.values():
        events = list(by_id.values())
        out.append(
            StudyDetail(
                study_instance_uid=study.study_instance_uid,
                person_pseudonym=person.pseudonym,
                establishment_id=study.establishment_id,
                establishment_code=study.code,
                study_date=study.study_date,
                study_description=study.study_description,
                modalities=sorted({e.modality for e in events}),
                event_count=len(events),
                events=events,
            )
        )
    return out


def visible_in(db: Session, person: PersonRow, scope: Scope) -> bool:
    """Whether the caller's scope holds a study of the person (regional: always)."""
    if scope is None:
        return True
    return db.execute(_VISIBLE, _params(person.id, scope)).first() is not None
