"""``dosewatch backfill --from <DICOMweb root>``: storescu → a real Orthanc → QIDO-RS
enumeration by the enqueuer → WADO-RS retrieve in a real Celery worker (Redis) → the
PostgreSQL ledger, which must equal an ingest of the same files; ``--since``/``--until``
select the Study Date range."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dosewatch.cumulative.alerts import on_recorded
from dosewatch.ingest import Ingestor
from dosewatch.ledger.db import make_engine, upgrade
from dosewatch.nrd.store import on_study_recorded
from dosewatch.settings import Settings
from tests.archive.conftest import CORPUS
from tests.archive.helpers import ledger_of
from tests.archive.orthanc import OrthancServer
from tests.archive.test_pull import SRS, ingest_files, storescu
from tests.ingest.test_distributed import (  # noqa: F401 - the processes fixture
    BROKERS,
    DEADLINE_S,
    Processes,
    _require_broker,
    processes,
)
from tests.ledger.conftest import new_database  # noqa: F401 - re-exported fixture

#: a small sample: five dose SRs of different families (2013, 2013, 2017, 2018, 2022) and the
#: non-dose ESR (quarantined by both routes)
NON_DOSE = CORPUS / "ESR_non-dose.dcm"
FILES = sorted({*SRS[::5], NON_DOSE})


@pytest.fixture
def backend() -> str:
    return "postgresql"  # the workers share a server ledger


def backfill(procs: Processes, name: str, *args: str) -> dict[str, Any]:
    run = procs.start(name, "backfill", *args, "--establishment", "HOPITAL_A", "--json")
    out, _ = run.communicate(timeout=DEADLINE_S)
    assert run.returncode == 0, procs.log_tail()
    status: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return status


@pytest.mark.slow
@pytest.mark.postgres
def test_backfill_from_orthanc_dicomweb_equals_an_ingest_of_the_files(
    orthanc: OrthancServer,
    new_database: Callable[[], str],  # noqa: F811 - the imported fixture
    tmp_path: Path,
    processes: Callable[[dict[str, str]], Processes],  # noqa: F811 - the imported fixture
) -> None:
    _require_broker(BROKERS["redis"])
    assert NON_DOSE.exists() and len(FILES) == 6
    storescu(orthanc.dicom_port, "ORTHANC", FILES)
    assert orthanc.instance_count() == len(FILES)
    reference_url, url = new_database(), new_database()
    reference = Settings(data_dir=tmp_path / "ref", database_url=reference_url, pseudonym_key="k")
    engines = [make_engine(reference_url), make_engine(url)]
    try:
        for engine in engines:
            upgrade(engine)
        files = Ingestor(
            reference, engines[0], on_recorded=on_recorded, on_study_recorded=on_study_recorded
        )
        ingest_files(files, FILES)
        want = ledger_of(files)
        assert want["reports"] and want["quarantine"]

        env = {
            **os.environ,
            "DOSEWATCH_DATA_DIR": str(tmp_path / "dist"),
            "DOSEWATCH_DATABASE_URL": url,
            "DOSEWATCH_PSEUDONYM_KEY": "k",
            "DOSEWATCH_BROKER_URL": BROKERS["redis"],
            "DOSEWATCH_BROKER_QUEUE": f"test.{uuid.uuid4().hex[:12]}",
        }
        procs = processes(env)
        procs.worker("w1")
        status = backfill(procs, "backfill-1", "--from", orthanc.dicomweb)
        assert status["finished"] and (status["objects"], status["done"]) == (6, 6), status
        assert status["outcomes"] == {"recorded": 5, "quarantined": 1}, status
        assert status["source"] == orthanc.dicomweb
        pulled = Ingestor(Settings(data_dir=tmp_path / "dist", database_url=url,
                                   pseudonym_key="k"), engines[1])  # fmt: skip
        assert ledger_of(pulled) == want

        # the Study Date window, inclusive at both ends: the 2017 and 2018 objects only
        window = backfill(procs, "backfill-2", "--from", orthanc.dicomweb,
                          "--since", "2017-09-25", "--until", "2018-01-10")  # fmt: skip
        assert (window["objects"], window["done"]) == (2, 2), window
        assert window["outcomes"] == {"duplicate": 2}, window
        assert ledger_of(pulled) == want
    finally:
        for engine in engines:
            engine.dispose()
