"""Administrator load of NRD values from a CSV transcription of the legal text: validated
(``reference.parse_values``), versioned (``nrd_reference_version``), audited (``audit_event``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import InputError
from dosewatch.ledger.models import AuditEvent
from dosewatch.ledger.nrd_models import NrdReferenceVersion
from dosewatch.nrd.reference import ReferenceSet, packaged, parse_values


def load_reference_csv(
    session: Session, text: str, *, version: str, actor: str, reason: str
) -> ReferenceSet:
    """Validate and store a new reference version; nothing is stored when validation fails."""
    if session.scalar(select(NrdReferenceVersion.id).where(NrdReferenceVersion.version == version)):
        raise InputError(f"reference version {version!r} exists already (versions are immutable)")
    reference = parse_values(text, version=version)
    now = datetime.now(UTC)
    row = NrdReferenceVersion(
        version=version,
        sha256=reference.sha256,
        content=text,
        row_count=len(reference.values),
        loaded_at=now,
        actor=actor,
        reason=reason,
    )
    session.add(row)
    session.flush()
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="nrd.reference.load",
            target_type="nrd_reference_version",
            target_id=str(row.id),
            reason=reason,
            details={"version": version, "sha256": reference.sha256, "rows": len(reference.values)},
        )
    )
    return reference


def reference_version(session: Session, version: str | None) -> ReferenceSet:
    """A stored version by name, or the packaged data when ``version`` is None."""
    if version is None:
        return packaged()
    row = session.scalar(select(NrdReferenceVersion).where(NrdReferenceVersion.version == version))
    if row is None:
        raise InputError(f"no reference version {version!r}")
    return parse_values(row.content, version=row.version)
