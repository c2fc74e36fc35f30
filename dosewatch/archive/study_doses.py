"""A study's recorded doses read back from the ledger, for the outputs (P-RDSR, FHIR, CSV).

Only what the ledger counts: current reports, and per slot the current (elected) estimate.
Every estimate keeps its value with its unit, method, model, table version, weight basis,
uncertainty, origin (model or reported) and the event it belongs to. Patient names are not
stored, so none is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.codes import normalise_key
from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.models import (
    Device,
    EstimateRow,
    EventRow,
    PatientIdentifierRow,
    Person,
    ReportRow,
    ReportStatus,
    Study,
)


@dataclass(frozen=True, slots=True)
class SourceReport:
    """A current dose object of the study and the event UIDs it recorded."""

    sop_class_uid: str
    sop_instance_uid: str
    series_instance_uid: str | None  # None: recorded before the ledger kept it
    modality: str
    event_uids: tuple[str, ...]
    manufacturer: str | None
    model: str | None
    content_datetime: datetime | None = None
    calling_ae: str | None = None  # when received by the listener
    dlp_total_mgy_cm: float | None = None
    kap_total_gy_cm2: float | None = None
    ka_r_total_gy: float | None = None
    fluoro_time_total_s: float | None = None


@dataclass(frozen=True, slots=True)
class StudyEstimate:
    """One counted estimate, in the ledger's canonical unit (mGy or mSv)."""

    quantity: str
    organ: tuple[str, str, str] | None  # (scheme, value, meaning), SCT
    value: float
    unit: str
    uncertainty_pct: float
    method: str
    model_id: str
    model_version: str
    table_version: str
    basis: str | None
    origin: str  # "model" | "reported"
    indicative: bool
    upper_bound: bool
    event_uid: str | None
    source_sop_instance_uid: str


@dataclass(frozen=True, slots=True)
class StudyDoses:
    """What the outputs of one study are built from."""

    study_instance_uid: str
    study_date: date | None
    accession_number: str | None
    study_description: str | None
    patient_id: str | None
    patient_sex: str | None
    patient_birth_date: date | None
    reports: tuple[SourceReport, ...]
    estimates: tuple[StudyEstimate, ...]


def study_doses(session: Session, study_instance_uid: str) -> StudyDoses:
    """The study's current reports and counted estimates; an unknown UID is an input error."""
    study = session.scalar(select(Study).where(Study.study_instance_uid == study_instance_uid))
    if study is None:
        raise InvalidValueError(f"study {study_instance_uid} is not in the ledger")
    person = session.get(Person, study.person_id)
    identifier = (
        session.get(PatientIdentifierRow, study.identifier_id) if study.identifier_id else None
    )
    rows = session.execute(
        select(ReportRow, Device)
        .outerjoin(Device, Device.id == ReportRow.device_id)
        .where(ReportRow.study_id == study.id, ReportRow.status == ReportStatus.CURRENT.value)
        .order_by(ReportRow.sop_instance_uid)
    ).all()
    sop_of = {report.id: report.sop_instance_uid for report, _ in rows}
    events = session.execute(
        select(EventRow.id, EventRow.report_id, EventRow.event_uid).where(
            EventRow.study_id == study.id, EventRow.counted.is_(True)
        )
    ).all()
    uid_of_event = {event_id: uid for event_id, _, uid in events}
    reports = tuple(
        SourceReport(
            sop_class_uid=report.sop_class_uid,
            sop_instance_uid=report.sop_instance_uid,
            series_instance_uid=report.series_instance_uid,
            modality=report.modality,
            event_uids=tuple(
                sorted({uid for _, rid, uid in events if rid == report.id and uid is not None})
            ),
            manufacturer=device.manufacturer if device else None,
            model=device.model if device else None,
            content_datetime=report.content_datetime,
            calling_ae=_calling_ae(report.source),
            dlp_total_mgy_cm=report.dlp_total_mgy_cm,
            kap_total_gy_cm2=report.kap_total_gy_cm2,
            ka_r_total_gy=report.ka_r_total_gy,
            fluoro_time_total_s=report.fluoro_time_total_s,
        )
        for report, device in rows
    )
    estimate_rows = session.scalars(
        select(EstimateRow)
        .where(EstimateRow.study_id == study.id, EstimateRow.current.is_(True))
        .order_by(EstimateRow.slot_key)
    ).all()
    estimates = tuple(
        StudyEstimate(
            quantity=row.quantity,
            organ=_organ(row),
            value=row.value,
            unit=row.unit,
            uncertainty_pct=row.uncertainty_pct,
            method=row.method,
            model_id=row.model_id,
            model_version=row.model_version,
            table_version=row.table_version,
            basis=row.basis,
            origin=str(row.inputs.get("origin", "model")),
            indicative=row.indicative,
            upper_bound=row.upper_bound,
            event_uid=uid_of_event.get(row.event_id) if row.event_id is not None else None,
            source_sop_instance_uid=sop_of.get(row.report_id, ""),
        )
        for row in estimate_rows
        if row.report_id in sop_of
    )
    return StudyDoses(
        study_instance_uid=study.study_instance_uid,
        study_date=study.study_date,
        accession_number=study.accession_number,
        study_description=study.study_description,
        patient_id=identifier.value if identifier else None,
        patient_sex=person.sex if person else None,
        patient_birth_date=person.birth_date if person else None,
        reports=reports,
        estimates=estimates,
    )


def _organ(row: EstimateRow) -> tuple[str, str, str] | None:
    if not row.organ_value:
        return None
    scheme, value = normalise_key(row.organ_scheme or "SCT", row.organ_value)
    return scheme, value, row.organ_meaning or value


def _calling_ae(source: str | None) -> str | None:
    """The calling AE of an object the listener received (its source label ``dicom:AE``)."""
    if source and source.startswith("dicom:"):
        return source.removeprefix("dicom:") or None
    return None
