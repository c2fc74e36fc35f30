"""The task function under at-least-once delivery: redelivery, poison objects, references;
enumeration of a folder; the explicit pseudonym key of distributed runs."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.domain.errors import ConfigurationError, InvalidValueError
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.sources import enumerate_source, path_of
from dosewatch.ingest.task import ingest_item
from dosewatch.ledger import backfill
from dosewatch.ledger.backfill_models import BackfillItem, ItemState
from dosewatch.ledger.db import transaction
from dosewatch.ledger.models import Quarantine, ReportRow
from dosewatch.settings import Settings
from rdsr_parsers import ParseResult

DATA = Path(__file__).parents[1] / "data"
CT = DATA / "openrem" / "CT-RDSR-Siemens-Continued-1.dcm"
MAX = 3


def new_item(ingestor: Ingestor, ref: str) -> int:
    with transaction(ingestor.sessions) as session:
        run = backfill.open_run(session, f"test:{ref}", None, None, None)
        backfill.add_items(session, run.id, [ref])
        (item_id,) = backfill.pending(session, run.id, 10)
    return item_id


def item(ingestor: Ingestor, item_id: int) -> BackfillItem:
    with ingestor.readers() as session:
        found = session.get(BackfillItem, item_id)
        assert found is not None
        return found


def lost_deliveries(ingestor: Ingestor, item_id: int, n: int) -> None:
    """What n workers killed mid-task leave behind: counted starts, nothing else."""
    for _ in range(n):
        with transaction(ingestor.sessions) as session:
            backfill.start_attempt(session, item_id)


def test_a_second_delivery_of_a_finished_task_answers_the_same_outcome(
    ingestor: Ingestor,
) -> None:
    item_id = new_item(ingestor, str(CT))
    first = ingest_item(ingestor, item_id, MAX)
    assert first.status == "recorded"
    again = ingest_item(ingestor, item_id, MAX)
    assert again == type(first)("recorded", first.sop_instance_uid)
    row = item(ingestor, item_id)
    assert (row.state, row.attempts, row.outcome) == (ItemState.DONE.value, 1, "recorded")


def test_a_task_lost_mid_run_is_done_once_when_delivered_again(ingestor: Ingestor) -> None:
    item_id = new_item(ingestor, str(CT))
    lost_deliveries(ingestor, item_id, MAX - 1)
    assert ingest_item(ingestor, item_id, MAX).status == "recorded"
    with ingestor.readers() as session:
        assert len(session.scalars(select(ReportRow)).all()) == 1
    assert item(ingestor, item_id).attempts == MAX


def test_a_poison_object_is_quarantined_after_the_allowed_attempts(ingestor: Ingestor) -> None:
    item_id = new_item(ingestor, str(CT))
    lost_deliveries(ingestor, item_id, MAX)  # its workers died every time
    outcome = ingest_item(ingestor, item_id, MAX)
    assert (outcome.status, outcome.reason) == ("quarantined", "ingest.abandoned")
    with ingestor.readers() as session:
        entry = session.scalars(select(Quarantine)).one()
        assert session.scalar(select(ReportRow.id)) is None
    assert "delivered 3 times" in entry.reason
    assert entry.stored_path and Path(entry.stored_path).read_bytes() == CT.read_bytes()
    row = item(ingestor, item_id)
    assert (row.state, row.outcome, row.reason) == ("done", "quarantined", "ingest.abandoned")


def test_a_task_failing_every_time_is_retried_then_quarantined(ingestor: Ingestor) -> None:
    def crashes(_data: object, **_kwargs: object) -> ParseResult:
        raise RuntimeError("a reader bug")

    failing = Ingestor(ingestor.settings, ingestor.engine, parser=crashes)
    item_id = new_item(failing, str(CT))
    for _ in range(MAX - 1):
        with pytest.raises(RuntimeError, match="a reader bug"):
            ingest_item(failing, item_id, MAX)  # the task engine retries it
        assert item(failing, item_id).state == ItemState.PENDING.value
    outcome = ingest_item(failing, item_id, MAX)
    assert (outcome.status, outcome.reason) == ("quarantined", "ingest.abandoned")
    assert item(failing, item_id).state == ItemState.DONE.value


def test_a_reference_that_is_not_a_file_is_refused_with_the_reason() -> None:
    assert path_of("file:///a/b%20c.dcm") == Path("/a/b c.dcm")
    assert path_of("/a/b.dcm") == Path("/a/b.dcm")
    for ref in ("http://pacs/studies/1", "relative/path.dcm"):
        with pytest.raises(Exception, match="unsupported object reference"):
            path_of(ref)


def test_a_folder_is_enumerated_sorted_without_sidecars_within_the_window(
    tmp_path: Path,
) -> None:
    days = {"b/old.dcm": date(2019, 5, 1), "a/mid.dcm": date(2021, 6, 1), "c.dcm": date(2024, 1, 2)}
    for name, day in days.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        stamp = datetime(day.year, day.month, day.day, 12).timestamp()
        os.utime(path, (stamp, stamp))
    (tmp_path / "MANIFEST.json").write_text("{}")
    every = list(enumerate_source(str(tmp_path)))
    # sorted per folder, a folder's files before its subfolders (os.walk order)
    assert every == [str(tmp_path / n) for n in ("c.dcm", "a/mid.dcm", "b/old.dcm")]
    window = list(enumerate_source(str(tmp_path), date(2020, 1, 1), date(2023, 12, 31)))
    assert window == [str(tmp_path / "a/mid.dcm")]
    with pytest.raises(ConfigurationError, match="no enumeration for scheme 'ftp'"):
        enumerate_source("ftp://pacs.example/export")  # refused at once, not when iterated
    with pytest.raises(ConfigurationError, match="is not a folder"):
        list(enumerate_source(str(tmp_path / "c.dcm")))


def test_a_backfill_from_an_unknown_scheme_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    monkeypatch.setenv("DOSEWATCH_BROKER_URL", "redis://127.0.0.1:6379/9")  # never reached
    result = CliRunner().invoke(app, ["backfill", "--from", "ftp://pacs.example/export"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "error: backfill source ftp://pacs.example/export: no enumeration for scheme 'ftp' "
        "(a folder, file:// or a DICOMweb http(s) root)"
    ]
    status = CliRunner().invoke(app, ["backfill", "status", "--json"])
    assert status.exit_code == 0 and status.output == ""  # no run was opened for it


def test_an_item_of_an_unknown_scheme_is_retried_then_quarantined(ingestor: Ingestor) -> None:
    item_id = new_item(ingestor, "gopher://pacs/obj/1")
    with pytest.raises(InvalidValueError, match="no reader for scheme 'gopher'"):
        ingest_item(ingestor, item_id, 2)  # the task engine delivers it again
    outcome = ingest_item(ingestor, item_id, 2)
    assert (outcome.status, outcome.reason) == ("quarantined", "ingest.abandoned")
    with ingestor.readers() as session:
        entry = session.scalars(select(Quarantine)).one()
    assert entry.stored_path is None  # nothing could be read


def test_distributed_runs_refuse_a_per_directory_pseudonym_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="DOSEWATCH_PSEUDONYM_KEY is not set"):
        Settings(data_dir=tmp_path, pseudonym_key=None).require_explicit_pseudonym_key()
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DOSEWATCH_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("DOSEWATCH_BROKER_URL", "redis://127.0.0.1:6379/9")
    for args in (["worker"], ["backfill", "--from", str(tmp_path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "DOSEWATCH_PSEUDONYM_KEY is not set" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "pseudonym.key").exists()  # no key was created on the way
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    monkeypatch.delenv("DOSEWATCH_BROKER_URL")
    result = CliRunner().invoke(app, ["backfill", "--from", str(tmp_path)])
    assert result.exit_code == 2 and "DOSEWATCH_BROKER_URL is not set" in result.output
