"""The ledger schema: SQLAlchemy 2 typed ORM (``Mapped[]``), one class per table.

Natural keys carry unique constraints — they are what makes concurrent ingestion safe
(a race loses on the constraint and its transaction is retried, see
:mod:`dosewatch.ingest.pipeline`):

* ``establishment.code``; ``establishment_alias (kind, value)``;
* ``device (establishment_id, device_key)``;
* ``person.pseudonym``; ``patient_identifier (issuer, value)``;
* ``study.study_instance_uid``; ``dose_report.sop_instance_uid``;
* ``irradiation_event (study_id, event_key)`` — the event key is the Irradiation Event
  UID (or Radiopharmaceutical Administration Event UID) when the object has one;
* ``quarantine.sha256``.

Dose columns are named after their canonical unit (``ctdivol_mgy``, ``dlp_mgy_cm``,
``kap_gy_cm2``, ``ka_r_gy``, ``agd_mgy``, ``activity_mbq`` ...): the unit never travels
apart from the number.
"""

from __future__ import annotations

import enum
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
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UID = String(64)  # DICOM UI VR: at most 64 characters


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy class attribute
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class ReportStatus(enum.StrEnum):
    """``current`` reports count; ``superseded`` ones are kept for provenance only."""

    CURRENT = "current"
    SUPERSEDED = "superseded"


class QuarantineStatus(enum.StrEnum):
    """``open`` entries await a fix and a retry; ``resolved`` ones were recorded on retry.

    There is no in-between state: a retry closes its entry in the transaction that records
    the report (:mod:`dosewatch.ingest.retry`), so a crash leaves the entry open.
    """

    OPEN = "open"
    RESOLVED = "resolved"


# --------------------------------------------------------------------------- tenancy, devices


class Establishment(Base):
    """A tenant of the shared archive (hospital, clinic, imaging centre); FINESS code."""

    __tablename__ = "establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EstablishmentAlias(Base):
    """How a source names an establishment: Institution Name, calling AE title, explicit."""

    __tablename__ = "establishment_alias"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # institution_name | calling_ae | explicit
    value: Mapped[str] = mapped_column(String(200))
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)


class Device(Base):
    """An irradiating device of one establishment (Device Observer UID when known)."""

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("establishment_id", "device_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    device_key: Mapped[str] = mapped_column(String(64))  # sha256 of the identity fields
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(200))
    station_name: Mapped[str | None] = mapped_column(String(200))
    device_observer_uid: Mapped[str | None] = mapped_column(UID)


# --------------------------------------------------------------------------- identity


class Person(Base):
    """The cross-site patient. ``pseudonym`` is an HMAC-SHA256, safe for exports."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    identifiers: Mapped[list[PatientIdentifierRow]] = relationship(
        back_populates="person", foreign_keys="PatientIdentifierRow.person_id"
    )


class PatientIdentifierRow(Base):
    """One issuer-qualified patient identifier (INS or local) pointing at its person.

    ``issuer`` is qualified: ``INS:<oid>``, ``OID:<universal id>``, ``ISSUER:<Issuer of
    Patient ID>`` or ``EST:<establishment code>`` (the sending establishment).
    """

    __tablename__ = "patient_identifier"
    __table_args__ = (UniqueConstraint("issuer", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # ins | local | study
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person] = relationship(back_populates="identifiers", foreign_keys=[person_id])


# --------------------------------------------------------------------------- studies, reports


class Study(Base):
    """A study (Study Instance UID), of one person, performed at one establishment."""

    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_instance_uid: Mapped[str] = mapped_column(UID, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    identifier_id: Mapped[int | None] = mapped_column(ForeignKey("patient_identifier.id"))
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)
    study_date: Mapped[date | None] = mapped_column(Date)
    accession_number: Mapped[str | None] = mapped_column(String(64))
    study_description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportRow(Base):
    """One dose object (SOP Instance UID) as received, current or superseded."""

    __tablename__ = "dose_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(UID, unique=True)
    sop_class_uid: Mapped[str] = mapped_column(UID)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    source_kind: Mapped[str] = mapped_column(String(32))
    modality: Mapped[str] = mapped_column(String(8))  # DoseModality family
    template_id: Mapped[str | None] = mapped_column(String(16))
    presentation_intent: Mapped[str | None] = mapped_column(String(32))
    content_datetime: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.CURRENT.value)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("dose_report.id"))
    source: Mapped[str | None] = mapped_column(Text)  # file path or AE title, never a name
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    event_count: Mapped[int] = mapped_column(Integer)
    #: the keys of the events this object sent (sorted) — decides covering/superseding
    event_keys: Mapped[list[Any]] = mapped_column(JSON)
    # the object's own accumulated totals (never recomputed), canonical units
    dlp_total_mgy_cm: Mapped[float | None] = mapped_column(Float)
    kap_total_gy_cm2: Mapped[float | None] = mapped_column(Float)
    ka_r_total_gy: Mapped[float | None] = mapped_column(Float)
    fluoro_time_total_s: Mapped[float | None] = mapped_column(Float)
    #: Software Versions (0018,1020) of the object, values joined with "\\" (conformance)
    software_versions: Mapped[str | None] = mapped_column(String(200))
    #: Series Instance UID of the object (the evidence list of a Patient Radiation Dose SR)
    series_instance_uid: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportFinding(Base):
    """A finding about one report: from the parser (``origin='parser'``) or the ledger."""

    __tablename__ = "report_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("dose_report.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # parser | ledger | model
    severity: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    content_path: Mapped[str | None] = mapped_column(String(200))
    concept: Mapped[str | None] = mapped_column(String(200))


class EventRow(Base):
    """One irradiation event (or radiopharmaceutical administration) of a study, kept once.

    ``report_id`` is the report that currently provides the values; ``counted`` is False
    for image-header events that an RDSR of the same study already accounts for (see
    :mod:`dosewatch.ledger.dedup`); ``conflict`` is True when another object sent the same
    event UID with different values.
    """

    __tablename__ = "irradiation_event"
    __table_args__ = (
        UniqueConstraint("study_id", "event_key"),
        Index("ix_irradiation_event_event_uid", "event_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("dose_report.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(80))
    event_uid: Mapped[str | None] = mapped_column(UID)
    kind: Mapped[str] = mapped_column(String(24))  # ct | projection | mammography | nm
    modality: Mapped[str] = mapped_column(String(8))
    from_header: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    value_hash: Mapped[str] = mapped_column(String(64))
    datetime_started: Mapped[datetime | None] = mapped_column(DateTime)
    acquisition_protocol: Mapped[str | None] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(80))  # SCHEME:VALUE
    target_region: Mapped[str | None] = mapped_column(String(80))  # SCHEME:VALUE
    laterality: Mapped[str | None] = mapped_column(String(80))  # SCHEME:VALUE
    ctdivol_mgy: Mapped[float | None] = mapped_column(Float)
    dlp_mgy_cm: Mapped[float | None] = mapped_column(Float)
    ctdi_phantom_cm: Mapped[int | None] = mapped_column(Integer)
    ssde_mgy: Mapped[float | None] = mapped_column(Float)
    kap_gy_cm2: Mapped[float | None] = mapped_column(Float)
    ka_r_gy: Mapped[float | None] = mapped_column(Float)
    agd_mgy: Mapped[float | None] = mapped_column(Float)
    exposure_time_s: Mapped[float | None] = mapped_column(Float)
    activity_mbq: Mapped[float | None] = mapped_column(Float)
    radionuclide: Mapped[str | None] = mapped_column(String(80))  # SCHEME:VALUE
    radiopharmaceutical: Mapped[str | None] = mapped_column(String(200))


#: the estimate columns that the cumulative view's grouped read touches besides ``study_id``
#: (:mod:`dosewatch.cumulative.records`): INCLUDEd in the partial index ``ix_estimate_view``
ESTIMATE_VIEW_INCLUDE = (
    "report_id",
    "event_id",
    "group_id",
    "quantity",
    "id",
    "value",
    "uncertainty_pct",
)


class EstimateRow(Base):
    """One estimate of an organ-dose model, for an event or a whole study.

    Fields mirror :class:`dosewatch.domain.estimate.Estimate`. ``current`` means *counted*:
    for each slot — (event, quantity, organ, basis), or (study, quantity, organ, basis) for a
    study-level estimate — at most one estimate of a study is current, enforced by the
    partial unique index ``uq_estimate_current_slot`` on ``(study_id, slot_key) WHERE
    current``. Which one is counted, and why the others are not, is decided by
    :func:`dosewatch.ledger.estimates.elect` (``selection`` and ``selection_reason``).
    Nothing is deleted: superseded, alternative and replaced estimates stay retrievable.
    """

    __tablename__ = "estimate"
    __table_args__ = (
        Index(
            "uq_estimate_current_slot",
            "study_id",
            "slot_key",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
        # the cumulative view's grouped read as an index-only scan (migration cumview_02)
        Index(
            "ix_estimate_view",
            "study_id",
            postgresql_include=list(ESTIMATE_VIEW_INCLUDE),
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("dose_report.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("irradiation_event.id"), index=True)
    #: the estimate (of the same report) whose ``estimate_input`` rows are this one's too:
    #: a CT event's ~30 organ doses share one input list (migration ``lean_01``, issue 14);
    #: NULL = the estimate has its own rows. Read the inputs of an estimate through
    #: :data:`dosewatch.ledger.estimates.INPUTS_OWNER`. No foreign key: both rows belong to
    #: one report, written in one statement and deleted in one (``estimates.record``,
    #: ``delete_for_report``; checked by ``tests/ledger/test_lean_record.py``); a
    #: self-reference would cost PostgreSQL a check per row and stop SQLite dropping the
    #: column on downgrade.
    inputs_of_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(32))
    organ_scheme: Mapped[str | None] = mapped_column(String(16))
    organ_value: Mapped[str | None] = mapped_column(String(32))
    organ_meaning: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    uncertainty_pct: Mapped[float] = mapped_column(Float)
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(32))
    table_version: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str | None] = mapped_column(String(16))
    indicative: Mapped[bool] = mapped_column(Boolean)
    upper_bound: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: ``<event key or "study">|<quantity>|<organ SCHEME:VALUE>|<basis>``: what may count once
    slot_key: Mapped[str] = mapped_column(String(200))
    #: ``model`` (computed from indicators) or ``reported`` (a device/site value kept as sent)
    origin: Mapped[str] = mapped_column(String(16))
    #: an :class:`dosewatch.ledger.estimates.Selection` value, and the reason in words
    selection: Mapped[str] = mapped_column(String(32))
    selection_reason: Mapped[str] = mapped_column(Text)
    #: the :class:`EstimateGroup` of the row's descriptor, derived by the database like an
    #: index (PostgreSQL trigger ``estimate_group_of``, migration ``cumview_01``); never
    #: written by the application; NULL on SQLite, where the cumulative view groups by the
    #: descriptor columns themselves
    group_id: Mapped[int | None] = mapped_column(Integer)


#: the descriptor columns of :class:`EstimateGroup` (estimates summed together share them)
ESTIMATE_GROUP_COLUMNS = (
    "quantity",
    "organ_scheme",
    "organ_value",
    "organ_meaning",
    "basis",
    "unit",
    "model_id",
    "model_version",
    "table_version",
    "origin",
    "indicative",
    "upper_bound",
)
#: the descriptor columns that an estimate may leave NULL (stored as '' in estimate_group)
ESTIMATE_GROUP_OPTIONAL = frozenset({"organ_scheme", "organ_value", "organ_meaning", "basis"})


class EstimateGroup(Base):
    """One distinct estimate descriptor: what must be equal for two estimates to be summed
    in one group of the cumulative view (quantity, organ, basis, unit, model and tables,
    origin, flags). Rows are added by the PostgreSQL trigger that sets
    :attr:`EstimateRow.group_id`; the optional parts are stored as ``''`` for NULL (no
    estimate has an empty organ scheme, organ or basis), so that the unique constraint sees
    them. A group is never deleted: an estimate keeps its group whatever becomes of it.
    """

    __tablename__ = "estimate_group"
    __table_args__ = (UniqueConstraint(*ESTIMATE_GROUP_COLUMNS, name="uq_estimate_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quantity: Mapped[str] = mapped_column(String(32))
    organ_scheme: Mapped[str] = mapped_column(String(16))
    organ_value: Mapped[str] = mapped_column(String(32))
    organ_meaning: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(32))
    table_version: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    indicative: Mapped[bool] = mapped_column(Boolean)
    upper_bound: Mapped[bool] = mapped_column(Boolean)


class EstimateSum(Base):
    """A study's counted estimates summed per group, kept by PostgreSQL (migration
    ``cumview_03``) for the cumulative view, which then reads a few rows per exam instead of
    aggregating every estimate row of the person at each call.

    Statement-level triggers on ``estimate`` (insert, update, delete) recompute the rows of
    every study a statement touched, from the counted (``current``) estimates, under the
    study's row lock: every writer keeps it right, bulk SQL included, and a sum is always a
    fresh sum (never incremented, so no rounding drift). One row per (study, report of a
    study-level group or 0, :class:`EstimateGroup` or 0 for a row without one, estimate id
    of a peak skin dose or 0: peak skin doses are never added). ``uncertainty_pct`` is the
    value-weighted mean of the members' (their largest for a zero-magnitude group). Empty on
    SQLite, whose view aggregates the estimates at each call.
    """

    __tablename__ = "estimate_sum"

    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), primary_key=True)
    report_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    psd_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[float] = mapped_column(Float)
    uncertainty_pct: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------- bad input, audit


class Quarantine(Base):
    """A rejected object: why, from where, and where its bytes are kept."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str | None] = mapped_column(Text)
    sop_instance_uid: Mapped[str | None] = mapped_column(UID)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QuarantineStatus.OPEN.value)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    quarantined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the device named by the rejected object's header, when it could be read (conformance)
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    software_versions: Mapped[str | None] = mapped_column(String(200))
    #: the explicit establishment of the source (listener allow-list, ``--establishment``)
    establishment: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Who did what to the ledger and why (person link/unlink, quarantine retry ...)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
