"""DICOMweb pull from a real Orthanc: storescu → Orthanc → ``dosewatch pull`` → ledger.

The ledger a pull writes equals the ledger of an ingest of the same files and of the same
files sent to the listener; the watermark makes the next pull incremental; a pull SIGKILLed
mid-way and run again leaves the ledger an uninterrupted pull leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pydicom import dcmread
from typer.testing import CliRunner, Result

from dosewatch.archive.listener import Listener
from dosewatch.archive.pull import Puller, date_range, public_url
from dosewatch.cli.main import app
from dosewatch.ingest import Ingestor
from dosewatch.ledger.identity import SourceInfo
from tests.archive.conftest import CORPUS, require_tool
from tests.archive.helpers import ledger_of
from tests.archive.orthanc import OrthancServer, free_port

#: the dose SRs of the corpus (the pull searches SR classes only; images are not pulled) ...
ALL_SRS = sorted(
    p for p in CORPUS.glob("*.dcm") if dcmread(p, stop_before_pixels=True).Modality == "SR"
)
#: ... but for a variant re-using another file's SOP Instance UID in another study (Orthanc's
#: WADO-RS answers 404 for both: the UID is ambiguous; see the collision test)
COLLIDING = CORPUS / "RF-RDSR-Siemens-Zee_adjusted.dcm"
SRS = [p for p in ALL_SRS if p != COLLIDING]
#: half of them (every CT / projection / MG / NM family), for the slower scenario tests
HALF = SRS[::2]
LATEST_OF_HALF = date(2023, 6, 28)  # MG-RDSR-GEPristina-DBT
DOSEWATCH = str(Path(sys.executable).parent / "dosewatch")
ROOT = Path(__file__).resolve().parents[2]


def storescu(port: int, called: str, files: list[Path]) -> None:
    done = subprocess.run(
        [require_tool("storescu"), "-R", "-aet", "MODALITY1", "-aec", called, "127.0.0.1",
         str(port), *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def ingest_files(ingestor: Ingestor, files: list[Path]) -> None:
    for path in files:
        ingestor.ingest_path(path, SourceInfo(label=str(path), establishment="HOPITAL_A"))


def test_orthanc_pull_and_listener_equal_ingest_from_files(
    orthanc: OrthancServer, listener: Listener, make_ingestor: Callable[[str], Ingestor]
) -> None:
    assert len(SRS) >= 24, "the OpenREM sample corpus is missing"
    storescu(orthanc.dicom_port, "ORTHANC", SRS)
    assert orthanc.instance_count() == len(SRS)
    pulled = make_ingestor("pulled")
    summary = Puller(orthanc.dicomweb, pulled, establishment="HOPITAL_A").pull()
    assert summary.found == len(SRS) and not summary.failed
    assert sum(summary.outcomes.values()) == len(SRS)
    assert summary.watermark == date(2023, 7, 6)  # the latest Study Date of the corpus SRs

    storescu(int(listener.port), "DOSEWATCH", SRS)  # type: ignore[attr-defined]
    assert listener.wait_idle(120)
    files = make_ingestor("files")
    ingest_files(files, SRS)
    want = ledger_of(files)
    assert want["reports"] and want["quarantine"]  # the non-dose ESR is quarantined
    assert ledger_of(pulled) == want
    assert ledger_of(listener.ingestor) == want


def test_watermark_makes_the_next_pull_incremental(
    orthanc: OrthancServer, make_ingestor: Callable[[str], Ingestor]
) -> None:
    storescu(orthanc.dicom_port, "ORTHANC", HALF)
    ingestor = make_ingestor("incremental")
    puller = Puller(orthanc.dicomweb, ingestor, establishment="HOPITAL_A")
    first = puller.pull(until=date(2017, 12, 31))
    assert first.watermark == date(2017, 11, 15)  # Toshiba DoseCheck, the last SR of 2017
    assert 0 < first.found < len(HALF)
    second = puller.pull()  # from the watermark, inclusive
    assert second.since == date(2017, 11, 15)
    assert second.already_pulled == 1  # the watermark day, not retrieved again
    assert first.found + second.found - second.already_pulled == len(HALF)
    assert second.watermark == LATEST_OF_HALF
    again = puller.pull()
    assert (again.found, again.already_pulled, again.outcomes) == (1, 1, {})

    # an older window that does not start at the watermark never moves it
    old = puller.pull(since=date(2013, 1, 1), until=date(2013, 12, 31))
    assert old.found > 0 and old.already_pulled == old.found
    assert old.watermark == LATEST_OF_HALF and not old.watermark_moved

    files = make_ingestor("files")
    ingest_files(files, HALF)
    assert ledger_of(ingestor) == ledger_of(files)


def _cli_env(tmp_path: Path, name: str) -> dict[str, str]:
    return {
        **os.environ,
        "DOSEWATCH_DATA_DIR": str(tmp_path / name),
        "DOSEWATCH_DATABASE_URL": f"sqlite:///{tmp_path / (name + '.sqlite3')}",
        "DOSEWATCH_PSEUDONYM_KEY": "k",
        "DOSEWATCH_PULL_ATTEMPTS": "1",  # no back-off waits on the unreachable archive
    }


def _pull_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOSEWATCH, "pull", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_pull_killed_midway_resumes_to_the_uninterrupted_ledger(
    orthanc: OrthancServer, tmp_path: Path, make_ingestor: Callable[[str], Ingestor]
) -> None:
    storescu(orthanc.dicom_port, "ORTHANC", HALF)
    env = _cli_env(tmp_path, "killed")
    url = ["--url", orthanc.dicomweb, "--establishment", "HOPITAL_A", "--json"]
    # SIGKILL right after the 5th recording transaction committed, before its pull row
    killed = subprocess.run(
        [sys.executable, "-m", "tests.archive.pull_kill_harness", "after_commit:5",
         orthanc.dicomweb],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    resumed = _pull_cli(env, *url)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    summary = json.loads(resumed.stdout)
    assert summary["found"] == len(HALF)
    assert 5 <= summary["already_pulled"] < summary["found"]
    assert summary["outcomes"]["duplicate"] == 1  # the killed instance, retrieved again
    assert summary["watermark"] == LATEST_OF_HALF.isoformat()

    whole = _cli_env(tmp_path, "whole")
    assert _pull_cli(whole, *url).returncode == 0
    from dosewatch.ledger.db import make_engine
    from dosewatch.settings import Settings

    def ledger(env: dict[str, str]) -> dict[str, object]:
        settings = Settings(
            data_dir=Path(env["DOSEWATCH_DATA_DIR"]),
            database_url=env["DOSEWATCH_DATABASE_URL"],
            pseudonym_key="k",
        )
        engine = make_engine(settings.effective_database_url())
        try:
            return ledger_of(Ingestor(settings, engine))
        finally:
            engine.dispose()

    got, want = ledger(env), ledger(whole)
    assert got["reports"] and got == want


def test_an_ambiguous_sop_instance_uid_fails_with_a_reason_and_holds_the_watermark(
    orthanc: OrthancServer, make_ingestor: Callable[[str], Ingestor]
) -> None:
    twin = CORPUS / "RF-RDSR-Siemens-Zee.dcm"
    storescu(orthanc.dicom_port, "ORTHANC", [COLLIDING, twin, CORPUS / "CT-RDSR-GEPixelMed.dcm"])
    shared_uid = str(dcmread(COLLIDING, stop_before_pixels=True).SOPInstanceUID)
    puller = Puller(orthanc.dicomweb, make_ingestor("collision"), establishment="HOPITAL_A")
    for _attempt in range(2):  # failures are not marked as pulled: retried next time
        summary = puller.pull()
        assert [f["sop_instance_uid"] for f in summary.failed] == [shared_uid, shared_uid]
        assert all("WADO-RS retrieve failed: HTTPError: 404" in f["reason"] for f in summary.failed)
        assert summary.watermark is None and not summary.watermark_moved
    assert summary.already_pulled == 1  # the CT RDSR; neither of the pair was ever pulled


def test_bad_urls_and_windows_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _cli_env(tmp_path, "bad").items():
        if key.startswith("DOSEWATCH_"):
            monkeypatch.setenv(key, value)

    def pull(*args: str) -> Result:
        return CliRunner().invoke(app, ["pull", *args])

    unreachable = pull("--url", f"http://127.0.0.1:{free_port()}/dicom-web")
    assert unreachable.exit_code == 2
    assert "QIDO-RS search at http://127.0.0.1" in unreachable.stderr
    not_http = pull("--url", "dicom://pacs:104")
    assert not_http.exit_code == 2 and "expected an http(s) DICOMweb root" in not_http.stderr
    bad_date = pull("--url", "http://127.0.0.1:1/x", "--since", "2024-13-01")
    assert bad_date.exit_code == 2 and "expected YYYY-MM-DD" in bad_date.stderr
    reversed_window = pull("--url", "http://127.0.0.1:1/x", "--since", "2024-02-01",
                           "--until", "2024-01-01")  # fmt: skip
    assert reversed_window.exit_code == 2 and "is after --until" in reversed_window.stderr
    for result in (unreachable, not_http, bad_date, reversed_window):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert date_range(date(2024, 1, 1), None) == "20240101-"
    assert date_range(None, date(2024, 1, 31)) == "-20240131"
    assert public_url("https://user:secret@pacs.example:8443/dicom-web/") == (
        "https://pacs.example:8443/dicom-web"
    )
