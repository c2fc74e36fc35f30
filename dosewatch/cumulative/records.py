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
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, case, exists, func, or_, select
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


def _estimate_statement(*, with_event_modality: bool) -> Select[Any]:
    """Counted estimates summed per group (see :func:`exams`), built once at import.

    Without ``with_event_modality`` the estimates of the person are read alone (no join per
    row): the caller knows the modality of a study whose events share one. With it, the
    estimates of the studies bound to ``studies`` (those whose events are of several
    modalities) are read with their event's modality (None for a study-level group).
    """
    magnitude = func.abs(EstimateRow.value)
    study_level = EstimateRow.event_id.is_(None)
    # study-level estimates are grouped per report (their modality is the report's)
    report = case((study_level, EstimateRow.report_id), else_=0)
    keys: list[Any] = [
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
    ).where(EstimateRow.current)
    if with_event_modality:
        statement = statement.outerjoin(EventRow, EventRow.id == EstimateRow.event_id).where(
            EstimateRow.study_id.in_(bindparam("studies", expanding=True))
        )
    else:
        statement = statement.join(Study, Study.id == EstimateRow.study_id).where(
            Study.person_id == bindparam("person_id")
        )
    # a peak skin dose is never added to another: one group per estimate
    return statement.group_by(*keys, case((EstimateRow.quantity == _PSD, EstimateRow.id), else_=0))


_STUDIES = (
    select(
        Study.id,
        Study.study_instance_uid,
        Study.study_date,
        Study.study_description,
        Establishment.code,
    )
    .join(Establishment, Establishment.id == Study.establishment_id)
    .where(Study.person_id == bindparam("person_id"))
)
_EVENTS = (
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
    .where(Study.person_id == bindparam("person_id"), EventRow.counted)
    .group_by(
        EventRow.study_id,
        EventRow.modality,
        EventRow.kind,
        EventRow.target_region,
        EventRow.radionuclide,
    )
)
_ESTIMATES = _estimate_statement(with_event_modality=False)
_ESTIMATES_BY_EVENT = _estimate_statement(with_event_modality=True)
_REPORT_MODALITY = select(ReportRow.id, ReportRow.modality).where(
    ReportRow.id.in_(bindparam("reports", expanding=True))
)


def _event_order(e: EventRecord) -> tuple[str, str, str, str]:
    return (e.modality, e.kind, e.target_region or "", e.radionuclide or "")


def _estimate_order(x: EstimateRecord) -> tuple[str, str, str, str, str, float]:
    return (x.quantity, x.organ or "", x.basis or "", x.modality, x.model_id, x.value)


def exams(session: Session, person_id: int) -> tuple[ExamRecord, ...]:
    """Every study of the person (merged persons' studies move with the link), oldest first."""
    who = {"person_id": person_id}
    session.flush()  # what session.execute's autoflush did: pending rows are read too
    db = session.connection()  # Core rows: no ORM loading per row
    studies = db.execute(_STUDIES, who).all()
    if not studies:
        return ()
    events: dict[int, list[EventRecord]] = {}
    for row in db.execute(_EVENTS, who):
        events.setdefault(row[0], []).append(EventRecord._make(row[1:]))
    only: dict[int, str] = {}
    mixed: set[int] = set()
    for sid, group in events.items():
        kinds = {e.modality for e in group}
        if len(kinds) == 1:
            only[sid] = group[0].modality
        else:
            mixed.add(sid)
    # (row, event modality or None): study-level groups carry their report id in row[1]
    grouped: list[tuple[Any, str | None]] = [
        (row, None) for row in db.execute(_ESTIMATES, who) if row[1] or row[0] not in mixed
    ]
    if mixed:  # studies whose events are of several modalities: each estimate its event's
        again = db.execute(_ESTIMATES_BY_EVENT, {"studies": sorted(mixed)})
        grouped += [(row, row[14]) for row in again if not row[1]]
    reports = {row[1] for row, _ in grouped if row[1]}
    report_modality: dict[int, str] = (
        dict(db.execute(_REPORT_MODALITY, {"reports": sorted(reports)}).all()) if reports else {}
    )
    estimates: dict[int, list[EstimateRecord]] = {}
    for row, event_modality in grouped:
        sid, report_id, quantity, scheme, value, meaning, basis, unit = row[:8]
        model_id, model_version, table_version, origin, indicative, upper = row[8:14]
        total, weighted, weight, largest, count = row[-5:]
        if report_id:
            modality = report_modality.get(report_id, "?")
        else:
            modality = event_modality or only.get(sid, "?")
        record = EstimateRecord._make(
            (
                bool(report_id),
                modality,
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
        )
        estimates.setdefault(sid, []).append(record)
    uncovered = _uncovered(session, events, estimates)
    refused = _refused(session, person_id)
    out = [
        ExamRecord(
            study_instance_uid=s.study_instance_uid,
            study_date=s.study_date,
            establishment=s.code,
            description=s.study_description,
            events=tuple(sorted(events.get(s.id, ()), key=_event_order)),
            estimates=tuple(sorted(estimates.get(s.id, ()), key=_estimate_order)),
            not_estimated=tuple(
                sorted(refused.get(s.id, ()), key=lambda r: (r[0] or "", r[1], r[2]))
            ),
            uncovered={k: tuple(sorted(v)) for k, v in uncovered.get(s.id, {}).items()},
        )
        for s in studies
    ]
    return tuple(sorted(out, key=lambda e: (e.study_date or date.min, e.study_instance_uid)))


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


_COUNTED_EVENT = exists().where(
    EventRow.study_id == ReportRow.study_id,
    EventRow.event_key == ReportFinding.concept,
    EventRow.counted,
)
_REFUSED = (
    select(ReportRow.study_id, ReportFinding.concept, ReportFinding.message)
    .join(ReportFinding, ReportFinding.report_id == ReportRow.id)
    .join(Study, Study.id == ReportRow.study_id)
    .where(
        Study.person_id == bindparam("person_id"),
        ReportRow.status == ReportStatus.CURRENT.value,
        ReportFinding.code == NOT_ESTIMATED,
        or_(ReportFinding.concept.is_(None), _COUNTED_EVENT),
    )
)


def _refused(session: Session, person_id: int) -> dict[int, set[tuple[str | None, str, str]]]:
    """The organ models' refusals for counted events and studies of the person."""
    out: dict[int, set[tuple[str | None, str, str]]] = {}
    for study_id, concept, message in session.connection().execute(
        _REFUSED, {"person_id": person_id}
    ):
        out.setdefault(study_id, set()).add((concept, *read_not_estimated(message)))
    return out
