"""Bad input is never silently dropped: unreadable, non-dose or invalid objects are kept.

The bytes go to ``<quarantine_dir>/<sha256[:2]>/<sha256>.dcm`` (content-addressed, so a
second copy of the same bad file is one file), and a ``quarantine`` row records the reason
code (the :class:`~dosewatch.domain.errors.DoseWatchError` code), its message (which names
objects by UID only), the source and the SHA-256. The row is unique by SHA-256; a file
quarantined again only bumps ``attempts`` when it is retried explicitly.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dosewatch.domain.report import DeviceFacts
from dosewatch.ledger.identity import insert_ignore, now
from dosewatch.ledger.models import Quarantine, QuarantineStatus


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an object was rejected (from a DoseWatchError), without patient data."""

    code: str
    message: str
    sop_instance_uid: str | None = None


def keep_file(quarantine_dir: Path, sha256: str, data: bytes) -> Path:
    """Store the rejected bytes content-addressed; atomic (write to a temp file, rename)."""
    target = quarantine_dir / sha256[:2] / f"{sha256}.dcm"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def record(
    session: Session,
    sha256: str,
    source: str | None,
    rejection: Rejection,
    stored_path: Path | None,
    *,
    device: DeviceFacts | None = None,
    establishment: str | None = None,
) -> None:
    """Insert the quarantine row unless the same bytes are already quarantined.

    ``device`` (what the rejected object's header names, when it could be read) and the
    source's explicit ``establishment`` attribute the rejection in the conformance report.
    """
    insert_ignore(
        session,
        Quarantine,
        {
            "sha256": sha256,
            "source": source,
            "sop_instance_uid": rejection.sop_instance_uid,
            "reason_code": rejection.code[:64],
            "reason": rejection.message,
            "stored_path": None if stored_path is None else str(stored_path),
            "status": QuarantineStatus.OPEN.value,
            "attempts": 1,
            "quarantined_at": now(),
            "manufacturer": _cut(None if device is None else device.manufacturer),
            "model": _cut(None if device is None else device.model),
            "software_versions": _cut(
                None if device is None else "\\".join(device.software_versions) or None
            ),
            "establishment": None if establishment is None else establishment[:64],
        },
    )


def _cut(value: str | None) -> str | None:
    return None if value is None else value[:200]


def is_quarantined(session: Session, sha256: str) -> bool:
    return (
        session.scalar(
            select(Quarantine.id).where(
                Quarantine.sha256 == sha256, Quarantine.status == QuarantineStatus.OPEN.value
            )
        )
        is not None
    )


def still_rejected(session: Session, entry_id: int, reason_code: str) -> None:
    """A retried entry that is still rejected: one more attempt, the latest reason."""
    session.execute(
        update(Quarantine)
        .where(Quarantine.id == entry_id)
        .values(attempts=Quarantine.attempts + 1, reason_code=reason_code[:64])
    )


def resolve(session: Session, entry_id: int) -> bool:
    """Close an open entry; False when it was not open (resolved by a concurrent retry)."""
    result = session.execute(
        update(Quarantine)
        .where(Quarantine.id == entry_id, Quarantine.status == QuarantineStatus.OPEN.value)
        .values(status=QuarantineStatus.RESOLVED.value)
    )
    return bool(getattr(result, "rowcount", 0))


def open_entries(session: Session, limit: int | None = None) -> list[Quarantine]:
    statement = (
        select(Quarantine)
        .where(Quarantine.status == QuarantineStatus.OPEN.value)
        .order_by(Quarantine.quarantined_at)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement).all())
