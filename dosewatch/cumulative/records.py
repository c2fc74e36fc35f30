"""The counted facts of one person's exams, read from the ledger (one query per table).

Only what the ledger counts is read: ``current`` estimates (one per slot, see
:mod:`dosewatch.ledger.estimates`) and ``counted`` events. The rows become immutable records
(named tuples per row: a frozen dataclass costs ~15 ``object.__setattr__`` calls per row,
which dominated the view);
:mod:`dosewatch.cumulative.summary` computes from them without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.ledger.estimates import (
    NOT_ESTIMATED,
    STUDY_TARGET,
    read_not_estimated,
    target_of,
)
from dosewatch.ledger.models import (
    Establishment,
    EstimateRow,
    EventRow,
    ReportFinding,
    ReportRow,
    ReportStatus,
    Study,
)


class EventRecord(NamedTuple):
    """One counted irradiation event (canonical units in the names)."""

    key: str
    modality: str
    kind: str
    datetime_started: datetime | None
    target_region: str | None  # SCHEME:VALUE
    ka_r_gy: float | None
    kap_gy_cm2: float | None
    dlp_mgy_cm: float | None
    ctdivol_mgy: float | None
    exposure_time_s: float | None
    activity_mbq: float | None
    radionuclide: str | None  # SCHEME:VALUE


class EstimateRecord(NamedTuple):
    """One counted estimate; ``event_key`` None for a study-level estimate."""

    event_key: str | None
    modality: str
    quantity: str
    organ: str | None  # SNOMED CT code value (or SCHEME:VALUE outside SCT)
    organ_meaning: str | None
    basis: str | None
    value: float
    unit: str
    uncertainty_pct: float
    model_id: str
    model_version: str
    table_version: str
    origin: str
    indicative: bool
    upper_bound: bool


@dataclass(frozen=True, slots=True)
class ExamRecord:
    """One study of the person: where, when, what was counted, what was not estimated."""

    study_instance_uid: str
    study_date: date | None
    establishment: str
    description: str | None
    events: tuple[EventRecord, ...]
    estimates: tuple[EstimateRecord, ...]
    #: (event key or None for the study, quantity or "any", reason) of what the organ
    #: models did not estimate
    not_estimated: tuple[tuple[str | None, str, str], ...]

    @property
    def modality(self) -> str:
        found = sorted({e.modality for e in self.events} | {x.modality for x in self.estimates})
        return "+".join(found) or "?"


def _organ(scheme: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    return value if scheme in (None, "SCT") else f"{scheme}:{value}"


def exams(session: Session, person_id: int) -> tuple[ExamRecord, ...]:
    """Every study of the person (merged persons' studies move with the link), oldest first."""
    studies = session.execute(
        select(
            Study.id,
            Study.study_instance_uid,
            Study.study_date,
            Study.study_description,
            Establishment.code,
        )
        .join(Establishment, Establishment.id == Study.establishment_id)
        .where(Study.person_id == person_id)
    ).all()
    if not studies:
        return ()
    events: dict[int, list[EventRecord]] = {}
    modality_of: dict[tuple[int, str], str] = {}
    for row in session.execute(
        select(
            EventRow.study_id,
            EventRow.event_key,
            EventRow.modality,
            EventRow.kind,
            EventRow.datetime_started,
            EventRow.target_region,
            EventRow.ka_r_gy,
            EventRow.kap_gy_cm2,
            EventRow.dlp_mgy_cm,
            EventRow.ctdivol_mgy,
            EventRow.exposure_time_s,
            EventRow.activity_mbq,
            EventRow.radionuclide,
        )
        .join(Study, Study.id == EventRow.study_id)
        .where(Study.person_id == person_id, EventRow.counted)
    ):
        study_id, key, *rest = row
        events.setdefault(study_id, []).append(EventRecord(key, *rest))
        modality_of[(study_id, key)] = row.modality
    estimates: dict[int, list[EstimateRecord]] = {}
    for x in session.execute(
        select(
            EstimateRow.study_id,
            EstimateRow.slot_key,
            ReportRow.modality,
            EstimateRow.quantity,
            EstimateRow.organ_scheme,
            EstimateRow.organ_value,
            EstimateRow.organ_meaning,
            EstimateRow.basis,
            EstimateRow.value,
            EstimateRow.unit,
            EstimateRow.uncertainty_pct,
            EstimateRow.model_id,
            EstimateRow.model_version,
            EstimateRow.table_version,
            EstimateRow.origin,
            EstimateRow.indicative,
            EstimateRow.upper_bound,
        )
        .join(ReportRow, ReportRow.id == EstimateRow.report_id)
        .join(Study, Study.id == EstimateRow.study_id)
        .where(Study.person_id == person_id, EstimateRow.current)
    ):
        target = target_of(x.slot_key)
        event_key = None if target == STUDY_TARGET else target
        modality = x.modality if event_key is None else modality_of.get((x.study_id, target))
        estimates.setdefault(x.study_id, []).append(
            EstimateRecord(
                event_key=event_key,
                modality=modality or x.modality,
                quantity=x.quantity,
                organ=_organ(x.organ_scheme, x.organ_value),
                organ_meaning=x.organ_meaning,
                basis=x.basis,
                value=x.value,
                unit=x.unit,
                uncertainty_pct=x.uncertainty_pct,
                model_id=x.model_id,
                model_version=x.model_version,
                table_version=x.table_version,
                origin=x.origin,
                indicative=x.indicative,
                upper_bound=x.upper_bound,
            )
        )
    refused: dict[int, set[tuple[str | None, str, str]]] = {}
    for study_id, concept, message in session.execute(
        select(ReportRow.study_id, ReportFinding.concept, ReportFinding.message)
        .join(ReportFinding, ReportFinding.report_id == ReportRow.id)
        .join(Study, Study.id == ReportRow.study_id)
        .where(
            Study.person_id == person_id,
            ReportRow.status == ReportStatus.CURRENT.value,
            ReportFinding.code == NOT_ESTIMATED,
        )
    ):
        refused.setdefault(study_id, set()).add((concept, *read_not_estimated(message)))
    out = [
        ExamRecord(
            study_instance_uid=s.study_instance_uid,
            study_date=s.study_date,
            establishment=s.code,
            description=s.study_description,
            events=tuple(sorted(events.get(s.id, ()), key=lambda e: e.key)),
            estimates=tuple(
                sorted(
                    estimates.get(s.id, ()),
                    key=lambda x: (x.event_key or "", x.quantity, x.organ or "", x.basis or ""),
                )
            ),
            not_estimated=tuple(
                sorted(refused.get(s.id, ()), key=lambda r: (r[0] or "", r[1], r[2]))
            ),
        )
        for s in studies
    ]
    return tuple(sorted(out, key=lambda e: (e.study_date or date.min, e.study_instance_uid)))
