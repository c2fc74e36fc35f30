"""Progress of a recompute run (``dosewatch recompute``), persisted so a killed run resumes.

One row per run: its scope (model id, first study date), the last report it finished (each
report is recomputed in its own transaction, which also moves ``last_report_id``), its
counters, and ``finished_at`` once every report of the scope was done. A run started again
with the same scope while an unfinished one exists continues after ``last_report_id``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class RecomputeRun(Base):
    """One recompute of estimates after a model or reference-table version change."""

    __tablename__ = "recompute_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str | None] = mapped_column(String(64))  # None: every model
    since: Mapped[date | None] = mapped_column(Date)  # None: every study date
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the highest report id done (reports are taken in id order)
    last_report_id: Mapped[int] = mapped_column(Integer, default=0)
    reports_done: Mapped[int] = mapped_column(Integer, default=0)
    reports_changed: Mapped[int] = mapped_column(Integer, default=0)
    reports_unavailable: Mapped[int] = mapped_column(Integer, default=0)
    estimates_replaced: Mapped[int] = mapped_column(Integer, default=0)
    estimates_added: Mapped[int] = mapped_column(Integer, default=0)
