"""The election of stored estimates and the bulk writes below it, pinned (issue 15, for the
one-pass record path of issue 14: dosewatch/ledger/estimates.py and bulk.py).

``elect`` must decide from the stored facts alone (module docstring of
:mod:`dosewatch.ledger.estimates`): a stored election that was overwritten is rewritten to
what ``record`` decided, with demotions before promotions so that the partial unique index
``uq_estimate_current_slot`` holds, and the ORM rows of the session read the new state.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update

from dosewatch.domain.estimate import EstimateQuantity, NotEstimated, NotEstimatedReason
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import bulk
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EstimateRow, Study
from tests.cumulative import scenario

# ----------------------------------------------------------------------- refusal findings


def test_a_refusal_finding_reads_back_its_quantity_and_words() -> None:
    refusal = NotEstimated(
        "1.2.3.4",
        NotEstimatedReason.MISSING_INPUT,
        "no CTDIvol: the event reports none",
        EstimateQuantity.SSDE,
    )
    finding = estimate_ledger.not_estimated_finding(refusal)
    assert finding.code is estimate_ledger.NOT_ESTIMATED
    assert finding.message == "ssde|missing_input: no CTDIvol: the event reports none"
    assert finding.concept == "1.2.3.4"
    # the words keep their own ": " (only the first one separates)
    assert estimate_ledger.read_not_estimated(finding.message) == (
        "ssde",
        "no CTDIvol: the event reports none",
    )
    study = estimate_ledger.not_estimated_finding(
        NotEstimated(None, NotEstimatedReason.NO_EVENTS, "the report has no events")
    )
    assert (study.message, study.concept) == ("any|no_events: the report has no events", None)
    assert estimate_ledger.read_not_estimated(study.message) == (
        "any",
        "the report has no events",
    )
    # a message of another form is returned whole
    assert estimate_ledger.read_not_estimated("free text") == ("free text", "free text")


# ----------------------------------------------------------------------- election


def _state(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as db:
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


def _ingest_scenario(ingestor: Ingestor) -> None:
    for name, value in {**scenario.files(), **scenario.carol_files()}.items():
        ingestor.ingest_bytes(value, SourceInfo(name))


def _overwrite(engine: Engine, counted: set[int]) -> set[int]:
    """Every stored election overwritten: all rows uncounted and relabelled, and one
    non-counted estimate per slot that has one put in the slot (elect must demote it before
    it promotes the counted one: the partial unique index is checked per row). Returns the
    ids put in the slots."""
    with engine.connect() as db:
        slots = db.execute(
            select(EstimateRow.id, EstimateRow.study_id, EstimateRow.slot_key, EstimateRow.current)
            .where(EstimateRow.selection != estimate_ledger.Selection.REPLACED.value)
            .order_by(EstimateRow.id)
        ).all()
    usurpers: dict[tuple[int, str], int] = {}
    for r in slots:
        if not r.current:
            usurpers.setdefault((r.study_id, r.slot_key), r.id)
    taken = set(usurpers.values())
    relabelled = {r.id for r in slots} - counted - taken
    assert taken and relabelled
    with engine.begin() as db:
        db.execute(
            update(EstimateRow)
            .where(EstimateRow.selection != estimate_ledger.Selection.REPLACED.value)
            .values(current=False, selection="alternative", selection_reason="overwritten")
        )
        db.execute(
            update(EstimateRow)
            .where(EstimateRow.id.in_(taken))
            .values(current=True, selection="counted", selection_reason="usurped")
        )
    return taken


def test_elect_rewrites_an_overwritten_election_from_the_stored_facts(
    ingestor: Ingestor,
) -> None:
    _ingest_scenario(ingestor)
    before = _state(ingestor.engine)
    counted = {r[0] for r in before if r[1]}
    kinds = {r[2] for r in before}
    assert len(counted) >= 20 and {"counted", "alternative"} <= kinds
    taken = _overwrite(ingestor.engine, counted)
    assert _state(ingestor.engine) != before
    first_counted, first_taken = min(counted), min(taken)
    with session_factory(ingestor.engine)() as session, session.begin():
        held = session.get(EstimateRow, first_counted)
        usurper = session.get(EstimateRow, first_taken)
        assert held is not None and usurper is not None
        assert (held.current, usurper.current) == (False, True)
        for study_id in session.scalars(select(Study.id)):
            estimate_ledger.elect(session, study_id)
        # the rows the session holds are expired: they read the elected state
        assert held.current is True and held.selection == "counted"
        assert usurper.current is False and usurper.selection_reason != "usurped"
    assert _state(ingestor.engine) == before
    # and a second election changes nothing
    with session_factory(ingestor.engine)() as session, session.begin():
        for study_id in session.scalars(select(Study.id)):
            estimate_ledger.elect(session, study_id)
    assert _state(ingestor.engine) == before


def test_each_step_of_an_election_is_one_statement(ingestor: Ingestor, backend: str) -> None:
    """Demotions, relabels and promotions are written in one statement each: on PostgreSQL
    one ``UPDATE ... FROM (VALUES ...)`` (the statement-level triggers of ``estimate`` then
    run once per step), on SQLite one executemany by id (``_write_election``)."""
    _ingest_scenario(ingestor)
    before = _state(ingestor.engine)
    _overwrite(ingestor.engine, {r[0] for r in before if r[1]})
    seen: list[tuple[str, bool]] = []

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE ESTIMATE"):
            seen.append((" ".join(statement.split()), many))

    with session_factory(ingestor.engine)() as session, session.begin():
        study_ids = list(session.scalars(select(Study.id)))
        event.listen(ingestor.engine, "before_cursor_execute", spy)
        try:
            per_study = []
            for study_id in study_ids:
                start = len(seen)
                estimate_ledger.elect(session, study_id)
                per_study.append(len(seen) - start)
        finally:
            event.remove(ingestor.engine, "before_cursor_execute", spy)
    assert _state(ingestor.engine) == before
    # at most one statement per step (demote, relabel, promote) and study
    assert seen and max(per_study) <= 3
    if backend == "postgresql":
        assert all(" FROM (VALUES " in sql and not many for sql, many in seen)
    else:
        # (one parameter set is executed, several are an executemany)
        assert all(sql.endswith("WHERE estimate.id = ?") for sql, _ in seen)
        assert any(many for _, many in seen)


def test_elect_of_a_study_without_estimates_writes_nothing(ingestor: Ingestor) -> None:
    _ingest_scenario(ingestor)
    before = _state(ingestor.engine)
    with session_factory(ingestor.engine)() as session, session.begin():
        top = session.scalar(select(func.max(Study.id)))
        assert top is not None
        estimate_ledger.elect(session, top + 1000)
    assert _state(ingestor.engine) == before


# ----------------------------------------------------------------------- bulk


def test_json_text_is_the_orm_json_with_non_numbers_as_null() -> None:
    assert bulk.json_text({"a": [1, 2.5, None], "b": "é"}) == '{"a":[1,2.5,null],"b":"é"}'
    assert bulk.json_text([math.nan, math.inf]) == "[null,null]"


def test_the_first_reserved_ids_of_an_empty_table_start_at_one(
    ingestor: Ingestor, backend: str
) -> None:
    with session_factory(ingestor.engine)() as session, session.begin():
        assert bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 3) == [1, 2, 3]
        # SQLite: max(id) + 1 of the rows written (none); PostgreSQL: the sequence moved on
        again = [1] if backend == "sqlite" else [4]
        assert bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 1) == again
        assert bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 0) == []
        assert bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, -2) == []


def test_inserted_rows_read_back_as_written(ingestor: Ingestor) -> None:
    """A report's first estimate written by ``insert_rows``: every column as passed, the
    date-time with whole seconds too (the DateTime processor, not the driver's adapter)."""
    _ingest_scenario(ingestor)
    with session_factory(ingestor.engine)() as session, session.begin():
        row = session.scalars(select(EstimateRow).order_by(EstimateRow.id)).first()
        assert row is not None
        (new_id,) = bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 1)
        when = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
        values = {
            name: getattr(row, name)
            for name in estimate_ledger._INSERT_COLUMNS
            if name not in ("id", "current", "selection", "created_at", "inputs_of_id")
        }
        values.update(
            id=new_id,
            current=False,
            selection="replaced",
            created_at=when,
            inputs_of_id=row.id,
            inputs={"x": [1.5, None], "ok": True},
            indicative=True,
            upper_bound=False,
        )
        bulk.insert_rows(
            session,
            estimate_ledger.ESTIMATE_TABLE,
            estimate_ledger._INSERT_COLUMNS,
            [
                [
                    bulk.json_text(values[n]) if n == "inputs" else values[n]
                    for n in estimate_ledger._INSERT_COLUMNS
                ]
            ],
        )
        bulk.insert_rows(session, estimate_ledger.ESTIMATE_TABLE, ("id",), [])
    with session_factory(ingestor.engine)() as session:
        stored = session.get(EstimateRow, new_id)
        assert stored is not None
        assert stored.inputs == {"x": [1.5, None], "ok": True}
        assert (stored.indicative, stored.upper_bound, stored.current) == (True, False, False)
        assert stored.selection == "replaced" and stored.inputs_of_id == row.id
        got = stored.created_at
        assert (got if got.tzinfo else got.replace(tzinfo=UTC)) == when
        assert (stored.value, stored.unit, stored.slot_key) == (row.value, row.unit, row.slot_key)


@pytest.mark.parametrize("count", [1, 7])
def test_reserved_ids_follow_the_stored_ones(ingestor: Ingestor, count: int) -> None:
    _ingest_scenario(ingestor)
    with session_factory(ingestor.engine)() as session, session.begin():
        top = session.scalar(select(func.max(EstimateRow.id)))
        assert top is not None
        ids = bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, count)
        assert len(ids) == count and ids == sorted(set(ids)) and ids[0] > top
