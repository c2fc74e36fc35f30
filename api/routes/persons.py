"""Persons: scoped history and cumulative dose for clinicians; regional history only by
explicit, audited look-up (radiologists, admins). Quality managers never reach a person
(pseudonyms only, through studies)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api import person_reads
from api.audit import record_read
from api.cumulative_view import person_cumulative
from api.deps import Db, RowId
from api.problems import not_found
from api.queries_dose import person_alerts
from api.responses import json_response
from api.schemas import LookupIn, PersonOut
from api.schemas_dose import CumulativeOut, HistoryOut, LookupOut
from api.security import Clinician, Principal, RegionalLookup
from dosewatch.cumulative.window import parse_window
from dosewatch.domain.estimate import WeightBasis
from dosewatch.ledger import repository
from dosewatch.ledger.identity import now

router = APIRouter(prefix="/api/persons", tags=["persons"])

WindowText = Annotated[
    str, Query(min_length=1, max_length=30, description="12m | 5y | all | FROM:TO (ISO dates)")
]


def history_of(db: Db, principal: Principal, person_id: int, regional: bool) -> HistoryOut | None:
    """The person's exams and open alerts in the caller's scope (all establishments when
    ``regional``), or None when nothing of the person is visible."""
    person = person_reads.live_person(db, person_id)
    if person is None:
        return None
    scope = None if regional else principal.visible_establishments()
    studies = person_reads.person_studies(db, person, scope)
    if not studies and not regional and scope is not None:
        return None  # nothing of this person in the caller's establishments: not visible
    return HistoryOut(
        person=person_reads.person_out(person),
        scope="regional" if scope is None else "own-establishments",
        studies=studies,
        alerts=person_alerts(db, person.id, scope),
        cumulative=f"/api/persons/{person.id}/cumulative",
    )


def _visible_person(db: Db, principal: Principal, person_id: int) -> person_reads.PersonRow:
    person = person_reads.live_person(db, person_id)
    scope = principal.visible_establishments()
    if person is None or not person_reads.visible_in(db, person, scope):
        raise not_found("person")
    return person


@router.get("/{person_id}", response_model=PersonOut)
def get_person(person_id: RowId, db: Db, principal: Clinician) -> Response:
    """A person seen in the caller's establishments (admins: any)."""
    person = _visible_person(db, principal, person_id)
    out = person_reads.person_out(person)
    record_read(db, principal, "person.read", "person", person.pseudonym)
    return json_response(out)


@router.get("/{person_id}/history", response_model=HistoryOut)
def get_history(person_id: RowId, db: Db, principal: Clinician) -> Response:
    """The person's exams in the caller's establishments (admins: regional) with their
    events and estimates, and the open alerts (sums: ``/cumulative``)."""
    history = history_of(db, principal, person_id, regional=False)
    if history is None:
        raise not_found("person")
    record_read(
        db,
        principal,
        "person.history.read",
        "person",
        history.person.pseudonym,
        details={"studies": len(history.studies), "scope": history.scope},
    )
    return json_response(history)


@router.get("/{person_id}/cumulative", response_model=CumulativeOut)
def get_cumulative(
    person_id: RowId,
    db: Db,
    principal: Clinician,
    window: WindowText = "all",
    as_of: Annotated[
        date | None, Query(description="end of a rolling window (default: today)")
    ] = None,
    basis: Annotated[
        WeightBasis, Query(description="tissue-weighting basis (one; never mixed)")
    ] = WeightBasis.ICRP103,
) -> Response:
    """Cumulative effective dose (one basis), organ doses, device indicators, timeline and
    skin doses per procedure over a window, for the exams in the caller's scope."""
    person = _visible_person(db, principal, person_id)
    today = as_of or now().date()
    chosen = parse_window(window, today)
    scope = principal.visible_establishments()
    out = person_cumulative(db, person.id, person.pseudonym, scope, chosen, today, basis)
    record_read(
        db,
        principal,
        "person.cumulative.read",
        "person",
        person.pseudonym,
        details={"window": chosen.label, "basis": basis.value, "scope": out.scope},
    )
    return json_response(out)


def lookup(db: Db, principal: Principal, body: LookupIn) -> LookupOut:
    """Regional history of the persons holding an identifier; audited with its reason,
    found or not (the identifier itself is kept as a SHA-256 only)."""
    person_ids = repository.find_persons(db, body.identifier.strip(), body.issuer or None)
    found = [h for pid in person_ids if (h := history_of(db, principal, pid, True)) is not None]
    record_read(
        db,
        principal,
        "person.lookup",
        "person",
        ",".join(h.person.pseudonym[:16] for h in found) or "none",
        reason=body.reason.strip(),
        details={
            "issuer": body.issuer,
            "identifier_sha256": hashlib.sha256(body.identifier.encode()).hexdigest(),
            "persons": [h.person.pseudonym for h in found],
        },
    )
    return LookupOut(persons=found)


@router.post("/lookup", response_model=LookupOut)
def post_lookup(body: LookupIn, db: Db, principal: RegionalLookup) -> Response:
    """Explicit look-up by identifier (+ issuer) with a stated reason: the only way a
    radiologist reaches a person's exams at other establishments."""
    result = lookup(db, principal, body)
    if not result.persons:
        raise not_found("person with this identifier")
    return json_response(result)
