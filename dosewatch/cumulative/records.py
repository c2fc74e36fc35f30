"""The counted facts of one person's exams, read from the ledger and summed per exam in SQL.

Only what the ledger counts is read: ``current`` estimates (one per slot, see
:mod:`dosewatch.ledger.estimates`) and ``counted`` events. The database sums them per exam
and per *group* — events of one modality, kind, target region and radionuclide; estimates of
one quantity, organ, basis, model (id, version, tables), origin and flags — so a person with
500 exams of 4 events is a few rows per exam, not one Python object per event and estimate
(the view's cost was those objects). A group's uncertainty is the value-weighted mean of its
members' relative uncertainties, which keeps :func:`dosewatch.cumulative.summary.propagate`
exact (within one model uncertainties add linearly). Peak skin doses are never summed: each
stays its own record. Completeness keeps the event keys: ``uncovered`` lists, per quantity
and basis an exam has, the counted events without such an estimate.
:mod:`dosewatch.cumulative.summary` computes from these records without the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from dosewatch.domain.estimate import EstimateQuantity
from dosewatch.ledger.estimates import NOT_ESTIMATED, read_not_estimated
from dosewatch.ledger.models import (
    Establishment,
    EstimateRow,
    EventRow,
    ReportFinding,
    ReportRow,
    ReportStatus,
    Study,
)

_PSD = EstimateQuantity.PEAK_SKIN_DOSE.value
#: the quantities whose completeness is stated per exam (effective dose per basis, organ dose)
COVERAGE_QUANTITIES = (EstimateQuantity.EFFECTIVE_DOSE.value, EstimateQuantity.ORGAN_DOSE.value)


class EventRecord(NamedTuple):
    """Counted events of one exam with the same modality, kind, region and radionuclide.

    Indicators are sums over the group (canonical units in the names), None when no event of
    the group reported one; ``n_events`` is the number of events (1 for a single event).
    """

    modality: str
    kind: str
    target_region: str | None  # SCHEME:VALUE
    radionuclide: str | None  # SCHEME:VALUE
    n_events: int
    ka_r_gy: float | None
    kap_gy_cm2: float | None
    dlp_mgy_cm: float | None
    exposure_time_s: float | None
    activity_mbq: float | None


class EstimateRecord(NamedTuple):
    """Counted estimates of one exam summed per group (see the module docstring).

    ``study_level`` for estimates of the study itself (not of an event); ``events`` is the
    number of estimates summed; ``uncertainty_pct`` their value-weighted mean.
    """

    study_level: bool
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
    events: int = 1


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
    #: models did not estimate, for counted events and the study
    not_estimated: tuple[tuple[str | None, str, str], ...]
    #: (quantity, basis or "") -> keys of counted events without an event-level estimate of
    #: it, for every quantity of :data:`COVERAGE_QUANTITIES` the exam has one of
    uncovered: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return sum(e.n_events for e in self.events)

    @property
    def modality(self) -> str:
        found = sorted({e.modality for e in self.events} | {x.modality for x in self.estimates})
        return "+".join(found) or "?"


def _organ(scheme: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    return value if scheme in (None, "SCT") else f"{scheme}:{value}"


def _mean_pct(weighted: float | None, weight: float | None, largest: float) -> float:
    return weighted / weight if weighted is not None and weight else largest


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
    mine = Study.person_id == person_id
    events: dict[int, list[EventRecord]] = {}
    for row in session.execute(
        select(
            EventRow.study_id,
            EventRow.modality,
            EventRow.kind,
            EventRow.target_region,
            EventRow.radionuclide,
            func.count(),
            func.sum(EventRow.ka_r_gy),
            func.sum(EventRow.kap_gy_cm2),
            func.sum(EventRow.dlp_mgy_cm),
            func.sum(EventRow.exposure_time_s),
            func.sum(EventRow.activity_mbq),
        )
        .join(Study, Study.id == EventRow.study_id)
        .where(mine, EventRow.counted)
        .group_by(
            EventRow.study_id,
            EventRow.modality,
            EventRow.kind,
            EventRow.target_region,
            EventRow.radionuclide,
        )
    ):
        events.setdefault(row[0], []).append(EventRecord._make(row[1:]))
    only = {
        sid: group[0].modality
        for sid, group in events.items()
        if len({e.modality for e in group}) == 1
    }
    mixed = [sid for sid in events if sid not in only]
    grouped = _estimate_groups(session, Study.person_id == person_id, with_event_modality=False)
    if mixed:  # studies whose events are of several modalities: each estimate its event's
        again = _estimate_groups(session, EstimateRow.study_id.in_(mixed), with_event_modality=True)
        grouped = [g for g in grouped if g[0] not in mixed or g[1] is not None]
        grouped += [g for g in again if g[1] is None]  # (study-level groups kept from above)
    reports = {r for _, r, *_ in grouped if r is not None and r > 0}
    report_modality = (
        dict(
            session.execute(
                select(ReportRow.id, ReportRow.modality).where(ReportRow.id.in_(reports))
            ).all()
        )
        if reports
        else {}
    )
    estimates: dict[int, list[EstimateRecord]] = {}
    for sid, report, event_modality, record in grouped:
        if record.study_level:
            modality = report_modality.get(report or 0, "?")
        else:
            modality = event_modality or only.get(sid, "?")
        estimates.setdefault(sid, []).append(record._replace(modality=modality))
    uncovered = _uncovered(session, events, estimates)
    refused = _refused(session, person_id)
    out = [
        ExamRecord(
            study_instance_uid=s.study_instance_uid,
            study_date=s.study_date,
            establishment=s.code,
            description=s.study_description,
            events=tuple(
                sorted(
                    events.get(s.id, ()),
                    key=lambda e: (e.modality, e.kind, e.target_region or "", e.radionuclide or ""),
                )
            ),
            estimates=tuple(
                sorted(
                    estimates.get(s.id, ()),
                    key=lambda x: (
                        x.quantity,
                        x.organ or "",
                        x.basis or "",
                        x.modality,
                        x.model_id,
                        x.value,
                    ),
                )
            ),
            not_estimated=tuple(
                sorted(refused.get(s.id, ()), key=lambda r: (r[0] or "", r[1], r[2]))
            ),
            uncovered={k: tuple(sorted(v)) for k, v in uncovered.get(s.id, {}).items()},
        )
        for s in studies
    ]
    return tuple(sorted(out, key=lambda e: (e.study_date or date.min, e.study_instance_uid)))


def _estimate_groups(
    session: Session, which: ColumnElement[bool], *, with_event_modality: bool
) -> list[tuple[int, int | None, str | None, EstimateRecord]]:
    """(study id, report id of a study-level group, event modality, summed record) per group.

    Without ``with_event_modality`` the estimates are read alone (no join per row): the
    caller knows the modality of a study whose events share one. The record's ``modality``
    is filled in by the caller.
    """
    magnitude = func.abs(EstimateRow.value)
    study_level = EstimateRow.event_id.is_(None)
    # study-level estimates are grouped per report (their modality is the report's)
    report = case((study_level, EstimateRow.report_id), else_=0)
    keys = [
        EstimateRow.study_id,
        report,
        EstimateRow.quantity,
        EstimateRow.organ_scheme,
        EstimateRow.organ_value,
        EstimateRow.organ_meaning,
        EstimateRow.basis,
        EstimateRow.unit,
        EstimateRow.model_id,
        EstimateRow.model_version,
        EstimateRow.table_version,
        EstimateRow.origin,
        EstimateRow.indicative,
        EstimateRow.upper_bound,
    ]
    if with_event_modality:
        keys.append(EventRow.modality)
    statement = select(
        *keys,
        func.sum(EstimateRow.value),
        func.sum(magnitude * EstimateRow.uncertainty_pct),
        func.sum(magnitude),
        func.max(EstimateRow.uncertainty_pct),
        func.count(),
    ).join(Study, Study.id == EstimateRow.study_id)
    statement = statement.where(which, EstimateRow.current)
    if with_event_modality:
        statement = statement.outerjoin(EventRow, EventRow.id == EstimateRow.event_id)
    # a peak skin dose is never added to another: one group per estimate
    statement = statement.group_by(
        *keys, case((EstimateRow.quantity == _PSD, EstimateRow.id), else_=0)
    )
    out: list[tuple[int, int | None, str | None, EstimateRecord]] = []
    for row in session.execute(statement):
        sid, report_id, quantity, scheme, value, meaning, basis, unit = row[:8]
        model_id, model_version, table_version, origin, indicative, upper = row[8:14]
        event_modality = row[14] if with_event_modality else None
        total, weighted, weight, largest, count = row[-5:]
        record = EstimateRecord(
            bool(report_id),
            "",
            quantity,
            _organ(scheme, value),
            meaning,
            basis,
            float(total),
            unit,
            _mean_pct(weighted, weight, largest),
            model_id,
            model_version,
            table_version,
            origin,
            bool(indicative),
            bool(upper),
            int(count),
        )
        out.append((sid, report_id or None, event_modality, record))
    return out


def _uncovered(
    session: Session,
    events: Mapping[int, Sequence[EventRecord]],
    estimates: Mapping[int, Sequence[EstimateRecord]],
) -> dict[int, dict[tuple[str, str], list[str]]]:
    """Per study and (quantity, basis) it has event-level estimates of: the counted events
    without one. An event has at most one counted estimate per (quantity, organ, basis)
    (``uq_estimate_current_slot``), so counts decide which studies to look at; only those
    are read again (usually none)."""
    look: set[tuple[int, str, str]] = set()
    for sid, records in estimates.items():
        total = sum(e.n_events for e in events.get(sid, ()))
        per_basis: dict[str, int] = {}
        organ_best = 0
        for x in records:
            if x.study_level:
                continue
            if x.quantity == COVERAGE_QUANTITIES[0]:
                per_basis[x.basis or ""] = per_basis.get(x.basis or "", 0) + x.events
            elif x.quantity == COVERAGE_QUANTITIES[1]:
                organ_best = max(organ_best, x.events)
        look.update((sid, COVERAGE_QUANTITIES[0], b) for b, n in per_basis.items() if n < total)
        if 0 < organ_best < total:  # no organ group covers every event: the union may not
            look.add((sid, COVERAGE_QUANTITIES[1], ""))
    out: dict[int, dict[tuple[str, str], list[str]]] = {}
    for sid, quantity, basis in sorted(look):
        other = aliased(EstimateRow)
        keys = session.scalars(
            select(EventRow.event_key).where(
                EventRow.study_id == sid,
                EventRow.counted,
                ~exists().where(
                    other.event_id == EventRow.id,
                    other.current,
                    other.quantity == quantity,
                    func.coalesce(other.basis, "") == basis,
                ),
            )
        ).all()
        if keys:
            out.setdefault(sid, {})[(quantity, basis)] = list(keys)
    return out


def _refused(session: Session, person_id: int) -> dict[int, set[tuple[str | None, str, str]]]:
    """The organ models' refusals for counted events and studies of the person."""
    counted = exists().where(
        EventRow.study_id == ReportRow.study_id,
        EventRow.event_key == ReportFinding.concept,
        EventRow.counted,
    )
    out: dict[int, set[tuple[str | None, str, str]]] = {}
    for study_id, concept, message in session.execute(
        select(ReportRow.study_id, ReportFinding.concept, ReportFinding.message)
        .join(ReportFinding, ReportFinding.report_id == ReportRow.id)
        .join(Study, Study.id == ReportRow.study_id)
        .where(
            Study.person_id == person_id,
            ReportRow.status == ReportStatus.CURRENT.value,
            ReportFinding.code == NOT_ESTIMATED,
            or_(ReportFinding.concept.is_(None), counted),
        )
    ):
        out.setdefault(study_id, set()).add((concept, *read_not_estimated(message)))
    return out
