"""Every exposure counts exactly once: which estimate of a study is counted, and why.

An estimate belongs to a stored irradiation event of its study (event-level), or to the
study itself (study-level: e.g. a peak skin dose from a procedure's totals). Its *slot* is
``(event or study, quantity, organ, basis)``; for each slot at most one estimate is
``current`` (= counted), which the database enforces with the partial unique index
``uq_estimate_current_slot``. :func:`elect` decides the counted one for a whole study after
every change of the study (a report recorded, superseded, re-sent or retracted), under the
study row lock, from stored facts only — so the outcome does not depend on arrival order or
on the number of workers.

Rules, in order (each non-counted estimate records the first rule that excluded it):

1. an estimate of a *superseded* report never counts (``report_superseded``);
2. an event-level estimate counts only if its event is counted (an image-header event that
   an RDSR of the study accounts for is not: ``event_not_counted``), and only if its event
   is stored (an event repeated inside one object is not: ``no_event``);
3. when another report provides the event's values and the two objects sent *different*
   values for it, only the providing report's estimates may count (``alternative``);
4. a study-level estimate counts only if its report provides at least one counted event (or
   sent no events at all);
5. among the eligible estimates of one slot, the counted one is chosen by
   :func:`preference`: the estimate of the report that provides the event's values; then a
   device- or site-reported value before a model value (it was computed from the actual
   exposure, a model from reference assumptions; both are kept); then
   :data:`MODEL_PREFERENCE`; then the higher-ranked report (``dedup.rank``); then model id,
   version and value, so that the order is total. The others are ``alternative``.

``replaced`` estimates (a recompute produced a newer version) never take part again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    column,
    delete,
    func,
    select,
    update,
    values,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from dosewatch.domain import codes
from dosewatch.domain.estimate import Estimate, EstimateOrigin, NotEstimated
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.ledger import bulk, dedup
from dosewatch.ledger.estimate_models import EstimateInputRow
from dosewatch.ledger.models import EstimateRow, EventRow, ReportRow, ReportStatus

#: finding code of a quantity the organ models did not estimate (see :func:`not_estimated_finding`)
NOT_ESTIMATED = FindingCode.MODEL_NOT_ESTIMATED
#: the tables behind the ORM classes, for the lean record path (Core statements, no ORM objects)
ESTIMATE_TABLE = cast(Table, EstimateRow.__table__)
ESTIMATE_INPUT_TABLE = cast(Table, EstimateInputRow.__table__)
#: the estimate whose ``estimate_input`` rows are an estimate's inputs (its own, or those it
#: shares: ``EstimateRow.inputs_of_id``): join ``EstimateInputRow.estimate_id == INPUTS_OWNER``
INPUTS_OWNER = func.coalesce(EstimateRow.inputs_of_id, EstimateRow.id)
#: the slot target of a study-level estimate (never an event key: those are UIDs, ``h:`` or ``#``)
STUDY_TARGET = "study"


class Selection(enum.StrEnum):
    """Why an estimate is, or is not, the one counted in its slot."""

    COUNTED = "counted"
    ALTERNATIVE = "alternative"
    REPORT_SUPERSEDED = "report_superseded"
    EVENT_NOT_COUNTED = "event_not_counted"
    NO_EVENT = "no_event"
    REPORT_NOT_COUNTED = "report_not_counted"
    REPLACED = "replaced"


#: among model values of one slot, the earlier model id is preferred (others are kept).
#: E of an administration: the ICRP reference coefficient e(radiopharmaceutical, age) x A
#: (ICRP 128) before the sum over the organ doses the RRDSR reported, which covers only the
#: organs the site chose to report.
MODEL_PREFERENCE: tuple[str, ...] = ("nm.coefficient", "nm.effective_from_organs")

_CRITERIA = (
    "the estimate of the report that provides the event's values",
    "a device- or site-reported value before a model value",
    "model preference order (dosewatch.ledger.estimates.MODEL_PREFERENCE)",
    "the higher-ranked report (RDSR > image header, then later, then larger UID)",
    "model id and version order",
    "smaller value (identical sources)",
)


def slot_key(target: str, quantity: str, organ: str | None, basis: str | None) -> str:
    """The slot of an estimate (see the module docstring)."""
    return f"{target}|{quantity}|{organ or ''}|{basis or ''}"


def target_of(slot: str) -> str:
    return slot.rsplit("|", 3)[0]


# --------------------------------------------------------------------------- recording


def not_estimated_finding(refusal: NotEstimated) -> Finding:
    """A refusal of the organ models as a report finding, kept for completeness statements.

    ``concept`` holds the event's ledger key (None for the study); the message is
    ``<quantity or "any">|<reason code>: <reason in words>`` (:func:`read_not_estimated`).
    """
    quantity = "any" if refusal.quantity is None else refusal.quantity.value
    return Finding(
        NOT_ESTIMATED,
        f"{quantity}|{refusal.reason.value}: {refusal.message}",
        concept=refusal.event_uid,
    )


def read_not_estimated(message: str) -> tuple[str, str]:
    """(quantity or "any", message) of a :func:`not_estimated_finding` message."""
    head, _, text = message.partition(": ")
    quantity, _, _reason = head.partition("|")
    return quantity, text or message


def typed_inputs(estimate: Estimate) -> list[dict[str, Any]]:
    """The estimate's inputs (``EstimateInput``) as columns of :class:`EstimateInputRow`."""
    out: list[dict[str, Any]] = []
    for position, item in enumerate(estimate.inputs):
        quantity, code = item.quantity, item.code
        out.append(
            {
                "position": position,
                "name": item.name[:64],
                "value": None if quantity is None else float(quantity.value),
                "unit": None if quantity is None else quantity.unit[:16],
                "code_scheme": None if code is None else code.scheme_designator[:16],
                "code_value": None if code is None else code.value[:64],
                "code_meaning": None if code is None else code.meaning[:200],
                "text": item.text,
                "assumed": item.assumed,
            }
        )
    return out


class _NewEstimate(NamedTuple):
    """What the election reads of an estimate not yet written (a :class:`SlotRow`)."""

    id: int
    report_id: int
    event_id: int | None
    slot_key: str
    origin: str
    model_id: str
    model_version: str
    value: float


#: the estimate columns :func:`record` writes, in this order (``group_id``: the database's)
_INSERT_COLUMNS = (
    "id",
    "report_id",
    "study_id",
    "event_id",
    "quantity",
    "organ_scheme",
    "organ_value",
    "organ_meaning",
    "value",
    "unit",
    "uncertainty_pct",
    "model_id",
    "model_version",
    "table_version",
    "basis",
    "indicative",
    "upper_bound",
    "method",
    "inputs",
    "current",
    "created_at",
    "slot_key",
    "origin",
    "selection",
    "selection_reason",
    "inputs_of_id",
)
_CURRENT, _SELECTION, _REASON = (
    _INSERT_COLUMNS.index(name) for name in ("current", "selection", "selection_reason")
)
#: the estimate_input columns :func:`record` writes (``id``: the database's)
_INPUT_COLUMNS = (
    "estimate_id",
    "position",
    "name",
    "value",
    "unit",
    "code_scheme",
    "code_value",
    "code_meaning",
    "text",
    "assumed",
)


@dataclass(frozen=True, slots=True)
class _Incoming:
    """A report's estimates to store (see :func:`record`)."""

    report: ReportRow
    estimates: Sequence[Estimate]
    inputs_json: Callable[[Estimate], Any]


def record(
    session: Session,
    report: ReportRow,
    study_id: int,
    estimates: Sequence[Estimate],
    inputs_json: Callable[[Estimate], Any],
) -> None:
    """Store a report's estimates and re-elect every slot of the study, in one pass.

    The same outcome as storing them uncounted and then calling :func:`elect`, with each
    new row written once, already with its election result: ids are reserved
    (:func:`dosewatch.ledger.bulk.reserve_ids`), the election decided over the stored and
    the new estimates together, then the stored ones leaving their slot are demoted, the
    new rows inserted (one statement per table: the lean record path of issue 14), and the
    stored ones entering a slot promoted — so the partial unique index holds after every
    statement.

    ``Estimate.event_uid`` is the event's ledger key (``dedup.keyed_for_estimation``), so an
    event without a UID still gets its estimates; ``None`` marks a study-level estimate.
    """
    _elect(session, study_id, _Incoming(report, estimates, inputs_json) if estimates else None)


def _new_rows(
    incoming: _Incoming, study_id: int, ids: Sequence[int], event_ids: dict[str, int]
) -> tuple[list[_NewEstimate], list[list[Any]], list[tuple[Any, ...]]]:
    """The election view, the estimate columns (in :data:`_INSERT_COLUMNS` order) and the
    ``estimate_input`` rows (in :data:`_INPUT_COLUMNS` order) of new estimates.

    Estimates with identical input lists share one set of rows: the first of them owns the
    rows, the others name it in ``inputs_of_id``.
    """
    report = incoming.report
    slots: list[_NewEstimate] = []
    rows: list[list[Any]] = []
    inputs: list[tuple[Any, ...]] = []
    owners: dict[tuple[tuple[Any, ...], ...], int] = {}
    for estimate_id, estimate in zip(ids, incoming.estimates, strict=True):
        organ = estimate.organ
        basis = None if estimate.basis is None else estimate.basis.value
        target = estimate.event_uid or STUDY_TARGET
        event_id = event_ids.get(estimate.event_uid) if estimate.event_uid else None
        quantity = estimate.quantity.value
        key = slot_key(target[:80], quantity, codes.code_str(organ), basis)
        origin = estimate.origin.value
        value = estimate.value.value
        listed = _input_values(estimate)
        owner = owners.setdefault(listed, estimate_id) if listed else estimate_id
        if owner == estimate_id:
            inputs.extend((estimate_id, *values) for values in listed)
        slots.append(
            _NewEstimate(
                estimate_id,
                report.id,
                event_id,
                key,
                origin,
                estimate.model_id,
                estimate.model_version,
                value,
            )
        )
        rows.append(
            [
                estimate_id,
                report.id,
                study_id,
                event_id,
                quantity,
                None if organ is None else organ.scheme_designator,
                None if organ is None else organ.value,
                None if organ is None else organ.meaning[:200],
                value,
                estimate.value.unit,
                estimate.uncertainty_pct,
                estimate.model_id,
                estimate.model_version,
                estimate.table_version,
                basis,
                estimate.indicative,
                estimate.upper_bound,
                estimate.method,
                bulk.json_text(incoming.inputs_json(estimate)),
                False,  # current, selection, selection_reason: set by the election
                report.received_at,
                key,
                origin,
                Selection.ALTERNATIVE.value,
                "",
                None if owner == estimate_id else owner,
            ]
        )
    return slots, rows, inputs


def _input_values(estimate: Estimate) -> tuple[tuple[Any, ...], ...]:
    """The estimate's ``estimate_input`` rows without ``estimate_id`` (``_INPUT_COLUMNS[1:]``)."""
    return tuple(
        (
            values["position"],
            values["name"],
            values["value"],
            values["unit"],
            values["code_scheme"],
            values["code_value"],
            values["code_meaning"],
            values["text"],
            values["assumed"],
        )
        for values in typed_inputs(estimate)
    )


# --------------------------------------------------------------------------- election


Decision = tuple[bool, Selection, str]


class SlotRow(Protocol):
    """What the election reads of an estimate (an :class:`EstimateRow` or a selected row)."""

    @property
    def id(self) -> int: ...
    @property
    def report_id(self) -> int: ...
    @property
    def event_id(self) -> int | None: ...
    @property
    def slot_key(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def model_id(self) -> str: ...
    @property
    def model_version(self) -> str: ...
    @property
    def value(self) -> float: ...


def preference(row: SlotRow, provider: int | None, position: dict[int, int]) -> tuple[Any, ...]:
    """Sort key of an eligible estimate in its slot: smaller is preferred (rule 5)."""
    try:
        model_rank = MODEL_PREFERENCE.index(row.model_id)
    except ValueError:
        model_rank = len(MODEL_PREFERENCE)
    return (
        0 if provider is None or row.report_id == provider else 1,
        0 if row.origin == EstimateOrigin.REPORTED.value else 1,
        model_rank,
        position[row.report_id],
        (row.model_id, row.model_version),
        row.value,
    )


def _why(best: tuple[Any, ...], runner_up: tuple[Any, ...]) -> str:
    for index, (a, b) in enumerate(zip(best, runner_up, strict=True)):
        if a != b:
            return _CRITERIA[index]
    return _CRITERIA[-1]


def decide(
    rows: Iterable[SlotRow],
    reports: dict[int, ReportRow],
    events: dict[int, EventRow],
) -> dict[int, Decision]:
    """The counted estimate of every slot of one study (pure: rows are not modified)."""
    ordered = sorted(reports.values(), key=dedup.row_rank, reverse=True)
    position = {r.id: i for i, r in enumerate(ordered)}
    providers = {e.report_id for e in events.values() if e.counted}
    top_current = next((r.id for r in ordered if r.status == ReportStatus.CURRENT.value), None)
    decisions: dict[int, Decision] = {}
    slots: dict[str, list[tuple[SlotRow, int | None]]] = {}
    for row in rows:
        report = reports[row.report_id]
        event = events.get(row.event_id) if row.event_id is not None else None
        target = target_of(row.slot_key)
        if report.status != ReportStatus.CURRENT.value:
            winner = reports.get(report.superseded_by_id or -1)
            by = winner.sop_instance_uid if winner is not None else "another report"
            decisions[row.id] = (False, Selection.REPORT_SUPERSEDED, f"report superseded by {by}")
        elif target == STUDY_TARGET:
            if report.event_keys and report.id not in providers:
                decisions[row.id] = (
                    False,
                    Selection.REPORT_NOT_COUNTED,
                    "none of the report's events is counted (another object of the study "
                    "accounts for them)",
                )
            else:
                slots.setdefault(row.slot_key, []).append((row, top_current))
        elif event is None:
            decisions[row.id] = (
                False,
                Selection.NO_EVENT,
                f"no stored event {target} (an event repeated inside the object)",
            )
        elif not event.counted:
            decisions[row.id] = (
                False,
                Selection.EVENT_NOT_COUNTED,
                "the event is not counted (an RDSR of the study accounts for this exposure)",
            )
        elif event.conflict and event.report_id != row.report_id:
            provider = reports[event.report_id].sop_instance_uid
            decisions[row.id] = (
                False,
                Selection.ALTERNATIVE,
                f"this object sent other values for the event; {provider} provides them",
            )
        else:
            slots.setdefault(row.slot_key, []).append((row, event.report_id))
    for members in slots.values():
        ranked = sorted(
            ((preference(row, provider, position), row) for row, provider in members),
            key=lambda pair: (pair[0], pair[1].id),
        )
        best_key, best = ranked[0]
        if len(ranked) == 1:
            decisions[best.id] = (True, Selection.COUNTED, "the only eligible estimate of its slot")
            continue
        criterion = _why(best_key, ranked[1][0])
        source = reports[best.report_id].sop_instance_uid
        decisions[best.id] = (
            True,
            Selection.COUNTED,
            f"preferred over {len(ranked) - 1} other estimate(s): {criterion}",
        )
        for key, row in ranked[1:]:
            decisions[row.id] = (
                False,
                Selection.ALTERNATIVE,
                f"{best.model_id} {best.model_version} from {source} is counted: "
                f"{_why(best_key, key)}",
            )
    return decisions


#: the estimate columns :func:`decide` and :func:`elect` read (rows, not ORM objects)
_ELECT_COLUMNS = (
    "id",
    "report_id",
    "event_id",
    "slot_key",
    "origin",
    "model_id",
    "model_version",
    "value",
    "current",
    "selection",
    "selection_reason",
)


def elect(session: Session, study_id: int) -> None:
    """Recompute which estimate of each slot of the study is counted (see the module doc).

    Reads the study's estimates as plain rows and writes only the changed ones, with one
    ``UPDATE ... FROM (VALUES ...)`` per step (:func:`_write_election`). Demotions are
    written before promotions so that the partial unique index holds after every statement
    (PostgreSQL checks it per row). ORM instances of the
    changed estimates that the session holds are expired, so later reads see the new state.
    """
    _elect(session, study_id, None)


def _elect(session: Session, study_id: int, incoming: _Incoming | None) -> None:
    """:func:`elect`, with the new estimates of :func:`record` (if any) written on the way."""
    session.flush()  # pending ORM changes (reports, events) before reading
    table = ESTIMATE_TABLE
    rows = session.execute(
        select(*(table.c[name] for name in _ELECT_COLUMNS)).where(
            table.c.study_id == study_id,
            table.c.selection != Selection.REPLACED.value,
        )
    ).all()
    if not rows and incoming is None:
        return
    reports = {
        r.id: r for r in session.scalars(select(ReportRow).where(ReportRow.study_id == study_id))
    }
    events = {
        e.id: e for e in session.scalars(select(EventRow).where(EventRow.study_id == study_id))
    }
    new_slots: list[_NewEstimate] = []
    new_rows: list[list[Any]] = []
    new_inputs: list[tuple[Any, ...]] = []
    if incoming is not None:
        ids = bulk.reserve_ids(session, table, len(incoming.estimates))
        event_ids = {e.event_key: e.id for e in events.values()}
        new_slots, new_rows, new_inputs = _new_rows(incoming, study_id, ids, event_ids)
    decisions = decide([*rows, *new_slots], reports, events)
    demote: list[dict[str, Any]] = []
    promote: list[dict[str, Any]] = []
    relabel: list[dict[str, Any]] = []
    for row in rows:
        counted, selection, reason = decisions[row.id]
        change = {"b_id": row.id, "b_selection": selection.value, "b_reason": reason}
        if row.current and not counted:
            demote.append(change)
        elif counted and not row.current:
            promote.append(change)
        elif row.selection != selection.value or row.selection_reason != reason:
            relabel.append(change)
    connection = session.connection()
    if demote:
        _write_election(connection, demote, current=False)
    if incoming is not None:
        for values, slot in zip(new_rows, new_slots, strict=True):
            counted, selection, reason = decisions[slot.id]
            values[_CURRENT], values[_SELECTION], values[_REASON] = counted, selection.value, reason
        bulk.insert_rows(session, table, _INSERT_COLUMNS, new_rows)
        bulk.insert_rows(session, ESTIMATE_INPUT_TABLE, _INPUT_COLUMNS, new_inputs)
    if relabel:
        _write_election(connection, relabel)
    if promote:
        _write_election(connection, promote, current=True)
    changed = {c["b_id"] for c in (*demote, *relabel, *promote)}
    if not changed:
        return
    for instance in list(session.identity_map.values()):
        if isinstance(instance, EstimateRow) and instance.id in changed:
            session.expire(instance)


#: rows per UPDATE of an election (3 parameters each: far below PostgreSQL's 65,535)
_ELECTION_CHUNK = 2000


def _write_election(connection: Connection, changes: list[dict[str, Any]], **fixed: bool) -> None:
    """Write election results. On PostgreSQL: ONE ``UPDATE ... FROM (VALUES ...)`` per chunk,
    not one statement per row, so that the statement-level triggers of ``estimate`` (the
    cumulative sums of migration ``cumview_03``) run once per step, not once per estimate.
    SQLite (no such triggers, no column list on a VALUES alias): one executemany by id."""
    table = ESTIMATE_TABLE
    labels: dict[str, BindParameter[str]] = {
        "selection": bindparam("b_selection"),
        "selection_reason": bindparam("b_reason"),
    }
    if connection.dialect.name != "postgresql":
        by_id = update(table).where(table.c.id == bindparam("b_id"))
        connection.execute(by_id.values(**labels, **fixed), changes)
        return
    for start in range(0, len(changes), _ELECTION_CHUNK):
        chunk = changes[start : start + _ELECTION_CHUNK]
        elected = values(
            column("b_id", Integer),
            column("b_selection", String),
            column("b_reason", Text),
            name="elected",
        ).data([(c["b_id"], c["b_selection"], c["b_reason"]) for c in chunk])
        connection.execute(
            update(table)
            .where(table.c.id == elected.c.b_id)
            .values(
                selection=elected.c.b_selection,
                selection_reason=elected.c.b_reason,
                **fixed,
            )
        )


def delete_for_report(session: Session, report_id: int) -> None:
    """Delete a retracted report's estimates and their inputs (a newer version replaces them)."""
    ids = select(EstimateRow.id).where(EstimateRow.report_id == report_id).scalar_subquery()
    session.execute(delete(EstimateInputRow).where(EstimateInputRow.estimate_id.in_(ids)))
    session.execute(delete(EstimateRow).where(EstimateRow.report_id == report_id))
