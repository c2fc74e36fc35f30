"""``estimate.group_id`` (migration ``cumview_01``): derived by PostgreSQL for every row, the
same for equal descriptors and different for different ones, kept right on updates and
under concurrent writers; the grouped read of the cumulative view equals the read by the
descriptor columns, and a row without a group id falls back to that read, losing nothing."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

import psycopg
import pytest
from alembic import command
from sqlalchemy import Column, Engine, func, select, text
from sqlalchemy.sql import visitors

from dosewatch import synth
from dosewatch.cumulative import records
from dosewatch.cumulative.summary import cumulative
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import alembic_config, session_factory, upgrade
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import (
    ESTIMATE_GROUP_COLUMNS,
    ESTIMATE_GROUP_OPTIONAL,
    ESTIMATE_VIEW_INCLUDE,
    EstimateGroup,
    EstimateRow,
    Person,
)
from dosewatch.synth.ct import ABDOMEN
from tests.cumulative import scenario
from tests.cumulative.test_records import WINDOW, _ct


def _two_exams(ingestor: Ingestor) -> None:
    """A chest CT (E, organ doses) and a chest + abdomen CT (two regions, scatter organs)."""
    ingestor.ingest_bytes(
        _ct(
            "ga",
            datetime(2025, 1, 10, 9),
            synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("ga.1")),
        ),
        SourceInfo("a"),
    )
    ingestor.ingest_bytes(
        _ct(
            "gb",
            datetime(2025, 2, 10, 9),
            synth.CtEventSpec(dlp_mgy_cm=400.0, irradiation_event_uid=scenario.uid("gb.1")),
            synth.CtEventSpec(
                dlp_mgy_cm=500.0,
                protocol="Abdomen",
                target_region=ABDOMEN,
                irradiation_event_uid=scenario.uid("gb.2"),
            ),
        ),
        SourceInfo("b"),
    )


def _descriptor(row: EstimateRow) -> tuple[object, ...]:
    return tuple(
        (getattr(row, c) or "") if c in ESTIMATE_GROUP_OPTIONAL else getattr(row, c)
        for c in ESTIMATE_GROUP_COLUMNS
    )


def _exams(engine: Engine) -> tuple[records.ExamRecord, ...]:
    with session_factory(engine)() as session:
        person = session.scalars(select(Person.id)).one()
        return records.exams(session, person)


def test_every_estimate_gets_the_group_of_its_descriptor(ingestor: Ingestor, backend: str) -> None:
    _two_exams(ingestor)
    with session_factory(ingestor.engine)() as session:
        rows = session.scalars(select(EstimateRow)).all()
        groups = {g.id: g for g in session.scalars(select(EstimateGroup)).all()}
    assert len(rows) >= 20  # E and organ doses of three events: something to check
    if backend == "sqlite":  # not derived on SQLite: the view groups by the columns
        assert {r.group_id for r in rows} == {None}
        assert groups == {}
        return
    by_descriptor: dict[tuple[object, ...], set[int | None]] = {}
    for row in rows:
        by_descriptor.setdefault(_descriptor(row), set()).add(row.group_id)
    assert all(len(ids) == 1 for ids in by_descriptor.values())  # equal descriptors, one id
    ids = [next(iter(v)) for v in by_descriptor.values()]
    assert len(set(ids)) == len(ids)  # different descriptors, different ids
    for descriptor, (gid,) in by_descriptor.items():
        assert gid is not None
        group = groups[gid]
        assert tuple(getattr(group, c) for c in ESTIMATE_GROUP_COLUMNS) == descriptor
    assert len(groups) == len(by_descriptor)


POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)


@POSTGRES_ONLY
def test_an_update_of_a_descriptor_moves_the_row_to_its_group(
    ingestor: Ingestor, backend: str
) -> None:
    _two_exams(ingestor)
    with ingestor.engine.begin() as db:
        one = db.execute(select(EstimateRow.id, EstimateRow.group_id).limit(1)).one()
        db.execute(
            text("UPDATE estimate SET model_version = 'other', group_id = 999999 WHERE id = :i"),
            {"i": one.id},
        )
        moved = db.execute(
            select(EstimateRow.group_id).where(EstimateRow.id == one.id)
        ).scalar_one()
        version = db.execute(
            select(EstimateGroup.model_version).where(EstimateGroup.id == moved)
        ).scalar_one()
    assert moved not in (one.group_id, 999999)  # a written id is not trusted: derived again
    assert version == "other"


def _assert_same(
    read: tuple[records.ExamRecord, ...], expected: tuple[records.ExamRecord, ...]
) -> None:
    """Equal records; a sum and its weighted uncertainty to 1e-12 (two reads may add the same
    floats in another order, which moves the last digit), every other field exactly."""
    assert len(read) == len(expected)
    for exam, other in zip(read, expected, strict=True):
        assert replace(exam, estimates=()) == replace(other, estimates=())
        assert len(exam.estimates) == len(other.estimates)
        for x, y in zip(exam.estimates, other.estimates, strict=True):
            assert x._replace(value=0.0, uncertainty_pct=0.0) == y._replace(
                value=0.0, uncertainty_pct=0.0
            )
            assert x.value == pytest.approx(y.value, rel=1e-12, abs=0.0)
            assert x.uncertainty_pct == pytest.approx(y.uncertainty_pct, rel=1e-12, abs=0.0)


def test_the_grouped_read_equals_the_column_read(
    ingestor: Ingestor,
    backend: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the records are read by group id (the column statement is not run),
    then, with one row's group id removed (trigger disabled), down the column path with a
    warning: identical records. SQLite reads by the columns."""
    _two_exams(ingestor)
    executed: list[set[int]] = []
    real = records._descriptors

    def spy(db: object, groups: set[int]) -> dict[int, records._Described]:
        executed.append(groups)
        return real(db, groups)

    monkeypatch.setattr(records, "_descriptors", spy)
    grouped = _exams(ingestor.engine)
    assert sum(len(e.estimates) for e in grouped) >= 10
    if backend != "postgresql":
        assert executed == []  # no group ids on SQLite
        return
    assert len(executed) == 1 and len(executed[0]) >= 5  # one descriptor read, by group id
    with ingestor.engine.begin() as db:
        db.execute(text("ALTER TABLE estimate DISABLE TRIGGER estimate_group_of"))
        db.execute(
            text("UPDATE estimate SET group_id = NULL WHERE id = (SELECT min(id) FROM estimate)")
        )
        db.execute(text("ALTER TABLE estimate ENABLE TRIGGER estimate_group_of"))
    with caplog.at_level("WARNING", logger="dosewatch.cumulative.records"):
        _assert_same(_exams(ingestor.engine), grouped)
    assert "estimates without a group id: the view groups by their columns" in caplog.messages
    with session_factory(ingestor.engine)() as session:
        person = session.scalars(select(Person.id)).one()
        view = cumulative(session, person, WINDOW)
    assert view.effective.value == pytest.approx(scenario.K_CHEST_120KV * 1400.0 + 8.95)


@POSTGRES_ONLY
def test_two_writers_of_a_new_descriptor_share_one_group(
    ingestor: Ingestor, backend: str, database_url: str
) -> None:
    """T1 inserts an estimate of a new descriptor and holds its transaction open; T2 inserts
    one of the same descriptor (it waits on T1's group row); T1 commits: T2 finishes with the
    same group, and the descriptor has one group row."""
    _two_exams(ingestor)
    with ingestor.engine.connect() as db:
        report_id, study_id = db.execute(
            text("SELECT report_id, study_id FROM estimate LIMIT 1")
        ).one()
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    insert = (
        "INSERT INTO estimate (report_id, study_id, quantity, value, unit, uncertainty_pct, "
        "model_id, model_version, table_version, indicative, upper_bound, method, inputs, "
        "current, created_at, slot_key, origin, selection, selection_reason) VALUES "
        "(%s, %s, 'effective_dose', 1.0, 'mSv', 10.0, 'new.model', '9', 't9', false, false, "
        "'', '{}', false, now(), %s, 'model', 'alternative', 'test') RETURNING group_id"
    )
    results: dict[str, int] = {}
    with psycopg.connect(url) as t1:
        results["t1"] = t1.execute(insert, (report_id, study_id, "t1")).fetchone()[0]  # type: ignore[index]

        def second() -> None:
            with psycopg.connect(url) as t2:
                results["t2"] = t2.execute(insert, (report_id, study_id, "t2")).fetchone()[0]  # type: ignore[index]
                t2.commit()

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive()  # T2 waits on T1's uncommitted group row
        t1.commit()
    worker.join(timeout=30.0)
    assert not worker.is_alive()
    assert results["t1"] == results["t2"]
    with ingestor.engine.connect() as db:
        n = db.execute(
            select(func.count())
            .select_from(EstimateGroup)
            .where(EstimateGroup.model_id == "new.model")
        ).scalar_one()
    assert n == 1


def test_the_migration_backfills_existing_estimates(ingestor: Ingestor, backend: str) -> None:
    """Down to ``archive_02`` (no groups) and up again: every existing row gets its group."""
    _two_exams(ingestor)
    before = _exams(ingestor.engine)
    command.downgrade(alembic_config(ingestor.engine), "archive_02")
    upgrade(ingestor.engine)
    with ingestor.engine.connect() as db:
        missing = db.execute(
            select(func.count()).select_from(EstimateRow).where(EstimateRow.group_id.is_(None))
        ).scalar_one()
        total = db.execute(select(func.count()).select_from(EstimateRow)).scalar_one()
    assert total >= 20
    assert missing == (total if backend == "sqlite" else 0)
    assert _exams(ingestor.engine) == before


def test_the_view_index_covers_the_grouped_read(ingestor: Ingestor, backend: str) -> None:
    """``ix_estimate_view`` (migration ``cumview_02``) holds every estimate column that the
    grouped read of the view touches, so that PostgreSQL answers it from the index alone; a
    column added to the read without being added to the index fails here."""
    table = EstimateRow.__table__
    touched = {
        e.name
        for e in visitors.iterate(records._GROUPED_BY_EVENT)
        if isinstance(e, Column) and e.table is table
    }
    assert {"study_id", "current", "value", "uncertainty_pct", "group_id", "quantity"} <= touched
    assert touched - {"study_id", "current"} <= set(ESTIMATE_VIEW_INCLUDE)
    if backend != "postgresql":
        return
    with ingestor.engine.connect() as db:
        definition = db.execute(
            text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_estimate_view' "
                "AND schemaname = current_schema()"
            )
        ).scalar_one()
    included = ", ".join(ESTIMATE_VIEW_INCLUDE)
    assert definition.endswith(f"(study_id) INCLUDE ({included}) WHERE current")
