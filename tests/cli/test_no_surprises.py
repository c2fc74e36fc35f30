"""The CLI as a newcomer meets it: the inspect text view says what it shows, ``ingest --json``
carries every count of the text summary, and bad paths or settings give one line, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner, Result

from dosewatch.cli.inspect_text import significant
from dosewatch.cli.main import app
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
CT = DATA / "openrem" / "CT-RDSR-Siemens_Flash-TAP-SS.dcm"
RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "240")


def _one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in str(result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.20717999999999998, 3, "0.207"),
        (12.685, 3, "12.7"),
        (708.2, 3, "708"),
        (1234.5, 3, "1230"),
        (98765.4, 3, "98800"),
        (0.02148, 3, "0.0215"),
        (42.7, 2, "43"),
        (0.0, 3, "0"),
        (3.2e-7, 3, "3.20e-07"),
    ],
)
def test_significant_figures(value: float, digits: int, expected: str) -> None:
    assert significant(value, digits) == expected


def test_inspect_text_numbers_events_by_kind_and_prints_finding_messages() -> None:
    result = RUNNER.invoke(app, ["inspect", str(CT)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label in (
        "#1 CT Constant Angle Acquisition",
        "#2 CT Stationary Acquisition",
        "#4 CT Spiral Acquisition",
    ):
        assert label in out
    assert "515598" not in out  # no UID tail as an event label
    assert "unit 'mGycm' read as mGy.cm (quirk U02)" in out  # the message, not only the code
    assert "708.2 mGy·cm" in out and "724.52 mGy·cm" in out  # the object's own values


def test_inspect_text_estimates_show_quantity_organ_value_unit_uncertainty_method() -> None:
    result = RUNNER.invoke(app, ["inspect", str(CT), "--estimates"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "#4 CT Spiral Acquisition" in line]
    effective = [r for r in rows if "effective dose (ICRP103)" in r]
    assert effective, result.stdout
    # E = k x DLP = 0.0179 mSv/(mGy.cm) x 708.2 mGy.cm = 12.68 mSv, shown to 3 figures
    assert re.search(r"12\.7\s*│\s*mSv\s*│\s*±43 %", effective[0]), effective[0]
    assert "ct.effective.k_dlp" in effective[0]
    liver = [r for r in rows if "Liver" in r]
    assert liver and "mGy" in liver[0] and "±35 %" in liver[0]
    assert "estimates (models, not measurements)" in result.stdout
    assert "not estimated (#1 CT Constant Angle Acquisition): ssde:" in result.stdout


def test_ingest_json_carries_every_count_of_the_text_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DOSEWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.dcm").write_bytes(CT.read_bytes())
    (folder / "b.dcm").write_bytes(CT.read_bytes())  # the same bytes again
    (folder / "notes.md").write_text("a sidecar, not an object")
    (folder / "junk.dcm").write_bytes(b"not dicom at all")
    result = RUNNER.invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["files"] == 3
    assert summary["recorded"] == 1 and summary["duplicates"] == 1
    assert summary["quarantined"] == 1
    assert summary["quarantine_reasons"] == {"input.unreadable": 1}
    assert summary["skipped"] == 1 and summary["failed"] == 0
    assert {"superseded", "persons", "studies", "events", "elapsed_s"} <= set(summary)
    text = RUNNER.invoke(app, ["ingest", str(folder)])
    assert text.exit_code == 0, text.output
    for name in ("recorded", "duplicates", "superseded", "quarantined", "skipped", "failed"):
        assert name in text.stdout


@pytest.mark.parametrize("command", ["ingest", "inspect"])
def test_a_missing_path_or_an_empty_folder_exits_2_with_one_line(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    missing = tmp_path / "nowhere.dcm"
    _one_line_error(RUNNER.invoke(app, [command, str(missing)]), "no such file", str(missing))
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "README.md").write_text("only a sidecar")
    _one_line_error(RUNNER.invoke(app, [command, str(empty)]), "holds no", str(empty))
    assert not (tmp_path / "data").exists() or command == "inspect"  # nothing was ingested


def test_an_unreachable_database_names_the_setting_and_masks_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(
        "DOSEWATCH_DATABASE_URL",
        "postgresql+psycopg://dw:s3cret@127.0.0.1:1/none?connect_timeout=2",
    )
    for args in (
        ["stats"],
        ["conformance", "--json"],
        ["ingest", str(CT)],
        ["serve", "--port", "1"],  # refused before uvicorn starts
        ["user", "add", "someone", "--role", "admin"],
        ["user", "token", "someone"],
    ):
        line = _one_line_error(RUNNER.invoke(app, args), "DOSEWATCH_DATABASE_URL", "127.0.0.1:1")
        assert "s3cret" not in line


def test_an_unusable_data_dir_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(blocker))
    monkeypatch.delenv("DOSEWATCH_DATABASE_URL", raising=False)
    for args in (["stats"], ["person", "list"], ["ingest", str(CT)]):
        _one_line_error(RUNNER.invoke(app, args), "DOSEWATCH_DATA_DIR", str(blocker))


def test_readme_names_every_command_the_test_database_and_the_default_ledger() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "DOSEWATCH_TEST_POSTGRES_URL" in readme
    assert "var/dosewatch.sqlite3" in readme
    command: Any = typer.main.get_command(app)
    names = 0
    for name, sub in sorted(command.commands.items()):
        subs = sorted(sub.commands) if hasattr(sub, "commands") else [None]
        for subname in subs:
            # within one `dosewatch NAME ...` span (alternatives written "a\\|b")
            pattern = rf"`dosewatch {name}" + (
                rf"(?: (?:[^`|]|\\\|)*)?\b{subname}\b" if subname else r"\b"
            )
            assert re.search(pattern, readme), f"README lacks dosewatch {name} {subname or ''}"
            names += 1
    assert names >= 20
