"""The lean record path of estimates (issue 14): bulk writes, shared input lists, one-pass
election — the same ledger as the ORM path, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from dosewatch.domain import codes
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.prepare import prepare_bytes
from dosewatch.ingest.writer import inputs_json
from dosewatch.ledger import bulk
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.estimate_models import EstimateInputRow
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EstimateRow, ReportRow, Study
from tests.cumulative import scenario

DATA = Path(__file__).resolve().parent.parent / "data"
CT = next(DATA.rglob("CT-RDSR-Siemens_Flash-TAP-SS.dcm"))
RF = next(DATA.rglob("RF-RDSR-Philips_Azurion.dcm"))


def _inputs_by_estimate(engine: Engine) -> dict[int, list[tuple[Any, ...]]]:
    """Each estimate's input rows, read through ``INPUTS_OWNER`` (position order)."""
    with engine.connect() as db:
        rows = db.execute(
            select(
                EstimateRow.id,
                EstimateInputRow.position,
                EstimateInputRow.name,
                EstimateInputRow.value,
                EstimateInputRow.unit,
                EstimateInputRow.code_scheme,
                EstimateInputRow.code_value,
                EstimateInputRow.code_meaning,
                EstimateInputRow.text,
                EstimateInputRow.assumed,
            )
            .join(EstimateInputRow, EstimateInputRow.estimate_id == estimate_ledger.INPUTS_OWNER)
            .order_by(EstimateRow.id, EstimateInputRow.position)
        ).all()
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def _expected(data: bytes) -> Counter[tuple[Any, ...]]:
    """(slot target, quantity, organ, model, input rows) of every estimate of the object,
    straight from the models (no ledger)."""
    prepared = prepare_bytes(data, "x")
    out: Counter[tuple[Any, ...]] = Counter()
    for e in prepared.estimates:
        rows = tuple(
            (
                i["position"],
                i["name"],
                i["value"],
                i["unit"],
                i["code_scheme"],
                i["code_value"],
                i["code_meaning"],
                i["text"],
                i["assumed"],
            )
            for i in estimate_ledger.typed_inputs(e)
        )
        organ = None if e.organ is None else e.organ.value
        out[(e.quantity.value, organ, e.model_id, e.value.value, rows)] += 1
    return out


@pytest.mark.parametrize("path", [CT, RF], ids=["ct", "rf"])
def test_every_estimate_reads_back_exactly_its_own_inputs(ingestor: Ingestor, path: Path) -> None:
    data = path.read_bytes()
    assert ingestor.ingest_bytes(data, SourceInfo("x")).status == "recorded"
    expected = _expected(data)
    assert sum(expected.values()) >= 80  # the object's estimates are there to compare
    inputs = _inputs_by_estimate(ingestor.engine)
    with ingestor.engine.connect() as db:
        stored = db.execute(
            select(
                EstimateRow.id,
                EstimateRow.quantity,
                EstimateRow.organ_value,
                EstimateRow.model_id,
                EstimateRow.value,
                EstimateRow.inputs_of_id,
                EstimateRow.report_id,
            )
        ).all()
        input_rows = db.execute(select(func.count()).select_from(EstimateInputRow)).scalar_one()
    got = Counter(
        (r.quantity, r.organ_value, r.model_id, r.value, tuple(inputs.get(r.id, ())))
        for r in stored
    )
    assert got == expected
    # shared lists: fewer rows than the sum of the lists, one set per distinct list
    distinct = {key[-1] for key in expected if key[-1]}
    listed = sum(len(key[-1]) * n for key, n in expected.items())
    assert input_rows == sum(len(rows) for rows in distinct) < listed
    owners = {r.id: r for r in stored}
    sharers = [r for r in stored if r.inputs_of_id is not None]
    assert len(sharers) == sum(expected.values()) - len(distinct) - sum(
        n for key, n in expected.items() if not key[-1]
    )
    for r in sharers:  # an earlier estimate of the same report, with its own rows
        owner = owners[r.inputs_of_id]
        assert owner.report_id == r.report_id and owner.inputs_of_id is None
        assert owner.id < r.id


def test_the_bulk_rows_are_stored_as_the_orm_stores_them(ingestor: Ingestor, backend: str) -> None:
    """JSON, booleans, date-times and floats written below the ORM read back as ORM values."""
    data = CT.read_bytes()
    ingestor.ingest_bytes(data, SourceInfo("x"))
    prepared = prepare_bytes(data, "x")
    by_key = {
        (e.quantity.value, None if e.organ is None else e.organ.value, e.model_id, e.value.value): e
        for e in prepared.estimates
    }
    with session_factory(ingestor.engine)() as session:
        report = session.scalars(select(ReportRow)).one()
        rows = session.scalars(select(EstimateRow)).all()
        assert len(rows) == len(prepared.estimates)
        for row in rows:
            estimate = by_key[(row.quantity, row.organ_value, row.model_id, row.value)]
            assert row.inputs == inputs_json(estimate)
            assert row.created_at == report.received_at
            assert row.indicative is estimate.indicative
            assert row.upper_bound is estimate.upper_bound
            assert isinstance(row.current, bool)
            assert row.uncertainty_pct == estimate.uncertainty_pct
            assert row.method == estimate.method
        if backend == "sqlite":  # the stored forms of SQLAlchemy's SQLite types
            raw = session.execute(
                text("SELECT typeof(current), typeof(indicative), created_at FROM estimate")
            ).all()
            assert {(a, b) for a, b, _ in raw} == {("integer", "integer")}
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", c) for *_, c in raw)


def test_one_pass_election_equals_a_fresh_election(ingestor: Ingestor) -> None:
    """What ``record`` decided while inserting equals what ``elect`` decides afterwards from
    the stored facts alone, over overlapping reports, headers beside RDSRs, a re-sent and a
    superseded object: re-electing every study changes nothing."""
    for name, value in {**scenario.files(), **scenario.carol_files()}.items():
        ingestor.ingest_bytes(value, SourceInfo(name))
    ingestor.ingest_bytes(scenario.rf1_corrected(), SourceInfo("rf1-corrected"))
    ingestor.ingest_bytes(CT.read_bytes(), SourceInfo("ct"))

    def state() -> list[tuple[Any, ...]]:
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

    before = state()
    selections = Counter(r[2] for r in before)
    assert selections["counted"] >= 50 and len(selections) >= 3  # several rules were used
    with session_factory(ingestor.engine)() as session, session.begin():
        for study_id in session.scalars(select(Study.id)):
            estimate_ledger.elect(session, study_id)
    assert state() == before


def test_a_retracted_version_leaves_no_input_rows_behind(ingestor: Ingestor) -> None:
    """A corrected re-send of Carol's first RF report (same SOP Instance UID, later content)
    replaces the stored version: no input row and no shared-list reference is left without
    its estimate."""
    for name, value in scenario.carol_files().items():
        ingestor.ingest_bytes(value, SourceInfo(name))
    with ingestor.engine.connect() as db:
        first = db.execute(select(func.count()).select_from(EstimateInputRow)).scalar_one()
    ingestor.ingest_bytes(scenario.rf1_corrected(), SourceInfo("rf1-corrected"))
    with ingestor.engine.connect() as db:
        orphans = db.execute(
            select(func.count())
            .select_from(EstimateInputRow)
            .where(EstimateInputRow.estimate_id.not_in(select(EstimateRow.id)))
        ).scalar_one()
        dangling = db.execute(
            select(func.count())
            .select_from(EstimateRow)
            .where(
                EstimateRow.inputs_of_id.is_not(None),
                EstimateRow.inputs_of_id.not_in(select(EstimateRow.id)),
            )
        ).scalar_one()
        ka_r = db.execute(
            select(ReportRow.ka_r_total_gy).where(
                ReportRow.sop_instance_uid == scenario.uid("rf1.R")
            )
        ).scalar_one()
    assert first > 0
    assert ka_r == pytest.approx(1.5)  # the corrected version is the one stored
    assert (orphans, dangling) == (0, 0)


def test_reserved_ids_are_new_and_ascending(ingestor: Ingestor) -> None:
    ingestor.ingest_bytes(CT.read_bytes(), SourceInfo("ct"))
    with session_factory(ingestor.engine)() as session, session.begin():
        top = session.scalar(select(func.max(EstimateRow.id)))
        assert top is not None
        ids = bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 5)
        assert len(ids) == 5 and ids == sorted(ids) and len(set(ids)) == 5
        assert min(ids) > top
        assert bulk.reserve_ids(session, estimate_ledger.ESTIMATE_TABLE, 0) == []


@pytest.mark.parametrize("path", [CT, RF], ids=["ct", "rf"])
def test_every_descriptor_column_is_the_estimate_s(ingestor: Ingestor, path: Path) -> None:
    """Quantity, organ (scheme, value, meaning), basis, unit, versions, flags, slot and event
    of each stored row are those of its domain estimate (the one-pass write, column by
    column)."""
    data = path.read_bytes()
    ingestor.ingest_bytes(data, SourceInfo("x"))
    prepared = prepare_bytes(data, "x")

    def organ_of(e: Any) -> tuple[Any, ...]:
        o = e.organ
        return (None, None, None) if o is None else (o.scheme_designator, o.value, o.meaning)

    expected = Counter(
        (
            e.quantity.value,
            *organ_of(e),
            None if e.basis is None else e.basis.value,
            e.value.unit,
            e.model_id,
            e.model_version,
            e.table_version,
            e.indicative,
            e.upper_bound,
            e.origin.value,
            estimate_ledger.slot_key(
                (e.event_uid or estimate_ledger.STUDY_TARGET)[:80],
                e.quantity.value,
                codes.code_str(e.organ),
                None if e.basis is None else e.basis.value,
            ),
            e.event_uid is not None,
        )
        for e in prepared.estimates
    )
    assert any(key[4] is not None for key in expected)  # some estimates have a basis
    assert any(key[1] is not None for key in expected) or path is RF  # CT: organ doses
    with ingestor.engine.connect() as db:
        rows = db.execute(
            select(
                EstimateRow.quantity,
                EstimateRow.organ_scheme,
                EstimateRow.organ_value,
                EstimateRow.organ_meaning,
                EstimateRow.basis,
                EstimateRow.unit,
                EstimateRow.model_id,
                EstimateRow.model_version,
                EstimateRow.table_version,
                EstimateRow.indicative,
                EstimateRow.upper_bound,
                EstimateRow.origin,
                EstimateRow.slot_key,
                EstimateRow.event_id.is_not(None),
            )
        ).all()
    assert Counter(tuple(r) for r in rows) == expected
