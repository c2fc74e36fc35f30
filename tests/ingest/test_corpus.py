"""The sample corpus through the ledger: forward, reverse, twice, and with 4 workers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dosewatch.ingest import local_pool as workers
from dosewatch.ingest.pipeline import Ingestor, Prepared, prepare_bytes
from dosewatch.ledger import repository
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.dump import canonical_dump
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EventRow, ReportRow

DATA = Path(__file__).parents[1] / "data"
#: a subset covering the tricky cases, small enough to parse again in worker processes
SUBSET = (
    "openrem/CT-RDSR-Siemens-Continued-1.dcm",
    "openrem/CT-RDSR-Siemens-Continued-2.dcm",
    "openrem/MG-Im-GE_Seno_1_ForPresentation.dcm",
    "openrem/MG-Im-GE_Seno_1_ForProcessing.dcm",
    "openrem/MG-Im-GE_Seno_2_ForPresentation.dcm",
    "openrem/NM-CT-RDSR-Siemens.dcm",
    "openrem/NM-PetIm-Siemens.dcm",
    "openrem/NM-PetIm-Siemens-2.dcm",
    "openrem/NM-RRDSR-Siemens.dcm",
    "openrem/DX-Im-Carestream_DR7500-1.dcm",
    "openrem/DX-Im-Carestream_DR7500-2.dcm",
    "openrem/ESR_non-dose.dcm",
    "openrem/RF-RDSR-Siemens-Zee.dcm",
    "openrem/RF-RDSR-Siemens-Zee_adjusted.dcm",
)


def corpus_files() -> list[Path]:
    return sorted(p for p in DATA.glob("*/*.dcm"))


@pytest.fixture(scope="module")
def corpus() -> dict[str, Prepared]:
    """Every corpus file parsed and estimated once (the stateless step)."""
    return {
        str(path.relative_to(DATA)): prepare_bytes(path.read_bytes(), path.name)
        for path in corpus_files()
    }


def record_all(ingestor: Ingestor, items: list[tuple[str, Prepared]]) -> list[str]:
    return [ingestor.record(item, SourceInfo(name)).status for name, item in items]


def dump(ingestor: Ingestor) -> dict[str, Any]:
    with session_factory(ingestor.engine)() as session:
        return canonical_dump(session)


def test_corpus_gives_the_same_ledger_forward_reverse_and_twice(
    corpus: dict[str, Prepared], make_ingestor: Callable[[], Ingestor]
) -> None:
    items = sorted(corpus.items())
    forward = make_ingestor()
    statuses = record_all(forward, items)
    reverse = make_ingestor()
    record_all(reverse, items[::-1])
    assert dump(forward) == dump(reverse)
    before = dump(forward)
    assert set(record_all(forward, items)) <= {"duplicate", "quarantined"}
    assert dump(forward) == before

    assert statuses.count("quarantined") == 1  # ESR_non-dose.dcm
    assert statuses.count("duplicate") == 1  # Zee_adjusted re-uses Zee's SOP Instance UID
    with session_factory(forward.engine)() as session:
        stats = repository.stats(session)
        by_source = {Path(str(r.source)).name: r for r in session.scalars(select(ReportRow))}
        owners = [
            Path(str(source)).name
            for source in session.scalars(
                select(ReportRow.source).join(EventRow, EventRow.report_id == ReportRow.id)
            )
        ]
    assert stats.reports == len(corpus) - 2
    assert stats.quarantined == 1
    # Siemens continued study: same Study Instance UID, disjoint events, both kept
    one = by_source["CT-RDSR-Siemens-Continued-1.dcm"]
    two = by_source["CT-RDSR-Siemens-Continued-2.dcm"]
    assert one.study_id == two.study_id
    assert one.status == two.status == "current"
    assert sum(1 for owner in owners if owner.startswith("CT-RDSR-Siemens-Continued")) == 4
    # For-Processing / For-Presentation twins: one exposure, counted once
    processing = by_source["MG-Im-GE_Seno_1_ForProcessing.dcm"]
    presentation = by_source["MG-Im-GE_Seno_1_ForPresentation.dcm"]
    assert {processing.status, presentation.status} == {"current", "superseded"}
    # PET images of one injection and the RRDSR of the same study: the RRDSR counts
    pet = by_source["NM-PetIm-Siemens-3.dcm"]
    with session_factory(forward.engine)() as session:
        nm = session.execute(
            select(EventRow.from_header, EventRow.counted).where(EventRow.study_id == pet.study_id)
        ).all()
    # CT RDSR of the PET/CT (2 events), the RRDSR (1), the PET images (1, not counted)
    assert sorted((bool(h), bool(c)) for h, c in nm) == [(False, True)] * 3 + [(True, False)]


def test_four_workers_give_the_same_ledger(
    corpus: dict[str, Prepared],
    make_ingestor: Callable[[], Ingestor],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    for name in SUBSET:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / name, target)
    sequential = make_ingestor()
    record_all(sequential, [(name, corpus[name]) for name in SUBSET])
    parallel = make_ingestor()
    summary = workers.run(parallel.settings, [folder], workers=4)
    assert summary.files == len(SUBSET)
    assert summary.failed == 0
    assert summary.quarantined == 1 and summary.duplicates == 1
    assert dump(parallel) == dump(sequential)
