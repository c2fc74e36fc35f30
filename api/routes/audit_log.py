"""The audit log (admins): who read or changed what, when, from where."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.deps import Db, PageNo, PageSize
from api.schemas import AuditOut, Page
from api.security import Admin
from dosewatch.ledger.models import AuditEvent

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=Page[AuditOut])
def list_audit(
    db: Db,
    _principal: Admin,
    action: Annotated[str | None, Query(max_length=64)] = None,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> Page[AuditOut]:
    """Newest first; ``action`` filters (``person.lookup``, ``person.history.read`` ...)."""
    base = select(AuditEvent)
    if action:
        base = base.where(AuditEvent.action == action)
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = db.scalars(
        base.order_by(AuditEvent.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return Page(
        items=[AuditOut.model_validate(r) for r in rows],
        page=page,
        page_size=page_size,
        total=total,
    )
