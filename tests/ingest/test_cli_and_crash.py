"""CLI commands, a synthetic region against its manifest, and crash safety (SIGKILL)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.ingest import local_pool as workers
from dosewatch.ingest.hooks import KILL_POINTS
from dosewatch.ledger.db import head_revision, make_engine, session_factory, upgrade
from dosewatch.ledger.dump import canonical_dump
from dosewatch.ledger.models import (
    AuditEvent,
    EventRow,
    Quarantine,
    QuarantineStatus,
    ReportRow,
    Study,
)
from dosewatch.settings import Settings
from dosewatch.synth.region import MANIFEST_NAME, generate_region

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
HARNESS = [sys.executable, "-m", "tests.ingest.kill_harness"]
EXTRA = (
    "openrem/ESR_non-dose.dcm",
    "openrem/CT-RDSR-Siemens-Continued-1.dcm",
    "openrem/CT-RDSR-Siemens-Continued-2.dcm",
)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic region plus a few real files (one of them not a dose object)."""
    root = tmp_path_factory.mktemp("region")
    generate_region(root / "synth", establishments=3, persons=12, seed=11)
    for name in EXTRA:
        shutil.copy(DATA / name, root / Path(name).name)
    return root


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    values = {
        "DOSEWATCH_DATA_DIR": str(settings.data_dir),
        "DOSEWATCH_DATABASE_URL": settings.effective_database_url(),
        "DOSEWATCH_PSEUDONYM_KEY": "k",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield values


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ingest_json_matches_the_region_manifest(region: Path, env: dict[str, str]) -> None:
    manifest = json.loads((region / "synth" / MANIFEST_NAME).read_text())
    first = json.loads(cli("ingest", str(region / "synth"), "--json").strip().splitlines()[-1])
    assert set(first) == {
        "files",
        "recorded",
        "duplicates",
        "superseded",
        "quarantined",
        "quarantine_reasons",
        "skipped",
        "failed",
        "elapsed_s",
        "persons",
        "studies",
        "events",
    }
    assert first["skipped"] == 1  # the region's own manifest (a .json sidecar)
    assert first["failed"] == 0 and first["quarantine_reasons"] == {}
    assert first["files"] == manifest["files"]
    assert first["recorded"] == manifest["expected_recorded_reports"]
    assert first["persons"] == manifest["expected_ledger_persons"]
    assert first["events"] == manifest["expected_unique_events"]
    assert first["quarantined"] == 0
    stats = json.loads(cli("stats", "--json"))
    assert stats["reports"] == manifest["expected_recorded_reports"]
    assert stats["studies"] == manifest["studies"]

    again = json.loads(cli("ingest", str(region), "--json").strip().splitlines()[-1])
    assert again["duplicates"] == manifest["files"]
    assert again["quarantined"] == 1
    assert again["recorded"] == 2  # the two Siemens continued-study files


def test_person_and_quarantine_commands(region: Path, env: dict[str, str]) -> None:
    assert f"revision {head_revision()}" in cli("db", "upgrade")
    cli("ingest", str(region), "--json")
    listed = [json.loads(line) for line in cli("quarantine", "list", "--json").splitlines()]
    assert [entry["reason_code"] for entry in listed] == ["input.not_dose"]
    assert Path(listed[0]["stored_path"]).is_file()
    assert "1 still quarantined" in cli("quarantine", "retry")

    engine = make_engine(env["DOSEWATCH_DATABASE_URL"])
    with session_factory(engine)() as session:
        person_id = session.scalars(select(Study.person_id).order_by(Study.id).limit(1)).one()
    engine.dispose()
    shown = json.loads(cli("person", "show", str(person_id), "--json"))
    assert shown["person"] == person_id and shown["events"]
    assert "events" in cli("person", "show", str(person_id))
    result = CliRunner().invoke(app, ["person", "show", "no-such-id"])
    assert result.exit_code == 1

    before = json.loads(cli("stats", "--json"))["persons"]
    other = person_id + 1
    cli("person", "link", str(person_id), str(other), "--reason", "same patient (checked)")
    assert json.loads(cli("stats", "--json"))["persons"] == before - 1
    linked = json.loads(cli("person", "show", str(person_id), "--json"))
    detach = next(i for i in linked["identifiers"] if i["issuer"].startswith("EST:"))
    cli(
        "person",
        "unlink",
        str(person_id),
        "--issuer",
        detach["issuer"],
        "--id",
        detach["value"],
        "--reason",
        "wrong link",
    )
    assert json.loads(cli("stats", "--json"))["persons"] == before


# --------------------------------------------------------------------------- crash safety


def ledger_dump(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return canonical_dump(session)
    finally:
        engine.dispose()


def assert_no_partial_report(engine: Engine) -> None:
    """Every stored report is whole: a current report's events are all there."""
    with session_factory(engine)() as session:
        keys = {
            (study_id, key)
            for study_id, key in session.execute(select(EventRow.study_id, EventRow.event_key))
        }
        for report in session.scalars(select(ReportRow)):
            if report.status == "current":
                missing = [k for k in report.event_keys if (report.study_id, str(k)) not in keys]
                assert not missing, f"report {report.sop_instance_uid} lacks events {missing}"
        owners = set(session.scalars(select(EventRow.report_id)))
        assert owners <= set(session.scalars(select(ReportRow.id)))


@pytest.mark.slow
def test_sigkill_at_every_point_then_rerun_equals_a_clean_run(
    region: Path, settings: Settings, new_database: Any, tmp_path: Path
) -> None:
    clean_url = new_database()
    clean = Settings(data_dir=tmp_path / "clean", database_url=clean_url, pseudonym_key="k")
    engine = make_engine(clean_url)
    upgrade(engine)
    engine.dispose()
    workers.run(clean, [region])
    expected = ledger_dump(clean_url)

    url = settings.effective_database_url()
    env = {
        **os.environ,
        "DOSEWATCH_DATA_DIR": str(settings.data_dir),
        "DOSEWATCH_DATABASE_URL": url,
        "DOSEWATCH_PSEUDONYM_KEY": "k",
    }
    cli_command = [sys.executable, "-c", "from dosewatch.cli.main import app; app()"]
    cli_command += ["ingest", str(region), "--json"]
    killed = 0
    # the quarantine point first (one bad file), then each point at the 2nd new file
    points = sorted(KILL_POINTS, key=lambda p: p != "quarantine_before_commit")
    for point in points:
        spec = f"{point}:{1 if point.startswith('quarantine') else 2}"
        run = subprocess.run(
            [*HARNESS, spec, "ingest", str(region)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == -signal.SIGKILL, (point, run.stderr[-2000:])
        killed += 1
        engine = make_engine(url)
        assert_no_partial_report(engine)
        engine.dispose()
    assert killed >= 5
    rerun = subprocess.run(cli_command, env=env, capture_output=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert ledger_dump(url) == expected


def test_quarantine_retry_records_what_now_parses(
    settings: Settings, engine: Engine, env: dict[str, str]
) -> None:
    _quarantine_unparsable_yet(settings, engine)
    assert "1 recorded, 0 still quarantined" in cli("quarantine", "retry")
    stats = json.loads(cli("stats", "--json"))
    assert (stats["reports"], stats["quarantined"]) == (1, 0)


def _quarantine_unparsable_yet(settings: Settings, engine: Engine) -> None:
    """A valid object quarantined by a parser that cannot read it yet (then 'fixed')."""
    from dosewatch.domain.errors import UnsupportedObjectError
    from dosewatch.ingest.pipeline import Ingestor
    from dosewatch.ledger.identity import SourceInfo
    from rdsr_parsers import ParseResult

    def not_yet(_data: object, **_kwargs: object) -> ParseResult:
        raise UnsupportedObjectError("reader not written yet")

    data = (DATA / "openrem" / "CT-RDSR-Siemens-Continued-1.dcm").read_bytes()
    outcome = Ingestor(settings, engine, parser=not_yet).ingest_bytes(data, SourceInfo("a.dcm"))
    assert outcome.status == "quarantined" and outcome.reason == "input.unsupported"


@pytest.mark.parametrize("point", ["after_parse", "before_commit"])
def test_sigkill_mid_retry_leaves_the_entry_open_and_a_retry_recovers_it(
    settings: Settings, engine: Engine, env: dict[str, str], point: str
) -> None:
    _quarantine_unparsable_yet(settings, engine)
    run = subprocess.run(
        [*HARNESS, point, "retry"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
    stats = json.loads(cli("stats", "--json"))
    assert (stats["reports"], stats["quarantined"]) == (0, 1)  # still listed, nothing half-done
    listed = [json.loads(line) for line in cli("quarantine", "list", "--json").splitlines()]
    assert [e["reason_code"] for e in listed] == ["input.unsupported"]
    assert "1 recorded, 0 still quarantined" in cli("quarantine", "retry")
    stats = json.loads(cli("stats", "--json"))
    assert (stats["reports"], stats["quarantined"]) == (1, 0)
    with session_factory(engine)() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions == ["quarantine.resolved"]


def test_the_migration_reopens_entries_a_crashed_retry_left_retrying(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "service_01")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO quarantine (sha256, reason_code, reason, status, attempts, "
                    "quarantined_at) VALUES ('ab', 'input.unsupported', 'r', 'retrying', 1, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        upgrade(engine)
        with session_factory(engine)() as session:
            statuses = session.scalars(select(Quarantine.status)).all()
    finally:
        engine.dispose()
    assert statuses == [QuarantineStatus.OPEN.value]
