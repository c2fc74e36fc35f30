"""The quarantine retry use case: ingest the kept bytes again (after a parser fix).

An entry stays ``open`` until the retry that records its object commits: the report, the
entry's ``resolved`` status and the audit row are written in one transaction
(:meth:`Ingestor.record` ``also=``). A process killed at any point leaves the entry open
(and the report unrecorded), so the next retry picks it up again; there is no intermediate
state that could hide an entry. An object still rejected keeps its entry open with one
more attempt and the latest reason code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import LedgerError
from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import identity, quarantine
from dosewatch.ledger.db import transaction
from dosewatch.ledger.models import Quarantine, QuarantineStatus


@dataclass(frozen=True, slots=True)
class Retried:
    """One entry retried: its status after the retry and the ingest outcome (None: no file)."""

    entry_id: int
    status: QuarantineStatus
    outcome: Outcome | None

    @property
    def reason(self) -> str | None:
        return "the rejected bytes were not kept" if self.outcome is None else self.outcome.reason


@dataclass(frozen=True, slots=True)
class Audit:
    """Who retries, and what the audit row says."""

    actor: str
    reason: str = "retried"
    details: dict[str, Any] | None = None


def retry_entry(
    ingestor: Ingestor,
    entry_id: int,
    audit: Audit,
    *,
    establishment: str | None = None,
) -> Retried:
    """Retry one open entry; :class:`LedgerError` when there is no open entry of that id."""
    with ingestor.readers() as session:
        entry = session.scalar(
            select(Quarantine).where(
                Quarantine.id == entry_id, Quarantine.status == QuarantineStatus.OPEN.value
            )
        )
        if entry is None:
            raise LedgerError(f"no open quarantine entry {entry_id}")
        sha256, label, stored_path = entry.sha256, entry.source, entry.stored_path
    path = Path(stored_path) if stored_path else None
    if path is None or not path.is_file():
        return Retried(entry_id, QuarantineStatus.OPEN, None)
    source = identity.SourceInfo(label, establishment=establishment)
    prepared = ingestor.prepare(path.read_bytes(), label)

    def details(outcome: Outcome) -> dict[str, Any]:
        return {
            **(audit.details or {}),
            "outcome": outcome.status,
            "sop_instance_uid": outcome.sop_instance_uid,
        }

    if prepared.result is None:
        rejection = prepared.rejection or quarantine.Rejection("input.invalid", "rejected")
        outcome = Outcome("quarantined", rejection.sop_instance_uid, reason=rejection.code)
        with transaction(ingestor.sessions) as session:
            quarantine.still_rejected(session, entry_id, rejection.code)
            identity.audit(
                session, "quarantine.retry", "quarantine", sha256, audit.reason, audit.actor,
                details(outcome),
            )  # fmt: skip
        return Retried(entry_id, QuarantineStatus.OPEN, outcome)

    def close(session: Session, outcome: Outcome) -> None:
        if not quarantine.resolve(session, entry_id):
            return  # a concurrent retry resolved it first (the report is a duplicate)
        identity.audit(
            session, "quarantine.resolved", "quarantine", sha256, audit.reason, audit.actor,
            details(outcome),
        )  # fmt: skip

    outcome = ingestor.record(prepared, source, also=close)
    return Retried(entry_id, QuarantineStatus.RESOLVED, outcome)


def retry_open(
    ingestor: Ingestor, audit: Audit, *, establishment: str | None = None
) -> list[Retried]:
    """Retry every open entry, oldest first."""
    with ingestor.readers() as session:
        ids = [e.id for e in quarantine.open_entries(session)]
    done: list[Retried] = []
    for entry_id in ids:
        try:
            done.append(retry_entry(ingestor, entry_id, audit, establishment=establishment))
        except LedgerError:
            continue  # resolved by a concurrent retry meanwhile
    return done
