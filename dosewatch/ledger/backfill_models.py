"""Backfill progress: one ``backfill_run`` per enumeration of a source, one ``backfill_item``
per object reference it found.

An item goes ``pending`` (enumerated) → ``enqueued`` (a task message was published) →
``done`` (a worker recorded, found a duplicate of, or quarantined its object). ``attempts``
counts task starts; a message delivered more than the allowed attempts (its workers keep
dying on it) is quarantined as abandoned instead of being tried again. The items are what
makes an enqueuer resumable after a crash (``(run_id, ref)`` is unique, re-enumeration
inserts nothing twice) and what ``dosewatch backfill status`` (and the service) show.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class ItemState(enum.StrEnum):
    PENDING = "pending"
    ENQUEUED = "enqueued"
    DONE = "done"


class BackfillRun(Base):
    """One backfill of a source (a folder or a DICOMweb service) over a date window."""

    __tablename__ = "backfill_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_key: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of source+window
    source: Mapped[str] = mapped_column(Text)
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    establishment: Mapped[str | None] = mapped_column(String(64))
    enumerated: Mapped[bool] = mapped_column(Boolean, default=False)  # every ref inserted
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BackfillItem(Base):
    """One object reference (path or URL) of a run, and what became of it."""

    __tablename__ = "backfill_item"
    __table_args__ = (
        UniqueConstraint("run_id", "ref_hash"),
        Index("ix_backfill_item_run_state", "run_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("backfill_run.id"))
    ref: Mapped[str] = mapped_column(Text)
    ref_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of ref (unique per run)
    state: Mapped[str] = mapped_column(String(16), default=ItemState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))  # Outcome.status
    reason: Mapped[str | None] = mapped_column(String(64))  # quarantine reason code
    sop_instance_uid: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
