"""NRD against a real ledger (SQLite and PostgreSQL): mapping with audit, reference load,
evaluation, study check, CLI evaluate/report/export."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.domain.errors import InputError, ReferenceDataError
from dosewatch.domain.report import PatientFacts
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import make_engine
from dosewatch.ledger.models import AuditEvent, Study
from dosewatch.ledger.nrd_models import (
    NrdEvaluationRow,
    NrdMappingAudit,
    NrdReferenceVersion,
    NrdStudyFacts,
)
from dosewatch.nrd import admin, evaluate, mapping, study_exceeds_nrd
from dosewatch.nrd.store import record_patient_facts, refresh_indicators
from tests.ledger.builders import ct_event, prepared, report, source
from tests.nrd.builders import establishment, exam

DAY = date(2025, 3, 1)


def _region(session: Session) -> tuple[int, list[int]]:
    est, dev = establishment(session)
    ids = []
    # 30 chest PA, PDS 160..189 mGy.cm2 -> median 174.5 (between VGD 150 and NRD 200)
    for k in range(30):
        ids.append(
            exam(
                session,
                est,
                dev,
                k,
                description="RX THORAX F",
                modality="DX",
                day=DAY.replace(day=1 + k % 28),
                kap=160.0 + k,
            )
        )
    # 10 lumbar spine AP: insufficient (10 of 30)
    for k in range(10):
        exam(
            session,
            est,
            dev,
            100 + k,
            description="Rachis lombaire face",
            modality="DX",
            day=DAY,
            kap=2000.0,
        )
    # one exam nobody mapped
    exam(session, est, dev, 200, description="ECHO ABDO", modality="DX", day=DAY, kap=1.0)
    mapping.add_rules(
        session,
        "CHU-A",
        [
            mapping.RuleSpec("exact", "rx thorax f", "DX_THORAX_F", "study_description", "DX"),
            mapping.RuleSpec("keyword", "lombaire face", "DX_RACHIS_L_F"),
        ],
        actor="qm",
        reason="initial mapping",
    )
    return est, ids


def test_mapping_evaluation_and_audit(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        _, ids = _region(session)
    with Session(engine) as session:
        evaluations, _ = evaluate(session, "CHU-A", date(2025, 1, 1), date(2025, 12, 31))
        by_type = {e.exam_type: e for e in evaluations}
        assert by_type["DX_THORAX_F"].median == pytest.approx(174.5)
        assert by_type["DX_THORAX_F"].status.value == "between"
        assert by_type["DX_RACHIS_L_F"].status.value == "insufficient"
        assert (by_type["DX_RACHIS_L_F"].n, by_type["DX_RACHIS_L_F"].n_required) == (10, 30)
        assert all(e.exams and e.exams[0].pseudonym.startswith("P") for e in evaluations)
        check = study_exceeds_nrd(session, ids[-1])  # PDS 189 < NRD 200
        assert check.exam_type == "DX_THORAX_F" and check.exceeds is False
        assert check.details[0][:3] == ("PDS", 189.0, 200.0)
    with Session(engine) as session, session.begin():
        rule_ids = [r["id"] for r in mapping.rules_as_dicts(session, "CHU-A")]
        mapping.change_rules(
            session, "CHU-A", rule_ids[:1], actor="qm", reason="wrong", exam_type="DX_THORAX_P"
        )
        audits = session.scalars(select(NrdMappingAudit).order_by(NrdMappingAudit.id)).all()
        assert [a.action for a in audits] == ["add", "add", "change"]
        assert audits[-1].before is not None and audits[-1].before["exam_type"] == "DX_THORAX_F"
        assert audits[-1].after is not None and audits[-1].after["exam_type"] == "DX_THORAX_P"
        with pytest.raises(InputError, match="unknown exam type"):
            mapping.add_rules(
                session, "CHU-A", [mapping.RuleSpec("exact", "x", "NOPE")], actor="qm", reason="r"
            )
        with pytest.raises(InputError, match="regular expression"):
            mapping.add_rules(
                session,
                "CHU-A",
                [mapping.RuleSpec("pattern", "(", "DX_ASP")],
                actor="qm",
                reason="r",
            )


def test_patient_facts_recorded_in_units(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        _, ids = _region(session)
        record_patient_facts(
            session,
            ids[0],
            PatientFacts(
                age=Quantity(18.0, "mo"), weight=Quantity(11000.0, "g"), height=Quantity(80.0, "cm")
            ),
            requested_procedure="RADIO THORAX",
        )
    with Session(engine) as session:
        facts = session.get(NrdStudyFacts, ids[0])
        assert facts is not None
        assert facts.age_years == pytest.approx(1.5)
        assert facts.weight_kg == pytest.approx(11.0) and facts.height_m == pytest.approx(0.8)


def test_reference_load_validated_versioned_audited(engine: Engine) -> None:
    text = (Path(__file__).parents[2] / "dosewatch/nrd/data/nrd_france.csv").read_text("utf-8")
    with Session(engine) as session, session.begin():
        ref = admin.load_reference_csv(
            session, text, version="jorf-2019", actor="admin", reason="transcription checked"
        )
        assert len(ref.values) == 169
    with Session(engine) as session, session.begin():
        with pytest.raises(InputError, match="exists already"):
            admin.load_reference_csv(session, text, version="jorf-2019", actor="a", reason="r")
        bad = text.replace("mGy.cm2,200,150", "mGy.cm2,100,150", 1)  # VGD above NRD
        with pytest.raises(ReferenceDataError, match=r"line 2: VGD 150\.0 above NRD 100\.0"):
            admin.load_reference_csv(session, bad, version="bad", actor="a", reason="r")
        bad_unit = text.replace("mGy.cm2,200,150", "Gy.cm2,200,150", 1)
        with pytest.raises(ReferenceDataError, match=r"unit 'Gy\.cm2'"):
            admin.load_reference_csv(session, bad_unit, version="bad2", actor="a", reason="r")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(NrdReferenceVersion)) == 1
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "nrd.reference.load")
        ).one()
        assert audit.details["rows"] == 169
        assert admin.reference_version(session, "jorf-2019").sha256 == ref.sha256


def test_cli_evaluate_report_export(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session, session.begin():
        _region(session)
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(
        app, ["nrd", "evaluate", "-e", "CHU-A", "--year", "2025", "--json", "--save"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    keys = {
        "establishment",
        "device",
        "exam_type",
        "indicator",
        "n",
        "median",
        "nrd",
        "vgd",
        "status",
        "reference_version",
    }
    assert lines and all(set(line) == keys for line in lines)
    chest = next(line for line in lines if line["exam_type"] == "DX_THORAX_F")
    assert chest["median"] == pytest.approx(174.5) and chest["status"] == "between"
    assert "1 exam(s) of 2025 not mapped" in result.stderr
    with Session(engine) as session:
        saved = session.scalars(select(NrdEvaluationRow)).all()
        assert len(saved) == len(lines)
        assert all(len(row.exams) == row.n for row in saved)
    result = runner.invoke(app, ["nrd", "map", "coverage", "-e", "CHU-A", "--year", "2025"])
    assert json.loads(result.stdout.splitlines()[0])["mapped"] == 40

    out = tmp_path / "report"
    result = runner.invoke(
        app, ["nrd", "report", "-e", "CHU-A", "--year", "2025", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = (out / "nrd_CHU-A_2025.html").read_text("utf-8")
    # plotly.js embedded from the installed package: no external script
    assert "Plotly.newPlot" in page and len(page) > 1_000_000
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "NRD 200 mGy.cm2" in page
    book = load_workbook(out / "nrd_CHU-A_2025.xlsx")
    assert book["evaluations"].max_row == 1 + len(lines)
    coverage = list(book["coverage"].iter_rows(values_only=True))
    assert coverage[1][1:3] == (41, 40)  # 40 of 41 exams mapped

    export = tmp_path / "export.csv"
    result = runner.invoke(
        app, ["nrd", "export", "-e", "CHU-A", "--year", "2025", "--out", str(export)]
    )
    assert result.exit_code == 0, result.output
    rows = export.read_text("utf-8").splitlines()
    assert len(rows) == 1 + 30  # the chest series; the insufficient series is not submitted
    assert "RX THORAX" not in export.read_text("utf-8")

    result = runner.invoke(app, ["nrd", "evaluate", "-e", "NOWHERE", "--year", "2025"])
    assert result.exit_code == 2 and "unknown establishment" in result.stderr


def test_indicators_refreshed_from_ingested_events(ingestor: Ingestor, engine: Engine) -> None:
    # Two CT acquisitions of DLP 100 and 200 mGy.cm (CTDIvol = DLP / 40 cm in the builder):
    # PDL sum 300 mGy.cm, IDSV max 5 mGy, 2 acquisitions (not eligible per acquisition).
    item = prepared(report("1.1", "9.1", (ct_event("5.1", 100.0), ct_event("5.2", 200.0))))
    ingestor.record(item, source())
    with Session(engine) as session, session.begin():
        study_id = session.scalars(select(Study.id)).one()
        refresh_indicators(session, [study_id])
    with Session(engine) as session:
        facts = session.get(NrdStudyFacts, study_id)
        assert facts is not None and facts.modality == "CT"
        assert (facts.acquisitions, facts.dlp_mgy_cm, facts.ctdivol_mgy) == (2, 300.0, 5.0)


def test_ingest_records_patient_facts_and_indicators_through_the_hook(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CT-RDSR-Siemens_Flash-TAP-SS.dcm: 67 y, 87 kg, 1.86 m in its header (tests/data README)
    sample = Path(__file__).parents[1] / "data/openrem/CT-RDSR-Siemens_Flash-TAP-SS.dcm"
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    result = CliRunner().invoke(app, ["ingest", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            facts = session.scalars(select(NrdStudyFacts)).one()
            assert (facts.age_years, facts.weight_kg, facts.height_m) == pytest.approx(
                (67.0, 87.0, 1.86)
            )
            assert facts.modality == "CT" and facts.acquisitions >= 1
            assert facts.dlp_mgy_cm is not None and facts.dlp_mgy_cm > 0
            assert facts.requested_procedure == "CT Thorax abdomen and pelvis with contrast"
    finally:
        engine.dispose()


@pytest.mark.parametrize("first", ["RF-RDSR-Siemens-Zee.dcm", "RF-RDSR-Siemens-Zee_adjusted.dcm"])
def test_a_resent_version_with_the_hooks_keeps_one_facts_row(
    first: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the two files share a SOP Instance UID with different content: the ranked version wins
    # (retract and re-record); the per-study facts must follow the study, not block its removal
    names = [first, *{"RF-RDSR-Siemens-Zee.dcm", "RF-RDSR-Siemens-Zee_adjusted.dcm"} - {first}]
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    for name in names:
        sample = Path(__file__).parents[1] / "data/openrem" / name
        result = CliRunner().invoke(app, ["ingest", str(sample), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.strip().splitlines()[-1])["quarantined"] == 0
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            studies = session.scalars(select(Study.id)).all()
            facts = session.scalars(select(NrdStudyFacts.study_id)).all()
            assert len(studies) == 1 and facts == studies
    finally:
        engine.dispose()
