"""Quarantine (admins): rejected objects with their reason; retry one through the ingest
use case after a parser fix."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from sqlalchemy import func, select, update

from api.deps import Db, PageNo, PageSize, RowId
from api.problems import Problem, not_found
from api.schemas import Page, QuarantineOut, RetryOut
from api.security import Admin
from dosewatch.ledger import identity
from dosewatch.ledger.models import Quarantine

router = APIRouter(prefix="/api/quarantine", tags=["quarantine"])


@router.get("", response_model=Page[QuarantineOut])
def list_quarantine(
    db: Db,
    _principal: Admin,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Page[QuarantineOut]:
    """Open entries, oldest first."""
    base = select(Quarantine).where(Quarantine.status == "open")
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
    if entry is None or entry.status != "open":
        raise not_found("open quarantine entry")
    path = Path(entry.stored_path) if entry.stored_path else None
    if path is None or not path.is_file():
        raise Problem(409, "quarantine.no_file", "the rejected bytes were not kept")
    db.execute(update(Quarantine).where(Quarantine.id == entry.id).values(status="retrying"))
    db.commit()
    outcome = request.app.state.ingestor.ingest_bytes(
        path.read_bytes(), identity.SourceInfo(entry.source)
    )
    still = outcome.status == "quarantined"
    values = (
        {"status": "open", "attempts": Quarantine.attempts + 1} if still else {"status": "resolved"}
    )
    db.execute(update(Quarantine).where(Quarantine.id == entry.id).values(**values))
    identity.audit(
        db,
        "quarantine.retry",
        "quarantine",
        entry.sha256,
        "retried from the API",
        principal.actor,
        {"outcome": outcome.status, "client": principal.client},
    )
    db.commit()
    return RetryOut(
        id=entry.id,
        outcome=outcome.status,
        status="open" if still else "resolved",
        reason=outcome.reason,
    )
