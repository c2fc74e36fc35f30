"""Bulk fuzz: mutated objects ingested together with valid ones, with 2 workers.

Every file must end recorded, duplicate or quarantined with a reason; the ledger invariants
(unique UIDs, totals, whole reports) must hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dosewatch.ingest import local_pool as workers
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import repository
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.models import EventRow, Quarantine, ReportRow
from dosewatch.synth.mutate import mutations
from dosewatch.synth.region import iter_region

MUTATIONS_PER_OBJECT = 12


@pytest.mark.slow
def test_mutated_and_valid_objects_end_recorded_or_quarantined(
    ingestor: Ingestor, tmp_path: Path
) -> None:
    valid = list(iter_region(establishments=2, persons=4, seed=5))
    bases = [data for _, data in valid[:: max(1, len(valid) // 4)]][:4]
    folder = tmp_path / "in"
    folder.mkdir()
    for index, (_, data) in enumerate(valid):
        (folder / f"valid-{index:03d}.dcm").write_bytes(data)
    written = len(valid)
    for b, data in enumerate(bases):
        for m, mutation in enumerate(mutations(data, seed=b, count=MUTATIONS_PER_OBJECT)):
            (folder / f"mutant-{b}-{m:02d}-{mutation.kind}.dcm").write_bytes(mutation.data)
            written += 1

    summary = workers.run(ingestor.settings, [folder], workers=2)
    assert summary.failed == 0
    assert summary.files == written
    assert summary.recorded + summary.duplicates + summary.quarantined == written
    assert summary.quarantined > 0 and summary.recorded > 0

    with session_factory(ingestor.engine)() as session:
        reports = session.scalar(select(func.count()).select_from(ReportRow))
        uids = session.scalar(select(func.count(func.distinct(ReportRow.sop_instance_uid))))
        assert reports == uids == summary.recorded
        reasons = session.execute(select(Quarantine.reason_code, Quarantine.reason)).all()
        assert all(code and reason for code, reason in reasons)
        assert len(reasons) <= summary.quarantined  # identical bad bytes are kept once
        assert repository.stats(session).quarantined == len(reasons)
        events = session.execute(select(EventRow.study_id, EventRow.event_key)).all()
        assert len(events) == len(set(events))
        present = set(events)
        for report in session.scalars(select(ReportRow).where(ReportRow.status == "current")):
            assert all((report.study_id, str(k)) in present for k in report.event_keys)
