"""``dosewatch synth`` command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dosewatch.cli.main import app

runner = CliRunner()


def test_synth_writes_region_and_prints_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["synth", str(tmp_path / "r"), "--establishments", "2", "--persons", "5", "--seed", "4"],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "r" / "region.json").read_text(encoding="utf-8"))
    assert f"{manifest['files']} files" in result.output
    assert len(list((tmp_path / "r").rglob("*.dcm"))) == manifest["files"]


def test_synth_json_output(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", str(tmp_path / "r"), "-s", "1", "-p", "3", "-n", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["persons"] == 3
    assert summary["establishments"] == 1
    assert summary["files"] == len(list((tmp_path / "r").rglob("*.dcm")))
