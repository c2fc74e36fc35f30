"""Quarantine (admins): rejected objects with their reason; retry one through the ingest
use case after a parser fix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from api.deps import Db, RowId
from api.problems import Problem, not_found
from api.schemas import Page, QuarantineOut, RetryOut
from api.security import Admin
from dosewatch.domain.errors import LedgerError
from dosewatch.ingest import retry as retry_use_case
from dosewatch.ledger.models import Quarantine, QuarantineStatus

router = APIRouter(prefix="/api/quarantine", tags=["quarantine"])


@router.get("", response_model=Page[QuarantineOut])
def list_quarantine(
    db: Db,
    _principal: Admin,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[QuarantineOut]:
    """Open entries, oldest first."""
    base = select(Quarantine).where(Quarantine.status == QuarantineStatus.OPEN.value)
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = db.scalars(
        base.order_by(Quarantine.quarantined_at, Quarantine.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return Page(
        items=[QuarantineOut.model_validate(r) for r in rows],
        page=page,
        page_size=page_size,
        total=total,
    )


@router.post("/{entry_id}/retry", response_model=RetryOut)
def retry(entry_id: RowId, request: Request, db: Db, principal: Admin) -> RetryOut:
    """Ingest the kept bytes again; the entry is resolved when they are now recorded."""
    entry = db.get(Quarantine, entry_id)
    if entry is None or entry.status != QuarantineStatus.OPEN.value:
        raise not_found("open quarantine entry")
    db.rollback()  # end the read transaction before the use case writes (SQLite write lock)
    audit = retry_use_case.Audit(
        principal.actor, "retried from the API", {"client": principal.client}
    )
    try:
        done = retry_use_case.retry_entry(request.app.state.ingestor, entry_id, audit)
    except LedgerError as exc:  # resolved by a concurrent retry meanwhile
        raise not_found("open quarantine entry") from exc
    if done.outcome is None:
        raise Problem(409, "quarantine.no_file", "the rejected bytes were not kept")
    return RetryOut(
        id=entry_id,
        outcome=done.outcome.status,
        status=done.status.value,
        reason=done.outcome.reason,
    )
