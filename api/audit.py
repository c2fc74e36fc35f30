"""Audit of reads: every read of person data leaves an ``audit_event`` row (who, when,
what, from where), committed before the answer leaves, so there is no read without its
trace. One Core INSERT (no ORM unit of work) and the commit: the row is cheap enough for
every read of the history."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from api.security import Principal
from dosewatch.ledger.identity import now
from dosewatch.ledger.models import AuditEvent

_INSERT = insert(cast(Table, AuditEvent.__table__))


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
    """Insert and commit the audit row of a read (``action`` like ``person.history.read``)."""
    db.execute(
        _INSERT,
        {
            "at": now(),
            "actor": principal.actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id[:64],
            "reason": reason,
            "details": {"client": principal.client, "via": principal.via, **(details or {})},
        },
    )
    db.commit()
