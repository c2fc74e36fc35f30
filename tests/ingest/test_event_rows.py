"""New events go in one executemany (the lean path): stored exactly as the ORM stored them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.writer import EVENT_TABLE, insert_events
from dosewatch.ledger import dedup
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EventRow, ReportRow, Study
from rdsr_parsers import parse

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = [
    "CT-RDSR-Siemens_Flash-TAP-SS.dcm",  # 4 CT events (one without UID: a keyed event)
    "RF-RDSR-Philips_Azurion.dcm",  # 89 projection events
    "NM-RRDSR-Siemens.dcm",  # an administration
    "MG-RDSR-GEPristina-2D.dcm",  # mammography events
]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_event_column_is_the_incoming_event_s(ingestor: Ingestor, name: str) -> None:
    data = next(DATA.rglob(name)).read_bytes()
    assert ingestor.ingest_bytes(data, SourceInfo(name)).status == "recorded"
    incoming, _ = dedup.incoming_events(parse(data).report)
    with session_factory(ingestor.engine)() as session:
        report = session.scalars(select(ReportRow)).one()
        study = session.scalars(select(Study)).one()
        stored = {e.event_key: e for e in session.scalars(select(EventRow))}
    assert sorted(stored) == sorted(e.key for e in incoming)
    assert len(stored) == report.event_count >= 1
    for event in incoming:
        row = stored[event.key]
        assert (row.study_id, row.report_id) == (study.id, report.id)
        assert (row.value_hash, row.counted, row.conflict) == (event.value_hash, True, False)
        for column, value in event.values.items():
            assert getattr(row, column) == value, (event.key, column)


def test_a_column_one_row_lacks_is_null(ingestor: Ingestor) -> None:
    data = next(DATA.rglob(SAMPLES[0])).read_bytes()
    ingestor.ingest_bytes(data, SourceInfo("ct"))
    with session_factory(ingestor.engine)() as session, session.begin():
        study_id, report_id = session.execute(
            select(Study.id, ReportRow.id).join(ReportRow, ReportRow.study_id == Study.id)
        ).one()
        base: dict[str, Any] = {
            "study_id": study_id,
            "report_id": report_id,
            "kind": "ct",
            "modality": "CT",
            "from_header": False,
            "counted": True,
            "conflict": False,
            "value_hash": "h",
        }
        insert_events(
            session,
            [
                {**base, "event_key": "a", "ctdivol_mgy": 1.5},
                {**base, "event_key": "b", "dlp_mgy_cm": 20.0, "counted": False},
            ],
        )
        insert_events(session, [])  # nothing to write: no statement
    with session_factory(ingestor.engine)() as session:
        rows = {
            r.event_key: r
            for r in session.scalars(select(EventRow).where(EventRow.event_key.in_(["a", "b"])))
        }
    assert (rows["a"].ctdivol_mgy, rows["a"].dlp_mgy_cm, rows["a"].counted) == (1.5, None, True)
    assert (rows["b"].ctdivol_mgy, rows["b"].dlp_mgy_cm, rows["b"].counted) == (None, 20.0, False)
    assert EVENT_TABLE.name == "irradiation_event"
