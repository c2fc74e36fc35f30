"""Audit of reads: every read of person data leaves an ``audit_event`` row (who, when,
what, from where) in the same transaction as nothing else — it is committed before the
answer leaves, so there is no read without its trace."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.security import Principal
from dosewatch.ledger.identity import audit


def record_read(
    db: Session,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add and commit the audit row of a read (``action`` like ``person.history.read``)."""
    audit(
        db,
        action,
        target_type,
        target_id[:64],
        reason,
        principal.actor,
        {"client": principal.client, "via": principal.via, **(details or {})},
    )
    db.commit()
