"""Administration reads: the service's users with their role and establishments."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Db
from api.queries_dose import users
from api.schemas_dose import UserOut
from api.security import Admin

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/users", response_model=list[UserOut])
def list_users(db: Db, principal: Admin) -> list[UserOut]:
    """Every account (no secret: neither password hashes nor tokens leave the ledger)."""
    return users(db)
