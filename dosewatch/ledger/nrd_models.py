"""Ledger tables of the NRD evaluations (issue #8): exam mapping rules and their audit,
reference-value versions loaded by an administrator, per-study NRD facts, saved evaluations.

``nrd_study_facts`` holds what the evaluation needs per study and the ledger did not store:
the patient's age, weight and height at the study (DICOM (0010,1010), (0010,1030),
(0010,1020)), the requested procedure and protocol text, and the study's NRD indicators in
the decision's units. One row per study; the NRD package fills and reads it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class NrdMappingRule(Base):
    """Local exam names of one establishment -> national exam type."""

    __tablename__ = "nrd_mapping_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # exact | pattern | keyword
    field: Mapped[str] = mapped_column(String(32))  # study_description | requested | protocol | any
    pattern: Mapped[str] = mapped_column(String(200))
    modality: Mapped[str | None] = mapped_column(String(8))
    exam_type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NrdMappingAudit(Base):
    """Every change of a mapping rule: who, when, why, before and after."""

    __tablename__ = "nrd_mapping_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(Integer, index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # add | change | remove
    reason: Mapped[str] = mapped_column(String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class NrdReferenceVersion(Base):
    """A reference-value CSV loaded by an administrator (validated, versioned, audited)."""

    __tablename__ = "nrd_reference_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))


class NrdStudyFacts(Base):
    """Per-study facts of an NRD evaluation (patient at the study, texts, indicators)."""

    __tablename__ = "nrd_study_facts"
    __table_args__ = (Index("ix_nrd_study_facts_est_date", "establishment_id", "study_date"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    modality: Mapped[str] = mapped_column(String(8))
    study_date: Mapped[date | None] = mapped_column(Date)
    requested_procedure: Mapped[str | None] = mapped_column(String(200))
    protocol: Mapped[str | None] = mapped_column(String(200))
    age_years: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    acquisitions: Mapped[int] = mapped_column(Integer, default=0)
    ctdivol_mgy: Mapped[float | None] = mapped_column(Float)
    dlp_mgy_cm: Mapped[float | None] = mapped_column(Float)
    kap_mgy_cm2: Mapped[float | None] = mapped_column(Float)
    agd_mgy: Mapped[float | None] = mapped_column(Float)
    activity_mbq: Mapped[float | None] = mapped_column(Float)


class NrdEvaluationRow(Base):
    """A saved evaluation (establishment x device x exam type x indicator x period)."""

    __tablename__ = "nrd_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    exam_type: Mapped[str] = mapped_column(String(32))
    population: Mapped[str] = mapped_column(String(16))
    reference_weight_kg: Mapped[float | None] = mapped_column(Float)
    indicator: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer)
    n_required: Mapped[int] = mapped_column(Integer)
    median: Mapped[float | None] = mapped_column(Float)
    q1: Mapped[float | None] = mapped_column(Float)
    q3: Mapped[float | None] = mapped_column(Float)
    nrd: Mapped[float | None] = mapped_column(Float)
    vgd: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    reference_version: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[Any]] = mapped_column(JSON)
    exams: Mapped[list[Any]] = mapped_column(JSON)  # pseudonymised
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
