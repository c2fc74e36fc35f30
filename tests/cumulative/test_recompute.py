"""``dosewatch recompute``: a reference-table version change updates the cumulative values and
the alerts, keeps the old estimates (replaced, with their versions), and a run killed with
SIGKILL resumes to the same result as an uninterrupted run (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from dosewatch import synth
from dosewatch.cumulative import alerts
from dosewatch.cumulative.summary import cumulative
from dosewatch.cumulative.window import parse_window
from dosewatch.ingest import recompute
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.estimates import Selection
from dosewatch.ledger.models import EstimateRow, Person, ReportRow
from dosewatch.ledger.recompute_models import RecomputeRun
from organ_models import tables
from tests.cumulative import scenario

ROOT = Path(__file__).parents[2]

K_CHEST = scenario.K_CHEST_120KV  # 0.021 mSv/(mGy.cm), Lee 2012 adult chest 120 kV
DLP = 2200.0  # mGy.cm per exam: E = 0.021 x 2200 = 46.2 mSv, two exams 92.4 mSv (< 100)
REVISED = 1.25  # the revised release: every k x 1.25 -> 57.75 mSv per exam, 115.5 (>= 100)
E_MODEL = "ct.effective.k_dlp"
WHEN = (datetime(2025, 3, 3, 9), datetime(2025, 5, 5, 9))


def _exam(name: str, when: datetime) -> bytes:
    header = synth.Header(
        patient=synth.PatientSpec(patient_id="R-1", issuer="HOSP-R"),
        device=synth.DeviceSpec(institution_name="Hopital R", serial_number="SN-R"),
        study=synth.StudySpec(
            study_datetime=when,
            study_instance_uid=scenario.uid(name),
            sop_instance_uid=scenario.uid(name + ".R"),
        ),
    )
    spec = synth.CtReportSpec(
        events=(synth.CtEventSpec(dlp_mgy_cm=DLP, irradiation_event_uid=scenario.uid(name + ".e")),)
    )
    return synth.ct_report_bytes(spec, header)


def _ingest(ingestor: Ingestor, folder: Path, count: int = 2) -> Ingestor:
    """``count`` chest CTs of one person, written to ``folder`` and ingested from there."""
    folder.mkdir(parents=True, exist_ok=True)
    alerting = Ingestor(ingestor.settings, ingestor.engine, on_recorded=alerts.on_recorded)
    for i in range(count):
        when = WHEN[i] if i < len(WHEN) else datetime(2024, 1, 1 + i, 9)
        path = folder / f"ct{i}.dcm"
        path.write_bytes(_exam(f"rc{i}", when))
        assert alerting.ingest_path(path).status == "recorded"
    return alerting


@pytest.fixture
def revised_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """Switch the packaged ``ct_k_factors`` to a revised release (every k x 1.25) and back."""
    original = tables.parse_table

    def revised(name: str, content: bytes) -> tables.ReferenceTable:
        if name != "ct_k_factors":
            return original(name, content)
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            if row["k_mSv_per_mGy_cm"]:
                row["k_mSv_per_mGy_cm"] = f"{float(row['k_mSv_per_mGy_cm']) * REVISED:.6g}"
            writer.writerow(row)
        return original(name, out.getvalue().encode("utf-8"))

    def use(revision: bool) -> None:
        monkeypatch.setattr(tables, "parse_table", revised if revision else original)
        tables.load_table.cache_clear()

    yield use
    monkeypatch.setattr(tables, "parse_table", original)
    tables.load_table.cache_clear()


def _person(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalars(select(Person.id)).one()


def _effective(engine: Engine) -> float | None:
    window = parse_window("all", date(2025, 12, 31))
    with session_factory(engine)() as session:
        return cumulative(session, _person(engine), window).effective.value


def _run(ingestor: Ingestor, scope: recompute.Scope | None = None) -> recompute.RunSummary:
    return recompute.run(
        session_factory(ingestor.engine),
        ingestor.settings,
        scope or recompute.Scope(),
        actor="test",
        on_changed=alerts.on_recorded,
    )


def _cumulative_alerts(engine: Engine) -> list[tuple[str, bool]]:
    with session_factory(engine)() as session:
        return [
            (a.rule_id, a.active)
            for a in session.scalars(
                select(AlertRow).where(AlertRow.rule_id == "cumulative_effective_dose")
            )
        ]


def test_a_table_version_change_updates_cumulative_values_and_keeps_old_ones(
    ingestor: Ingestor, tmp_path: Path, revised_tables: Callable[[bool], None]
) -> None:
    ledger = _ingest(ingestor, tmp_path / "in")
    assert _effective(ledger.engine) == pytest.approx(2 * K_CHEST * DLP)  # 92.4 mSv
    assert _cumulative_alerts(ledger.engine) == []
    with session_factory(ledger.engine)() as session:
        before = {
            (row.slot_key, row.model_id): (row.value, row.table_version)
            for row in session.scalars(select(EstimateRow).where(EstimateRow.current))
        }
    assert sum(1 for _, model in before if model == E_MODEL) == 2

    revised_tables(True)
    summary = _run(ledger)
    assert (summary.reports_done, summary.reports_changed) == (2, 2)
    assert (summary.estimates_replaced, summary.estimates_added) == (2, 2)  # the two E only
    assert summary.finished and not summary.unavailable
    # 2 x 0.021 x 1.25 x 2200 = 115.5 mSv: the 5-year alert (100 mSv) is raised at the 2nd CT
    assert _effective(ledger.engine) == pytest.approx(2 * K_CHEST * REVISED * DLP)
    assert _cumulative_alerts(ledger.engine) == [("cumulative_effective_dose", True)]
    with session_factory(ledger.engine)() as session:
        rows = session.scalars(select(EstimateRow).where(EstimateRow.model_id == E_MODEL)).all()
        old = [r for r in rows if r.selection == Selection.REPLACED.value]
        new = [r for r in rows if r.current]
        assert len(old) == len(new) == 2
        for row in old:  # retrievable with the versions they were computed with
            value, table_version = before[(row.slot_key, row.model_id)]
            assert (row.value, row.table_version, row.current) == (value, table_version, False)
            assert "replaced by recompute run" in row.selection_reason
        for row in new:
            assert row.value == pytest.approx(K_CHEST * REVISED * DLP)
            assert row.table_version != before[(row.slot_key, row.model_id)][1]
            assert "ct_k_factors@" in row.table_version
        # the organ doses use another table: untouched, still counted
        others = {
            (r.slot_key, r.model_id): (r.value, r.table_version)
            for r in session.scalars(
                select(EstimateRow).where(EstimateRow.current, EstimateRow.model_id != E_MODEL)
            )
        }
        assert others == {k: v for k, v in before.items() if k[1] != E_MODEL}

    again = _run(ledger)  # nothing changed since: a no-op, no duplicate alert
    assert (again.reports_changed, again.estimates_added, again.estimates_replaced) == (0, 0, 0)
    assert _cumulative_alerts(ledger.engine) == [("cumulative_effective_dose", True)]

    revised_tables(False)  # back to the packaged release: the alert is withdrawn, not deleted
    back = _run(ledger)
    assert back.estimates_replaced == 2
    assert _effective(ledger.engine) == pytest.approx(2 * K_CHEST * DLP)
    assert _cumulative_alerts(ledger.engine) == [("cumulative_effective_dose", False)]
    with session_factory(ledger.engine)() as session:
        replaced = session.scalars(
            select(EstimateRow.id).where(EstimateRow.selection == Selection.REPLACED.value)
        ).all()
    assert len(replaced) == 4


def test_scope_by_model_and_date(
    ingestor: Ingestor, tmp_path: Path, revised_tables: Callable[[bool], None]
) -> None:
    ledger = _ingest(ingestor, tmp_path / "in")
    revised_tables(True)
    other = _run(ledger, recompute.Scope(model_id="ct.organ.korg_h"))
    assert (other.reports_done, other.reports_changed) == (2, 0)  # k_dlp not recomputed
    later = _run(ledger, recompute.Scope(model_id=E_MODEL, since=date(2025, 4, 1)))
    assert (later.reports_in_scope, later.reports_changed) == (1, 1)  # only the May exam
    assert _effective(ledger.engine) == pytest.approx(K_CHEST * DLP * (1 + REVISED))


def test_an_object_that_cannot_be_read_again_is_left_as_it_is(
    ingestor: Ingestor, tmp_path: Path, revised_tables: Callable[[bool], None]
) -> None:
    ledger = _ingest(ingestor, tmp_path / "in")
    (tmp_path / "in" / "ct0.dcm").write_bytes(b"changed")  # not the object recorded
    (tmp_path / "in" / "ct1.dcm").unlink()
    revised_tables(True)
    summary = _run(ledger)
    assert summary.reports_changed == 0
    assert sorted(reason for _, reason in summary.unavailable) == [
        "the ledger keeps no copy of the object and its recorded source is not a file",
        "the source file changed since ingest (SHA-256 differs)",
    ]
    assert _effective(ledger.engine) == pytest.approx(2 * K_CHEST * DLP)


def _state(
    engine: Engine,
) -> tuple[list[tuple[str, str, str, float, str, bool, str]], list[tuple[str, bool, float]]]:
    with session_factory(engine)() as session:
        estimates = sorted(
            (
                sop,
                r.slot_key,
                r.model_id,
                round(r.value, 9),
                r.table_version,
                r.current,
                r.selection,
            )
            for r, sop in session.execute(
                select(EstimateRow, ReportRow.sop_instance_uid).join(
                    ReportRow, ReportRow.id == EstimateRow.report_id
                )
            )
        )
        raised = sorted(
            (a.alert_key, a.active, round(a.value, 9)) for a in session.scalars(select(AlertRow))
        )
    return estimates, raised


def _make_stale(engine: Engine) -> None:
    """Estimates as an older table release left them (half the k, another version)."""
    with session_factory(engine)() as session, session.begin():
        session.execute(
            update(EstimateRow)
            .where(EstimateRow.model_id == E_MODEL)
            .values(value=EstimateRow.value * 0.5, table_version="ct_k_factors@2025.01.01+old")
        )


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_result_of_an_uninterrupted_run(
    make_ingestor: Callable[[], Ingestor], tmp_path: Path
) -> None:
    reports = 6
    clean = _ingest(make_ingestor(), tmp_path / "clean", reports)
    killed = _ingest(make_ingestor(), tmp_path / "killed", reports)
    for ledger in (clean, killed):
        _make_stale(ledger.engine)
    _run(clean)
    expected = _state(clean.engine)
    assert expected != _state(killed.engine)

    env = {
        **os.environ,
        "DOSEWATCH_DATA_DIR": str(killed.settings.data_dir),
        "DOSEWATCH_DATABASE_URL": killed.settings.effective_database_url(),
        "DOSEWATCH_PSEUDONYM_KEY": "k",
    }
    command = [sys.executable, "-c", "from dosewatch.cli.main import app; app()"]
    command += ["recompute", "--json"]
    harness = [sys.executable, "-m", "tests.ingest.kill_harness", "recompute_after_report:3"]
    first = subprocess.run(
        [*harness, "recompute"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    with session_factory(killed.engine)() as session:
        run = session.scalars(select(RecomputeRun)).one()
        assert (run.reports_done, run.finished_at) == (3, None)
    resumed = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    out = json.loads(resumed.stdout)
    assert (out["resumed"], out["reports_done"], out["finished"]) == (True, reports, True)
    assert out["estimates_replaced"] == out["estimates_added"] == reports
    assert _state(killed.engine) == expected
