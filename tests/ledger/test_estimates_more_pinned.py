"""The rows the lean record path builds, pinned value by value (issue 15, the rest of
dosewatch/ledger/estimates.py: ``typed_inputs``, ``_input_values``, ``_new_rows``).

Hand-built estimates, no database: every ``estimate_input`` column of an input (with the
column widths cut), every column of the estimate row that ``record`` inserts, the election
view of each new estimate, and which estimates share one list of input rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from pydicom.sr.coding import Code
from sqlalchemy import event, inspect, select, update

from dosewatch.domain.estimate import (
    Estimate,
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    WeightBasis,
)
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import estimates as e
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.estimates import _NewEstimate
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EstimateRow, Study

DATA = Path(__file__).resolve().parent.parent / "data"
CT = next(DATA.rglob("CT-RDSR-Siemens_Flash-TAP-SS.dcm"))

#: a unit of 20 characters (any "{...}" annotation is a count, so a valid unit)
LONG_UNIT = "{irradiation events}"
FULL = EstimateInput(
    "n" * 70,
    quantity=Quantity(3, LONG_UNIT),
    code=Code("v" * 70, "S" * 20, "m" * 210),
    text="as reported",
    assumed=True,
)
BARE = EstimateInput("bare")
QUANTITY_ONLY = EstimateInput("dlp", quantity=Quantity(12.5, "mGy.cm"), text="sum")
CODE_ONLY = EstimateInput("region", code=Code("818981001", "SCT", "Abdomen"))

FULL_ROW = {
    "position": 0,
    "name": "n" * 64,
    "value": 3.0,
    "unit": LONG_UNIT[:16],
    "code_scheme": "S" * 16,
    "code_value": "v" * 64,
    "code_meaning": "m" * 200,
    "text": "as reported",
    "assumed": True,
}


def estimate(
    *,
    quantity: EstimateQuantity = EstimateQuantity.ORGAN_DOSE,
    value: float = 1.5,
    unit: str = "mGy",
    model: str = "ct.organs.ncict",
    version: str = "2.0.0",
    table: str = "ncict-2015:abc",
    event: str | None = "1.2.3.1",
    organ: Code | None = None,
    basis: WeightBasis | None = None,
    inputs: tuple[EstimateInput, ...] = (),
    origin: EstimateOrigin = EstimateOrigin.MODEL,
    indicative: bool = False,
    upper_bound: bool = False,
    uncertainty: float = 30.0,
    method: str = "k x DLP",
) -> Estimate:
    return Estimate(
        quantity=quantity,
        value=Quantity(value, unit),
        uncertainty_pct=uncertainty,
        model_id=model,
        model_version=version,
        table_version=table,
        event_uid=event,
        organ=organ,
        basis=basis,
        inputs=inputs,
        method=method,
        indicative=indicative,
        upper_bound=upper_bound,
        origin=origin,
    )


# ----------------------------------------------------------------------- typed inputs


def test_typed_inputs_are_the_input_columns_cut_to_their_widths() -> None:
    got = e.typed_inputs(estimate(inputs=(FULL, BARE, QUANTITY_ONLY, CODE_ONLY)))
    nothing = dict.fromkeys(("value", "unit", "code_scheme", "code_value", "code_meaning"))
    assert got == [
        FULL_ROW,
        {"position": 1, "name": "bare", **nothing, "text": None, "assumed": False},
        {
            "position": 2,
            "name": "dlp",
            **nothing,
            "value": 12.5,
            "unit": "mGy.cm",
            "text": "sum",
            "assumed": False,
        },
        {
            "position": 3,
            "name": "region",
            **nothing,
            "code_scheme": "SCT",
            "code_value": "818981001",
            "code_meaning": "Abdomen",
            "text": None,
            "assumed": False,
        },
    ]
    assert type(got[0]["value"]) is float  # an int quantity is stored as a float
    assert e.typed_inputs(estimate()) == []


def test_input_values_are_the_typed_inputs_in_column_order() -> None:
    got = e._input_values(estimate(inputs=(FULL, BARE)))
    assert got == (
        (0, "n" * 64, 3.0, LONG_UNIT[:16], "S" * 16, "v" * 64, "m" * 200, "as reported", True),
        (1, "bare", None, None, None, None, None, None, False),
    )
    # the order of e._INPUT_COLUMNS without its estimate_id
    assert tuple(FULL_ROW) == e._INPUT_COLUMNS[1:]
    assert e._input_values(estimate()) == ()


# ----------------------------------------------------------------------- new rows

RECEIVED = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
LUNG = Code("39607008", "SCT", "Lung " + "x" * 210)
#: an event key longer than the 80 characters of a slot target
LONG_KEY = "h:" + "7" * 90


def _inputs_json(estimate: Estimate) -> Any:
    return {"model": estimate.model_id, "n": len(estimate.inputs)}


def _new_rows(
    estimates: list[Estimate], ids: list[int], event_ids: dict[str, int]
) -> tuple[list[_NewEstimate], list[list[Any]], list[tuple[Any, ...]]]:
    report = cast(Any, SimpleNamespace(id=7, received_at=RECEIVED))
    incoming = e._Incoming(report, estimates, _inputs_json)
    return e._new_rows(incoming, 9, ids, event_ids)


def _row(values: list[Any]) -> dict[str, Any]:
    """A new row by column name, without the three columns the election sets afterwards
    (``_elect`` overwrites current, selection and selection_reason of every new row)."""
    named = dict(zip(e._INSERT_COLUMNS, values, strict=True))
    for name in ("current", "selection", "selection_reason"):
        del named[name]
    return named


def test_new_rows_hold_every_column_of_their_estimate() -> None:
    organ = estimate(organ=LUNG, inputs=(FULL, BARE), indicative=True, event=LONG_KEY)
    effective = estimate(
        quantity=EstimateQuantity.EFFECTIVE_DOSE,
        value=0.75,
        unit="mSv",
        model="nm.coefficient",
        version="1.1.0",
        table="icrp128:def",
        event=None,
        basis=WeightBasis.ICRP103,
        inputs=(FULL, BARE),
        origin=EstimateOrigin.REPORTED,
        upper_bound=True,
        uncertainty=40.0,
        method="e x A",
    )
    lone = estimate(event="1.2.3.2", value=2.5)
    slots, rows, inputs = _new_rows([organ, effective, lone], [101, 102, 103], {LONG_KEY: 41})
    organ_slot = f"{LONG_KEY[:80]}|organ_dose|SCT:39607008|"
    effective_slot = "study|effective_dose||ICRP103"
    lone_slot = "1.2.3.2|organ_dose||"
    assert slots == [
        _NewEstimate(101, 7, 41, organ_slot, "model", "ct.organs.ncict", "2.0.0", 1.5),
        _NewEstimate(102, 7, None, effective_slot, "reported", "nm.coefficient", "1.1.0", 0.75),
        # an event the study does not hold (repeated inside the object): no event id
        _NewEstimate(103, 7, None, lone_slot, "model", "ct.organs.ncict", "2.0.0", 2.5),
    ]
    common = {"report_id": 7, "study_id": 9, "created_at": RECEIVED}
    assert [_row(r) for r in rows] == [
        {
            **common,
            "id": 101,
            "event_id": 41,
            "quantity": "organ_dose",
            "organ_scheme": "SCT",
            "organ_value": "39607008",
            "organ_meaning": LUNG.meaning[:200],
            "value": 1.5,
            "unit": "mGy",
            "uncertainty_pct": 30.0,
            "model_id": "ct.organs.ncict",
            "model_version": "2.0.0",
            "table_version": "ncict-2015:abc",
            "basis": None,
            "indicative": True,
            "upper_bound": False,
            "method": "k x DLP",
            "inputs": '{"model":"ct.organs.ncict","n":2}',
            "slot_key": organ_slot,
            "origin": "model",
            "inputs_of_id": None,
        },
        {
            **common,
            "id": 102,
            "event_id": None,
            "quantity": "effective_dose",
            "organ_scheme": None,
            "organ_value": None,
            "organ_meaning": None,
            "value": 0.75,
            "unit": "mSv",
            "uncertainty_pct": 40.0,
            "model_id": "nm.coefficient",
            "model_version": "1.1.0",
            "table_version": "icrp128:def",
            "basis": "ICRP103",
            "indicative": False,
            "upper_bound": True,
            "method": "e x A",
            "inputs": '{"model":"nm.coefficient","n":2}',
            "slot_key": effective_slot,
            "origin": "reported",
            # the same input list as estimate 101: its rows are shared
            "inputs_of_id": 101,
        },
        {
            **common,
            "id": 103,
            "event_id": None,
            "quantity": "organ_dose",
            "organ_scheme": None,
            "organ_value": None,
            "organ_meaning": None,
            "value": 2.5,
            "unit": "mGy",
            "uncertainty_pct": 30.0,
            "model_id": "ct.organs.ncict",
            "model_version": "2.0.0",
            "table_version": "ncict-2015:abc",
            "basis": None,
            "indicative": False,
            "upper_bound": False,
            "method": "k x DLP",
            "inputs": '{"model":"ct.organs.ncict","n":0}',
            "slot_key": lone_slot,
            "origin": "model",
            "inputs_of_id": None,
        },
    ]
    # one set of input rows, owned by the first estimate of the list
    assert inputs == [
        (101, *FULL_ROW.values()),
        (101, 1, "bare", None, None, None, None, None, None, False),
    ]


def test_estimates_share_input_rows_only_for_equal_non_empty_lists() -> None:
    a = estimate(inputs=(BARE,))
    b = estimate(inputs=(QUANTITY_ONLY,))
    c = estimate(inputs=(BARE,), value=9.0)
    empty1 = estimate(value=3.0)
    empty2 = estimate(value=4.0)
    d = estimate(inputs=(QUANTITY_ONLY,), value=5.0)
    slots, rows, inputs = _new_rows(
        [a, b, c, empty1, empty2, d], [11, 12, 13, 14, 15, 16], {"1.2.3.1": 3}
    )
    shared = [row[e._INSERT_COLUMNS.index("inputs_of_id")] for row in rows]
    # c shares a's rows and d b's; estimates without inputs share nothing (no rows)
    assert shared == [None, None, 11, None, None, 12]
    assert inputs == [
        (11, 0, "bare", None, None, None, None, None, None, False),
        (12, 0, "dlp", 12.5, "mGy.cm", None, None, None, "sum", False),
    ]
    assert [s.id for s in slots] == [11, 12, 13, 14, 15, 16]
    assert {s.event_id for s in slots} == {3}
    assert [s.value for s in slots] == [1.5, 1.5, 9.0, 3.0, 4.0, 5.0]


# ----------------------------------------------------------------------- the last criterion


def test_estimates_equal_in_every_criterion_name_the_last_one() -> None:
    """Two estimates of one report, model, version and value in one slot (``decide`` takes
    any rows): the smaller id counts, and both reasons name the last criterion."""
    slot = e.slot_key("uid-1", "effective_dose", None, "ICRP103")
    rows = [
        _NewEstimate(5, 100, 10, slot, "model", "ct.effective.k_dlp", "1.0.0", 2.0),
        _NewEstimate(4, 100, 10, slot, "model", "ct.effective.k_dlp", "1.0.0", 2.0),
    ]
    report = SimpleNamespace(
        id=100,
        source_kind="xray_rdsr",
        content_datetime=datetime(2025, 1, 1, 9),
        sop_instance_uid="1.2.100",
        status="current",
        superseded_by_id=None,
        event_keys=["uid-1"],
    )
    event = SimpleNamespace(id=10, report_id=100, counted=True, conflict=False)
    got = e.decide(rows, cast(Any, {100: report}), cast(Any, {10: event}))
    last = "smaller value (identical sources)"
    assert got == {
        4: (True, e.Selection.COUNTED, f"preferred over 1 other estimate(s): {last}"),
        5: (
            False,
            e.Selection.ALTERNATIVE,
            f"ct.effective.k_dlp 1.0.0 from 1.2.100 is counted: {last}",
        ),
    }


# ----------------------------------------------------------------------- slot keys


def test_a_slot_key_is_the_migration_s_text_and_gives_back_its_target() -> None:
    """The format of migration ``cumulative_01`` (``''`` for no organ and no basis), so that
    migrated and newly written rows share their slots; the target is all before the last
    three ``|``, whatever it holds."""
    assert e.slot_key("1.2.3", "ssde", None, None) == "1.2.3|ssde||"
    assert e.slot_key("study", "effective_dose", None, "ICRP60") == "study|effective_dose||ICRP60"
    assert e.slot_key("h:ab", "organ_dose", "SCT:39607008", None) == "h:ab|organ_dose|SCT:39607008|"
    for target in ("1.2.3", "a|b", "a|b|c|d"):
        assert e.target_of(e.slot_key(target, "organ_dose", "SCT:1", "ICRP103")) == target
        assert e.target_of(e.slot_key(target, "ssde", None, None)) == target


# ----------------------------------------------------------------------- replaced estimates


def test_replaced_estimates_take_no_part_in_an_election(ingestor: Ingestor) -> None:
    """A recompute marks the estimates it replaces (``replaced``, not current): the next
    election leaves them as they are and elects among the others of their slots."""
    ingestor.ingest_bytes(CT.read_bytes(), SourceInfo("ct"))
    with ingestor.engine.connect() as db:
        before = db.execute(select(EstimateRow.id, EstimateRow.slot_key, EstimateRow.current)).all()
    counted = {r.id for r in before if r.current}
    per_slot = Counter(r.slot_key for r in before)
    crowded = {r.slot_key for r in before if per_slot[r.slot_key] > 1}
    assert counted and crowded  # some slots hold more than one estimate
    with ingestor.engine.begin() as db:
        db.execute(
            update(EstimateRow)
            .where(EstimateRow.id.in_(counted))
            .values(current=False, selection="replaced", selection_reason="recomputed")
        )
    with session_factory(ingestor.engine)() as session, session.begin():
        (study_id,) = session.scalars(select(Study.id)).all()
        e.elect(session, study_id)
    with ingestor.engine.connect() as db:
        after = db.execute(
            select(
                EstimateRow.id,
                EstimateRow.slot_key,
                EstimateRow.current,
                EstimateRow.selection,
                EstimateRow.selection_reason,
            )
        ).all()
    replaced = [tuple(r[2:]) for r in after if r.id in counted]
    assert replaced == [(False, "replaced", "recomputed")] * len(counted)
    # each slot that had another estimate counts one of those, and only those
    assert {r.slot_key for r in after if r.current} == crowded
    assert all(r.selection == "counted" for r in after if r.current)
    # every estimate replaced: nothing is left to elect, nothing changes
    with ingestor.engine.begin() as db:
        db.execute(
            update(EstimateRow).values(
                current=False, selection="replaced", selection_reason="recomputed"
            )
        )
    with session_factory(ingestor.engine)() as session, session.begin():
        e.elect(session, study_id)
    with ingestor.engine.connect() as db:
        rows = db.execute(
            select(EstimateRow.current, EstimateRow.selection, EstimateRow.selection_reason)
        ).all()
    assert {tuple(r) for r in rows} == {(False, "replaced", "recomputed")}


# ----------------------------------------------------------------------- what elect writes


def _election_state(ingestor: Ingestor) -> list[tuple[Any, ...]]:
    with ingestor.engine.connect() as db:
        return [
            tuple(r)
            for r in db.execute(
                select(
                    EstimateRow.id,
                    EstimateRow.current,
                    EstimateRow.selection,
                    EstimateRow.selection_reason,
                ).order_by(EstimateRow.id)
            )
        ]


def test_an_election_writes_and_expires_exactly_the_estimates_it_changes(
    ingestor: Ingestor,
) -> None:
    """One study, one election: a slot whose counted estimate was swapped with another (a
    demotion and a promotion) and an estimate whose selection alone is wrong, its reason
    right (a relabel). ``elect`` restores the three, and of the estimates the session holds
    it expires those three only; the others keep their loaded state."""
    ingestor.ingest_bytes(CT.read_bytes(), SourceInfo("ct"))
    before = _election_state(ingestor)
    with ingestor.engine.connect() as db:
        slots = db.execute(select(EstimateRow.id, EstimateRow.slot_key)).all()
    slot_of = dict(slots)
    state = {r[0]: r for r in before}
    per_slot = Counter(slot_of.values())
    counted = next(i for i, c, *_ in before if c and per_slot[slot_of[i]] > 1)
    usurper = next(i for i, c, *_ in before if not c and slot_of[i] == slot_of[counted])
    mislabelled = next(
        i for i, c, *_ in before if not c and i != usurper and state[i][2] != "no_event"
    )
    with ingestor.engine.begin() as db:
        db.execute(update(EstimateRow).where(EstimateRow.id == counted).values(current=False))
        db.execute(update(EstimateRow).where(EstimateRow.id == usurper).values(current=True))
        db.execute(
            update(EstimateRow).where(EstimateRow.id == mislabelled).values(selection="no_event")
        )
    changed = {counted, usurper, mislabelled}
    with session_factory(ingestor.engine)() as session, session.begin():
        held = session.scalars(select(EstimateRow).order_by(EstimateRow.id)).all()
        assert len(held) == len(before)
        (study_id,) = session.scalars(select(Study.id)).all()
        e.elect(session, study_id)
        assert {r.id for r in held if inspect(r).expired} == changed
        assert [(r.id, r.current, r.selection, r.selection_reason) for r in held] == before
    assert _election_state(ingestor) == before


def test_an_election_of_an_elected_study_writes_nothing(ingestor: Ingestor) -> None:
    ingestor.ingest_bytes(CT.read_bytes(), SourceInfo("ct"))
    before = _election_state(ingestor)
    assert {r[2] for r in before} >= {"counted", "alternative"}
    seen: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    with session_factory(ingestor.engine)() as session, session.begin():
        (study_id,) = session.scalars(select(Study.id)).all()
        event.listen(ingestor.engine, "before_cursor_execute", spy)
        try:
            e.elect(session, study_id)
        finally:
            event.remove(ingestor.engine, "before_cursor_execute", spy)
    assert seen == []
    assert _election_state(ingestor) == before
