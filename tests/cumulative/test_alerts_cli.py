"""``dosewatch ingest`` raises alerts (the CLI injects the hook); ``alerts list|ack|close``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosewatch.cli.main import app
from tests.cumulative import scenario


def test_ingest_raises_alerts_and_the_inbox_moves_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    monkeypatch.delenv("DOSEWATCH_DATABASE_URL", raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in scenario.carol_files().items():
        (folder / name).write_bytes(data)
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(folder)])
    assert ingest.exit_code == 0, ingest.output
    listed = runner.invoke(app, ["alerts", "list"])
    assert listed.exit_code == 0, listed.output
    assert "5 alerts" in listed.stdout and "srdl" in listed.stdout
    assert "D-1" not in listed.stdout  # persons by pseudonym only
    ack = runner.invoke(app, ["alerts", "ack", "1", "--comment", "seen"])
    assert ack.exit_code == 0, ack.output
    close = runner.invoke(app, ["alerts", "close", "1", "--comment", "done"])
    assert close.exit_code == 0, close.output
    again = runner.invoke(app, ["alerts", "ack", "1", "--comment", "late"])
    assert again.exit_code == 2 and "Traceback" not in again.output
    closed = runner.invoke(app, ["alerts", "list", "--state", "closed"])
    assert "1 alerts" in closed.stdout
    bad = runner.invoke(app, ["alerts", "list", "--state", "nope"])
    assert bad.exit_code == 2
