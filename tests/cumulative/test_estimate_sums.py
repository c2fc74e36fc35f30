"""``estimate_sum`` (migration ``cumview_03``): the sums PostgreSQL keeps per study and group
for the cumulative view. After every kind of write (new reports, a superseding report, a
re-sent copy, a header beside its RDSR, plain UPDATE and DELETE statements) they equal the
sums computed afresh from the counted estimates; the view reads them; a migration down and
up recomputes them. SQLite keeps the table empty (its view aggregates at each call)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, case, delete, func, select, text, update

from dosewatch.cumulative import records
from dosewatch.cumulative.summary import cumulative
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import alembic_config, session_factory, upgrade
from dosewatch.ledger.estimate_models import EstimateInputRow
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EstimateRow, EstimateSum, Person
from tests.cumulative import scenario
from tests.cumulative.test_estimate_groups import _assert_same
from tests.cumulative.test_records import WINDOW

_PSD = "peak_skin_dose"


def _fresh(engine: Engine) -> list[tuple[Any, ...]]:
    """The sums of the counted estimates, computed now (what the triggers must keep)."""
    magnitude = func.abs(EstimateRow.value)
    weight = func.sum(magnitude)
    keys = (
        EstimateRow.study_id,
        case((EstimateRow.event_id.is_(None), EstimateRow.report_id), else_=0),
        func.coalesce(EstimateRow.group_id, 0),
        case((EstimateRow.quantity == _PSD, EstimateRow.id), else_=0),
    )
    statement = (
        select(
            *keys,
            func.sum(EstimateRow.value),
            case(
                (weight > 0, func.sum(magnitude * EstimateRow.uncertainty_pct) / weight),
                else_=func.max(EstimateRow.uncertainty_pct),
            ),
            func.count(),
        )
        .where(EstimateRow.current)
        .group_by(*keys)
    )
    with engine.connect() as db:
        return sorted(tuple(r) for r in db.execute(statement))


def _kept(engine: Engine) -> list[tuple[Any, ...]]:
    columns = (
        EstimateSum.study_id,
        EstimateSum.report_id,
        EstimateSum.group_id,
        EstimateSum.psd_id,
        EstimateSum.total,
        EstimateSum.uncertainty_pct,
        EstimateSum.n,
    )
    with engine.connect() as db:
        return sorted(tuple(r) for r in db.execute(select(*columns)))


def _assert_kept_right(engine: Engine, backend: str) -> None:
    kept = _kept(engine)
    if backend != "postgresql":
        assert kept == []
        return
    fresh = _fresh(engine)
    assert len(fresh) >= 5
    assert [r[:4] + r[6:] for r in kept] == [r[:4] + r[6:] for r in fresh]
    for k, f in zip(kept, fresh, strict=True):  # the same floats, perhaps added in another order
        assert k[4] == pytest.approx(f[4], rel=1e-12, abs=0.0)
        assert k[5] == pytest.approx(f[5], rel=1e-12, abs=0.0)


def _ingest_everything(ingestor: Ingestor) -> None:
    """Alice (overlapping reports, a header beside its RDSR, an NM study), Carol (RF with
    peak skin doses, a re-sent CT) and Carol's first RF report superseded."""
    for name, data in {**scenario.files(), **scenario.carol_files()}.items():
        ingestor.ingest_bytes(data, SourceInfo(name))
    ingestor.ingest_bytes(scenario.rf1_corrected(), SourceInfo("rf1-corrected"))


def test_the_kept_sums_follow_every_write(ingestor: Ingestor, backend: str) -> None:
    _ingest_everything(ingestor)
    _assert_kept_right(ingestor.engine, backend)
    with ingestor.engine.begin() as db:
        some = db.execute(
            select(EstimateRow.id).where(EstimateRow.current).order_by(EstimateRow.id).limit(3)
        ).scalars()
        first, second, third = some.all()
        # an UPDATE of the counted flag, of a value, and a DELETE: each statement's studies
        db.execute(update(EstimateRow).where(EstimateRow.id == first).values(current=False))
        db.execute(update(EstimateRow).where(EstimateRow.id == second).values(value=123.25))
        db.execute(delete(EstimateInputRow).where(EstimateInputRow.estimate_id == third))
        db.execute(delete(EstimateRow).where(EstimateRow.id == third))
    _assert_kept_right(ingestor.engine, backend)
    if backend == "postgresql":
        assert any(r[4] >= 123.25 for r in _kept(ingestor.engine))


def test_the_view_reads_the_kept_sums(ingestor: Ingestor, backend: str) -> None:
    """On PostgreSQL the view's numbers are the kept sums: a kept sum changed behind the
    triggers' back (a test-only write) shows in the view; SQLite aggregates at each call."""
    _ingest_everything(ingestor)
    with session_factory(ingestor.engine)() as session:
        persons = session.scalars(select(Person.id).where(Person.merged_into_id.is_(None)))
        person = sorted(persons.all())[0]
        before = cumulative(session, person, WINDOW).effective.value
    assert before is not None and before > 0
    if backend != "postgresql":
        return
    with ingestor.engine.begin() as db:
        db.execute(
            text(
                "UPDATE estimate_sum SET total = total + 1000 WHERE (study_id, group_id) IN "
                "(SELECT s.study_id, s.group_id FROM estimate_sum s JOIN estimate_group g "
                "ON g.id = s.group_id JOIN study ON study.id = s.study_id "
                "WHERE g.quantity = 'effective_dose' AND g.basis = 'ICRP103' "
                "AND study.person_id = :p LIMIT 1)"
            ),
            {"p": person},
        )
    with session_factory(ingestor.engine)() as session:
        after = cumulative(session, person, WINDOW).effective.value
    assert after == pytest.approx(before + 1000.0)


def test_the_migration_sums_existing_estimates(ingestor: Ingestor, backend: str) -> None:
    """Down to ``cumview_02`` (no sums) and up again: the sums of every existing study."""
    _ingest_everything(ingestor)
    with session_factory(ingestor.engine)() as session:
        person = session.scalars(select(Person.id).order_by(Person.id)).first()
        assert person is not None
        before = records.exams(session, person)
    command.downgrade(alembic_config(ingestor.engine), "cumview_02")
    upgrade(ingestor.engine)
    _assert_kept_right(ingestor.engine, backend)
    with session_factory(ingestor.engine)() as session:
        _assert_same(records.exams(session, person), before)
