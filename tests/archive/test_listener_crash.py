"""Fault test: ``dosewatch listen`` SIGKILLed while a batch is being sent.

After a restart every object that was acknowledged (C-STORE status 0x0000) is in the ledger,
and the sender's retry of the whole batch changes nothing (idempotent).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian
from pynetdicom import AE
from sqlalchemy import select

from dosewatch.archive.listener import DOSE_STORAGE_CLASSES
from dosewatch.ingest import Ingestor
from dosewatch.ledger.db import make_engine, upgrade
from dosewatch.ledger.models import ReportRow
from dosewatch.settings import Settings
from rdsr_parsers import sop
from tests.archive.conftest import CORPUS
from tests.archive.helpers import ingest_files, ledger_of

RDSRS = sorted(p for p in CORPUS.glob("*RDSR*.dcm"))


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dosewatch"), "listen", "--port", "0", "--ae-title",
         "DOSEWATCH", "--allow", "MODALITY1=HOPITAL_A", "--queue-size", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on "), (line, proc.stderr.read() if proc.stderr else "")
    return proc, int(line.split()[2].rsplit(":", 1)[1])


def _send(
    port: int, files: list[Path], on_ack: int | None, proc: subprocess.Popen[str]
) -> list[str]:
    """C-STORE ``files``; SIGKILL ``proc`` after ``on_ack`` acknowledgements. Returns acked UIDs."""
    ae = AE(ae_title="MODALITY1")
    # Explicit VR, as the files are (and as storescu proposes): pynetdicom's default list puts
    # Implicit VR first, and an object received implicit carries the parser's INFO finding
    # ``encoding.implicit_vr`` that the file ingest does not have
    for uid in (*DOSE_STORAGE_CLASSES, sop.RADIOPHARMACEUTICAL_RDSR):
        ae.add_requested_context(uid, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", port, ae_title="DOSEWATCH")
    assert assoc.is_established
    acked: list[str] = []
    for path in files:
        status = assoc.send_c_store(path)
        if getattr(status, "Status", None) != 0x0000:
            break  # connection gone: the listener was killed
        acked.append(str(dcmread(path, stop_before_pixels=True).SOPInstanceUID))
        if on_ack is not None and len(acked) == on_ack:
            os.kill(proc.pid, signal.SIGKILL)
    if assoc.is_established:
        assoc.release()
    return acked


def _wait_spool_empty(spool: Path, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(spool.glob("*.json")) and proc.poll() is None:
            return
        time.sleep(0.2)
    raise AssertionError(f"spool not drained in {timeout}s: {sorted(spool.iterdir())}")


@pytest.mark.slow
def test_sigkill_during_a_batch_loses_no_acknowledged_object(tmp_path: Path) -> None:
    assert len(RDSRS) >= 20, "the OpenREM sample corpus is missing"
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    env = {**os.environ, "DOSEWATCH_DATA_DIR": str(tmp_path / "data"),
           "DOSEWATCH_DATABASE_URL": url, "DOSEWATCH_PSEUDONYM_KEY": "k"}  # fmt: skip
    proc, port = _start(env)
    acked = _send(port, RDSRS, on_ack=len(RDSRS) // 2, proc=proc)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= len(RDSRS) // 2

    proc, port = _start(env)  # replays the spool
    try:
        _wait_spool_empty(tmp_path / "data" / "spool", proc, 120)
        engine = make_engine(url)
        with engine.connect() as conn:
            ledgered = set(conn.scalars(select(ReportRow.sop_instance_uid)))
        assert set(acked) <= ledgered, sorted(set(acked) - ledgered)

        resent = _send(port, RDSRS, on_ack=None, proc=proc)  # the sender retries everything
        assert len(resent) == len(RDSRS)
        _wait_spool_empty(tmp_path / "data" / "spool", proc, 120)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    reference = Ingestor(
        Settings(
            data_dir=tmp_path / "ref",
            database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}",
            pseudonym_key="k",
        )
    )
    upgrade(reference.engine)
    ingest_files(reference, RDSRS, "HOPITAL_A", "MODALITY1")
    after = Ingestor(Settings(data_dir=tmp_path / "data", database_url=url, pseudonym_key="k"))
    got, want = ledger_of(after), ledger_of(reference)
    assert got["reports"] and got == want  # findings included
    engine.dispose()
