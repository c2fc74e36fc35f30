"""CSV / XLSX tables of a study's or a person's doses (dosewatch/reports/dose_tables.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dosewatch.archive.study_doses import study_doses
from dosewatch.cli.main import app
from dosewatch.ledger.models import Study
from dosewatch.reports.dose_tables import HEADER, study_rows
from dosewatch.settings import Settings


@pytest.fixture
def cli_env(corpus_ledger: tuple[Settings, Session], monkeypatch: pytest.MonkeyPatch) -> Session:
    settings, session = corpus_ledger
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", settings.effective_database_url())
    return session


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_indicator_and_estimate_is_a_row_with_its_unit_and_method(
    corpus_ledger: tuple[Settings, Session],
) -> None:
    session = corpus_ledger[1]
    kinds: set[str] = set()
    for uid in session.scalars(select(Study.study_instance_uid)):
        doses = study_doses(session, uid)
        rows = [dict(zip(HEADER, row, strict=True)) for row in study_rows(doses)]
        estimates = [r for r in rows if r["kind"] != "device indicator"]
        assert len(estimates) == len(doses.estimates)
        for row, estimate in zip(estimates, doses.estimates, strict=True):
            assert (row["value"], row["unit"], row["method"], row["basis"]) == (
                estimate.value,
                estimate.unit,
                estimate.method,
                estimate.basis or "",
            )
            assert row["kind"] == ("reported by the device" if estimate.origin == "reported"
                                   else "estimate")  # fmt: skip
        indicators = [r for r in rows if r["kind"] == "device indicator"]
        for report in doses.reports:
            if report.dlp_total_mgy_cm is not None:
                assert {"quantity": "DLP total", "value": report.dlp_total_mgy_cm,
                        "unit": "mGy.cm"}.items() <= next(
                    r for r in indicators if r["source_sop_instance_uid"] == report.sop_instance_uid
                    and r["quantity"] == "DLP total").items()  # fmt: skip
        kinds.update(str(r["kind"]) for r in rows)
    assert kinds == {"device indicator", "estimate", "reported by the device"}


def test_study_csv_and_xlsx_hold_the_same_rows(cli_env: Session, tmp_path: Path) -> None:
    uid = next(
        u for u in cli_env.scalars(select(Study.study_instance_uid))
        if study_doses(cli_env, u).estimates
    )  # fmt: skip
    for name in ("study.csv", "study.xlsx"):
        result = CliRunner().invoke(app, ["export", "table", "--study", uid, "--out",
                                          str(tmp_path / name)])  # fmt: skip
        assert result.exit_code == 0, result.output
    from_csv = _read_csv(tmp_path / "study.csv")
    sheet = load_workbook(tmp_path / "study.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(HEADER)
    assert len(values) - 1 == len(from_csv) > 0
    for csv_row, xlsx_row in zip(from_csv, values[1:], strict=True):
        assert float(csv_row["value"]) == xlsx_row[HEADER.index("value")]
        assert csv_row["method"] == (xlsx_row[HEADER.index("method")] or "")


def test_person_table_spans_their_studies_and_bad_options_are_refused(
    cli_env: Session, tmp_path: Path
) -> None:
    person_id = cli_env.scalars(select(Study.person_id).group_by(Study.person_id)).first()
    assert person_id is not None
    out = tmp_path / "person.csv"
    result = CliRunner().invoke(app, ["export", "table", "--person", str(person_id),
                                      "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    studies = set(cli_env.scalars(select(Study.study_instance_uid)
                                  .where(Study.person_id == person_id)))  # fmt: skip
    assert {row["study_instance_uid"] for row in _read_csv(out)} <= studies
    for args, message in (
        (["--person", "1", "--study", "1.2", "--out", str(out)], "exactly one of"),
        (["--out", str(out)], "exactly one of"),
        (["--person", "no-such-person", "--out", str(out)], "no such person"),
        (["--person", str(person_id), "--out", str(tmp_path / "x.txt")], "expected a .csv"),
    ):
        refused = CliRunner().invoke(app, ["export", "table", *args])
        assert refused.exit_code == 2 and message in refused.stderr, refused.output


def test_text_that_a_spreadsheet_would_run_is_kept_as_text() -> None:
    from dosewatch.reports.dose_tables import _safe

    assert _safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _safe("@SUM(A1)") == "'@SUM(A1)"
    assert _safe("E = k x DLP") == "E = k x DLP"
    assert _safe(-1.5) == -1.5
