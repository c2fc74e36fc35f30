"""The audit log (admins): who read or changed what, when, from where."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db, PageNo, PageSize
from api.queries import audit_page
from api.schemas import AuditOut, Page
from api.security import Admin

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
    items, total = audit_page(db, action, page, page_size)
    return Page(items=items, page=page, page_size=page_size, total=total)
