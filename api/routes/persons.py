"""Persons: scoped history for clinicians; regional history only by explicit, audited
look-up (radiologists, admins). Quality managers never reach a person (pseudonyms only,
through studies)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter

from api import queries
from api.audit import record_read
from api.deps import Db, RowId
from api.problems import not_found
from api.schemas import HistoryOut, LookupIn, LookupOut, PersonOut
from api.security import Clinician, Principal, RegionalLookup
from dosewatch.ledger import repository

router = APIRouter(prefix="/api/persons", tags=["persons"])

GAPS = [
    "cumulative organ and effective dose over windows: not in this build (cumulative issue)",
    "alerts: not in this build (cumulative issue)",
]


def history_of(db: Db, principal: Principal, person_id: int, regional: bool) -> HistoryOut | None:
    person = queries.live_person(db, person_id)
    if person is None:
        return None
    scope = None if regional else principal.visible_establishments()
    studies = queries.person_studies(db, person.id, scope)
    if not studies and not regional and scope is not None:
        return None  # nothing of this person in the caller's establishments: not visible
    return HistoryOut(
        person=queries.person_out(db, person),
        scope="regional" if scope is None else "own-establishments",
        studies=studies,
        gaps=GAPS,
    )


@router.get("/{person_id}", response_model=PersonOut)
def get_person(person_id: RowId, db: Db, principal: Clinician) -> PersonOut:
    """A person seen in the caller's establishments (admins: any)."""
    history = history_of(db, principal, person_id, regional=False)
    if history is None:
        raise not_found("person")
    record_read(db, principal, "person.read", "person", history.person.pseudonym)
    return history.person


@router.get("/{person_id}/history", response_model=HistoryOut)
def get_history(person_id: RowId, db: Db, principal: Clinician) -> HistoryOut:
    """The person's exams in the caller's establishments (admins: regional)."""
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
    return history


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
def post_lookup(body: LookupIn, db: Db, principal: RegionalLookup) -> LookupOut:
    """Explicit look-up by identifier (+ issuer) with a stated reason: the only way a
    radiologist reaches a person's exams at other establishments."""
    result = lookup(db, principal, body)
    if not result.persons:
        raise not_found("person with this identifier")
    return result
