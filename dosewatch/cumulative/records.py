"""The counted facts of one person's exams, read from the ledger and summed per exam in SQL.

Only what the ledger counts is read: ``current`` estimates (one per slot, see
:mod:`dosewatch.ledger.estimates`) and ``counted`` events. The database sums them per exam
and per *group* — events of one modality, kind, target region and radionuclide; estimates of
one quantity, organ, basis, model (id, version, tables), origin and flags — so a person with
500 exams of 4 events is a few rows per exam, not one Python object per event and estimate
(the view's cost was those objects). On PostgreSQL those per-exam sums are kept by the
database as estimates are written (:class:`~dosewatch.ledger.models.EstimateSum`, migration
``cumview_03``), so a view reads them instead of regrouping every estimate of the person;
SQLite groups at each read. A group's uncertainty is the value-weighted mean of its
members' relative uncertainties, which keeps :func:`dosewatch.cumulative.summary.propagate`
exact (within one model uncertainties add linearly). Peak skin doses are never summed: each
stays its own record. Completeness keeps the event keys: ``uncovered`` lists, per quantity
and basis an exam has, the counted events without such an estimate.
:mod:`dosewatch.cumulative.summary` computes from these records without the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from dosewatch.domain.estimate import EstimateQuantity
from dosewatch.ledger.estimates import NOT_ESTIMATED, read_not_estimated
from dosewatch.ledger.models import (
    ESTIMATE_GROUP_COLUMNS,
    ESTIMATE_GROUP_OPTIONAL,
    Establishment,
    EstimateGroup,
    EstimateRow,
    EstimateSum,
    EventRow,
    ReportFinding,
    ReportRow,
    ReportStatus,
    Study,
)

_log = logging.getLogger(__name__)
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
    number of estimates summed; ``uncertainty_pct`` their value-weighted mean. The group's
    descriptor comes first and its sums last, in the order of the database's row.
    """

    study_level: bool
    modality: str
    quantity: str
    organ: str | None  # SNOMED CT code value (or SCHEME:VALUE outside SCT)
    organ_meaning: str | None
    basis: str | None
    unit: str
    model_id: str
    model_version: str
    table_version: str
    origin: str
    indicative: bool
    upper_bound: bool
    value: float
    uncertainty_pct: float
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


#: the descriptor of a group of estimates, in the order of the SELECT (12 columns)
_DESCRIPTOR: tuple[Any, ...] = tuple(getattr(EstimateRow, c) for c in ESTIMATE_GROUP_COLUMNS)


# built once at import, before mutmut can switch a mutant in: not mutated (docs/MUTATION.md)
def _estimate_statement(
    *, with_event_modality: bool, by_group: bool
) -> Select[Any]:  # pragma: no mutate block
    """Counted estimates summed per group (see :func:`exams`), built once at import.

    Without ``with_event_modality`` the estimates of the person are read alone (no join per
    row): the caller knows the modality of a study whose events share one. With it, the
    estimates of the studies bound to ``studies`` (those whose events are of several
    modalities) are read with their event's modality (None for a study-level group).

    ``by_group`` (PostgreSQL) groups by the integer ``estimate.group_id`` that the database
    derives from the twelve descriptor columns (migration ``cumview_01``) instead of the
    columns themselves: the same groups, a fraction of the hashing; the descriptors are
    read apart (:data:`_GROUPS`). Row: study, report (study-level) or 0, descriptor (12
    columns) or group id, [event modality], sum, uncertainty %, count — the uncertainty is
    the value-weighted mean of the members' (the largest of them for a zero-magnitude group).
    """
    magnitude = func.abs(EstimateRow.value)
    weight = func.sum(magnitude)
    study_level = EstimateRow.event_id.is_(None)
    # study-level estimates are grouped per report (their modality is the report's)
    report = case((study_level, EstimateRow.report_id), else_=0)
    keys: list[Any] = [
        EstimateRow.study_id,
        report,
        *((EstimateRow.group_id,) if by_group else _DESCRIPTOR),
    ]
    if with_event_modality:
        keys.append(EventRow.modality)
    statement = select(
        *keys,
        func.sum(EstimateRow.value),
        case(
            (weight > 0, func.sum(magnitude * EstimateRow.uncertainty_pct) / weight),
            else_=func.max(EstimateRow.uncertainty_pct),
        ),
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


_GROUPS = select(
    EstimateGroup.id, *(getattr(EstimateGroup, c) for c in ESTIMATE_GROUP_COLUMNS)
).where(EstimateGroup.id.in_(bindparam("groups", expanding=True)))
_OPTIONAL = frozenset(
    i for i, c in enumerate(ESTIMATE_GROUP_COLUMNS) if c in ESTIMATE_GROUP_OPTIONAL
)

#: a group's descriptor as the fields of :class:`EstimateRecord` from ``quantity`` to
#: ``upper_bound`` (the organ as one code)
_Described = tuple[str, str | None, str | None, str | None, str, str, str, str, str, bool, bool]


def _describe(columns: Sequence[Any]) -> _Described:
    """The record fields of a descriptor read as its 12 columns (NULL or '' for the
    optional ones): the organ as one code (``SCHEME:VALUE`` outside SNOMED CT)."""
    quantity, scheme, value, meaning, basis, unit = columns[:6]
    model_id, model_version, table_version, origin, indicative, upper = columns[6:]
    scheme, value, meaning, basis = scheme or None, value or None, meaning or None, basis or None
    if value is not None and scheme not in (None, "SCT"):
        value = f"{scheme}:{value}"
    return (
        quantity,
        value,
        meaning,
        basis,
        unit,
        model_id,
        model_version,
        table_version,
        origin,
        bool(indicative),
        bool(upper),
    )


def _descriptors(db: Any, groups: set[int]) -> dict[int, _Described]:
    return {row[0]: _describe(row[1:]) for row in db.execute(_GROUPS, {"groups": sorted(groups)})}


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
_ESTIMATES = _estimate_statement(with_event_modality=False, by_group=False)
_ESTIMATES_BY_EVENT = _estimate_statement(with_event_modality=True, by_group=False)
_GROUPED_BY_EVENT = _estimate_statement(with_event_modality=True, by_group=True)
#: the sums that PostgreSQL keeps per study and group (migration ``cumview_03``), in the
#: shape of a grouped read: study, report (study-level) or 0, group id (0: none), sums
_SUMS = (
    select(
        EstimateSum.study_id,
        EstimateSum.report_id,
        EstimateSum.group_id,
        EstimateSum.total,
        EstimateSum.uncertainty_pct,
        EstimateSum.n,
    )
    .join(Study, Study.id == EstimateSum.study_id)
    .where(Study.person_id == bindparam("person_id"))
)
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
    make_event = EventRecord._make
    for row in db.execute(_EVENTS, who).all():  # one fetch: no per-row cursor round trip
        events.setdefault(row[0], []).append(make_event(row[1:]))
    only: dict[int, str] = {}
    mixed: set[int] = set()
    for sid, group in events.items():
        first = group[0].modality
        if all(e.modality == first for e in group):
            only[sid] = first
        else:
            mixed.add(sid)
    grouped = _estimate_rows(db, who, mixed)
    reports = {report_id for _, report_id, _, _, _ in grouped if report_id}
    report_modality: dict[int, str] = (
        dict(db.execute(_REPORT_MODALITY, {"reports": sorted(reports)}).all()) if reports else {}
    )
    estimates: dict[int, list[EstimateRecord]] = {}
    make = EstimateRecord._make
    for sid, report_id, described, event_modality, sums in grouped:
        if report_id:
            head: tuple[bool, str] = (True, report_modality.get(report_id, "?"))
        else:
            head = (False, event_modality or only.get(sid, "?"))
        record = make(head + described + sums)
        if sid in estimates:
            estimates[sid].append(record)
        else:
            estimates[sid] = [record]
    uncovered = _uncovered(session, events, estimates)
    refused = _refused(session, person_id)
    out = []
    for s in studies:
        sid = s.id
        found = estimates.get(sid)
        ev = events.get(sid)
        gone = refused.get(sid)
        out.append(
            ExamRecord(
                study_instance_uid=s.study_instance_uid,
                study_date=s.study_date,
                establishment=s.code,
                description=s.study_description,
                events=tuple(sorted(ev, key=_event_order) if len(ev) > 1 else ev) if ev else (),
                estimates=tuple(sorted(found, key=_estimate_order)) if found else (),
                not_estimated=tuple(sorted(gone, key=_refusal_order)) if gone else (),
                uncovered={k: tuple(sorted(v)) for k, v in uncovered[sid].items()}
                if sid in uncovered
                else {},
            )
        )
    out.sort(key=_exam_order)
    return tuple(out)


#: (study id, report id of a study-level group or 0, descriptor, event modality,
#: (sum, uncertainty %, count))
_Grouped = tuple[int, int, _Described, str | None, tuple[float, float, int]]


def _sums(row: Sequence[Any]) -> tuple[float, float, int]:
    """The last three columns of an estimate row: sum, uncertainty %, count."""
    total, pct, count = row[-3:]
    return (float(total), pct, count)


def _estimate_rows(db: Any, who: dict[str, int], mixed: set[int]) -> list[_Grouped]:
    """The person's counted estimates summed per exam and group (see :func:`exams`).

    Estimates of a study in ``mixed`` (events of several modalities) are read again with
    their event's modality. On PostgreSQL the sums are those the database keeps per study
    and ``group_id`` (:class:`~dosewatch.ledger.models.EstimateSum`); an estimate without a
    group id (which the trigger of ``cumview_01`` rules out) sends the whole read down the
    descriptor-column path, so that nothing is ever dropped.
    """
    if db.dialect.name == "postgresql":
        rows = db.execute(_SUMS, who).all()
        again = db.execute(_GROUPED_BY_EVENT, {"studies": sorted(mixed)}).all() if mixed else []
        groups = {row[2] for row in rows} | {row[2] for row in again}
        if 0 not in groups and None not in groups:
            known = _descriptors(db, groups) if groups else {}
            out: list[_Grouped] = [
                (row[0], row[1], known[row[2]], None, _sums(row))
                for row in rows
                if row[1] or row[0] not in mixed
            ]
            out += [(row[0], 0, known[row[2]], row[3], _sums(row)) for row in again if not row[1]]
            return out
        _log.warning("estimates without a group id: the view groups by their columns")
    seen: dict[tuple[Any, ...], _Described] = {}

    def described(columns: tuple[Any, ...]) -> _Described:
        found = seen.get(columns)
        if found is None:
            found = seen[columns] = _describe(columns)
        return found

    rows = db.execute(_ESTIMATES, who).all()
    out = [
        (row[0], row[1], described(tuple(row[2:14])), None, _sums(row))
        for row in rows
        if row[1] or row[0] not in mixed
    ]
    if mixed:
        again = db.execute(_ESTIMATES_BY_EVENT, {"studies": sorted(mixed)}).all()
        out += [
            (row[0], 0, described(tuple(row[2:14])), row[14], _sums(row))
            for row in again
            if not row[1]
        ]
    return out


def _refusal_order(r: tuple[str | None, str, str]) -> tuple[str, str, str]:
    return (r[0] or "", r[1], r[2])


def _exam_order(e: ExamRecord) -> tuple[date, str]:
    return (e.study_date or date.min, e.study_instance_uid)


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
