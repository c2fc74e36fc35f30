"""DICOMweb pull state: per archive, the watermark and the instances already pulled.

* ``pull_source``: one row per archive (its DICOMweb root without credentials) with the
  *watermark*, the latest Study Date up to which a pull finished without failures; an
  incremental pull starts from it (inclusive: objects of that day may still arrive).
* ``pulled_instance``: each SOP Instance UID whose ingest finished (recorded, duplicate or
  quarantined), committed right after its ingest. A pull interrupted at any point resumes by
  skipping these; an instance whose ingest finished but whose row was not yet written is
  retrieved again and the ingest answers ``duplicate`` (idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewatch.ledger.models import UID, Base


class PullSource(Base):
    """An archive dosewatch pulls from, and how far it got."""

    __tablename__ = "pull_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    watermark: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PulledInstance(Base):
    """An instance of an archive whose ingest finished, with the outcome."""

    __tablename__ = "pulled_instance"
    __table_args__ = (UniqueConstraint("source_id", "sop_instance_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("pull_source.id"), index=True)
    sop_instance_uid: Mapped[str] = mapped_column(UID)
    study_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    pulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def source_row(session: Session, url: str, now: datetime) -> PullSource:
    """The row of ``url``, created on first use."""
    row = session.scalar(select(PullSource).where(PullSource.url == url))
    if row is None:
        row = PullSource(url=url, watermark=None, updated_at=now)
        session.add(row)
        session.flush()
    return row


def watermark(session: Session, url: str) -> date | None:
    return session.scalar(select(PullSource.watermark).where(PullSource.url == url))


def pulled_uids(session: Session, source_id: int, uids: Iterable[str]) -> set[str]:
    """Those of ``uids`` already pulled from the source."""
    wanted = list(uids)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            session.scalars(
                select(PulledInstance.sop_instance_uid).where(
                    PulledInstance.source_id == source_id,
                    PulledInstance.sop_instance_uid.in_(chunk),
                )
            )
        )
    return found


def mark_pulled(
    session: Session,
    source_id: int,
    sop_instance_uid: str,
    study_date: date | None,
    outcome: str,
    now: datetime,
) -> None:
    exists = session.scalar(
        select(PulledInstance.id).where(
            PulledInstance.source_id == source_id,
            PulledInstance.sop_instance_uid == sop_instance_uid,
        )
    )
    if exists is None:
        session.add(
            PulledInstance(
                source_id=source_id,
                sop_instance_uid=sop_instance_uid,
                study_date=study_date,
                outcome=outcome,
                pulled_at=now,
            )
        )


def advance_watermark(session: Session, source_id: int, to: date, now: datetime) -> date:
    """Move the watermark forward to ``to`` (never backward); returns the watermark."""
    row = session.get_one(PullSource, source_id)
    if row.watermark is None or to > row.watermark:
        row.watermark = to
    row.updated_at = now
    assert row.watermark is not None
    return row.watermark
