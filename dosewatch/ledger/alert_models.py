"""Alerts raised on a person's doses: one row per (rule, subject), raised once.

The rules and their evaluation live in :mod:`dosewatch.cumulative.alerts` (the ledger never
imports them); the ledger only keeps the rows. ``alert_key`` is unique — ``<rule>|<person>``
for a cumulative rule, ``<rule>|<study>`` for a per-procedure one — so a re-sent or
superseding report, or two workers evaluating at once, can never raise it twice.
``active`` is False when a re-evaluation (a superseded report, a corrected value) no longer
meets the condition: the alert is withdrawn, not deleted; its state history is in
``audit_event``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class AlertRow(Base):
    """One alert: which rule (and version), whose dose, at which exam, routed to whom."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(200), unique=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # open | acknowledged | closed
    active: Mapped[bool] = mapped_column(Boolean)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
