"""Archive fixtures: a real listener (pynetdicom SCP) on a free loopback port, SQLite ledger."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dosewatch.archive.listener import Listener, ListenerConfig
from dosewatch.ingest import Ingestor
from dosewatch.ledger.db import make_engine, session_factory, upgrade
from dosewatch.ledger.identity import SourceInfo
from dosewatch.settings import Settings
from tests.archive.orthanc import OrthancServer, start_orthanc

CORPUS = Path(__file__).resolve().parents[1] / "data" / "openrem"  # the bundled copy
ALLOW = {"MODALITY1": "HOPITAL_A", "MODALITY2": "CLINIQUE_B"}


def require_tool(name: str) -> str:
    """The dcmtk tool ``name``: PATH without the virtualenv (pynetdicom installs its own
    ``storescu`` app there, with other options)."""
    outside = os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep) if not d.startswith(sys.prefix)
    )
    path = shutil.which(name, path=outside)
    if path is None:
        pytest.fail(f"{name} not on PATH (.ci/run installs it)")
    return path


@pytest.fixture
def make_ingestor(tmp_path: Path) -> Iterator[Callable[[str], Ingestor]]:
    engines: list[Engine] = []

    def make(name: str) -> Ingestor:
        url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        settings = Settings(data_dir=tmp_path / name, database_url=url, pseudonym_key="k")
        engine = make_engine(url)
        upgrade(engine)
        engines.append(engine)
        return Ingestor(settings, engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def listener(make_ingestor: Callable[[str], Ingestor], tmp_path: Path) -> Iterator[Listener]:
    config = ListenerConfig(
        ae_title="DOSEWATCH", allow=ALLOW, spool_dir=tmp_path / "spool", port=0, queue_size=4
    )
    running = Listener(config, make_ingestor("listened"))
    running.port = running.start()  # type: ignore[attr-defined]
    yield running
    running.stop(drain=True)


@pytest.fixture(scope="session")
def orthanc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """One real Orthanc per test session (see :mod:`tests.archive.orthanc`)."""
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.stop()


@pytest.fixture
def orthanc(orthanc_server: OrthancServer) -> OrthancServer:
    """The session's Orthanc, emptied for this test."""
    orthanc_server.clear()
    return orthanc_server


@pytest.fixture(scope="session")
def corpus_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Session]]:
    """The bundled corpus ingested once (read-only session): the CT files as if received by
    the listener from MODALITY1 (so their reports know their calling AE), the others as files."""
    root = tmp_path_factory.mktemp("corpus_ledger")
    url = f"sqlite:///{root / 'ledger.sqlite3'}"
    settings = Settings(data_dir=root / "data", database_url=url, pseudonym_key="k")
    engine = make_engine(url)
    upgrade(engine)
    ingestor = Ingestor(settings, engine)
    for path in sorted(CORPUS.glob("*.dcm")):
        if path.name.startswith("CT-"):
            source = SourceInfo(label="dicom:MODALITY1", calling_ae="MODALITY1",
                                establishment="HOPITAL_A")  # fmt: skip
        else:
            source = SourceInfo(label=path.name, establishment="HOPITAL_A")
        ingestor.ingest_path(path, source)
    with session_factory(engine, read_only=True)() as session:
        yield settings, session
    engine.dispose()
