"""API schemas (pydantic): what leaves the service. Units are in the field names
(``dlp_mgy_cm``) as in the ledger; estimates carry unit, method, model and uncertainty."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: ``page`` starts at 1."""

    items: list[T]
    page: int
    page_size: int
    total: int


class Me(Out):
    username: str
    role: str
    establishment_ids: list[int]
    via: str


class EstablishmentOut(Out):
    id: int
    code: str
    name: str | None


class DeviceOut(Out):
    id: int
    establishment_id: int
    manufacturer: str | None
    model: str | None
    serial_number: str | None
    station_name: str | None
    device_observer_uid: str | None


class IdentifierOut(Out):
    issuer: str
    value: str
    kind: str


class PersonOut(Out):
    """A person as seen by a clinician (quality managers never reach this schema)."""

    id: int
    pseudonym: str
    sex: str | None
    birth_date: date | None
    identifiers: list[IdentifierOut]


class EstimateOut(Out):
    id: int
    event_id: int | None
    quantity: str
    organ: str | None = Field(description="SCHEME:VALUE of the organ (organ doses)")
    organ_meaning: str | None
    value: float
    unit: str
    uncertainty_pct: float = Field(description="relative standard uncertainty, %, k=1")
    method: str
    model_id: str
    model_version: str
    table_version: str
    basis: str | None = Field(description="tissue-weight basis of an effective dose")
    indicative: bool
    upper_bound: bool


class EventOut(Out):
    id: int
    study_instance_uid: str
    event_uid: str | None
    kind: str
    modality: str
    datetime_started: datetime | None
    acquisition_protocol: str | None
    counted: bool
    conflict: bool
    ctdivol_mgy: float | None
    dlp_mgy_cm: float | None
    ssde_mgy: float | None
    kap_gy_cm2: float | None
    ka_r_gy: float | None
    agd_mgy: float | None
    activity_mbq: float | None
    estimates: list[EstimateOut]


class StudyOut(Out):
    study_instance_uid: str
    person_pseudonym: str
    establishment_id: int
    establishment_code: str
    study_date: date | None
    study_description: str | None
    modalities: list[str]
    event_count: int


class StudyDetail(StudyOut):
    events: list[EventOut]


class LookupIn(BaseModel):
    """An explicit, audited look-up of a person's regional history."""

    identifier: str = Field(min_length=1, max_length=200)
    issuer: str | None = Field(default=None, max_length=200)
    reason: str = Field(min_length=5, max_length=500, description="why (continuity of care)")


class ExplainOut(Out):
    estimate_id: int
    text: str


class QuarantineOut(Out):
    id: int
    sha256: str
    source: str | None
    sop_instance_uid: str | None
    reason_code: str
    reason: str
    status: str
    attempts: int
    quarantined_at: datetime


class RetryOut(Out):
    id: int
    outcome: str
    status: str
    reason: str | None


class AuditOut(Out):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    reason: str
    details: dict[str, Any]


class UsageRow(Out):
    month: str = Field(description="YYYY-MM of reception")
    service: str = Field(description="ingest (dose objects recorded) | organ_dose (estimated)")
    dose_objects: int
    exams: int


class UsageOut(Out):
    establishment_id: int
    establishment_code: str
    rows: list[UsageRow]
