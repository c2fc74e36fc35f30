"""A vendor summary (Siemens Radiation Summary Report) and an RDSR of the same procedure
count once, in either order; alone, the summary's totals count (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.identity import SourceInfo
from dosewatch.synth.common import Header, PatientSpec, StudySpec, UidFactory
from dosewatch.synth.projection import (
    ProjectionEventSpec,
    ProjectionReportSpec,
    projection_report_bytes,
)
from dosewatch.synth.vendor_summary import RadsumSpec, siemens_radsum_bytes

PATIENT = PatientSpec(patient_id="VS-0001", issuer="HOSP-VS")
STUDY = "2.25.4242424242"
RDSR_KAP = (3.0, 4.5)  # Gy.cm2 per event of the RDSR
RADSUM_KAP = 7.9  # the summary's own total (differs from the RDSR: a different device count)


def _rdsr() -> bytes:
    events = tuple(ProjectionEventSpec(dap_gy_cm2=kap) for kap in RDSR_KAP)
    header = Header(patient=PATIENT, study=StudySpec(study_instance_uid=STUDY))
    return projection_report_bytes(
        ProjectionReportSpec(events=events), header, uids=UidFactory(1, "vs-rdsr")
    )


def _radsum(seed: int = 2, study: str = STUDY) -> bytes:
    header = Header(patient=PATIENT, study=StudySpec(study_instance_uid=study))
    return siemens_radsum_bytes(
        RadsumSpec(dap_gy_cm2=RADSUM_KAP), header, uids=UidFactory(seed, "vs-radsum")
    )


def _cumulative(
    ingestor: Ingestor, objects: Sequence[bytes], monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    for data in objects:
        outcome = ingestor.ingest_bytes(data, SourceInfo("test"))
        assert outcome.status == "recorded", outcome
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", ingestor.settings.effective_database_url())
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(ingestor.settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    args = ["person", "show", PATIENT.patient_id, "--issuer", PATIENT.issuer]
    result = CliRunner().invoke(app, [*args, "--cumulative", "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def _kap(out: dict[str, object]) -> float:
    kap = out["kap_gy_cm2"]
    assert isinstance(kap, float), kap
    return kap


@pytest.mark.parametrize("order", ["rdsr_first", "summary_first"])
def test_summary_and_rdsr_of_one_procedure_count_once(
    order: str, make_ingestor: Callable[[], Ingestor], monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = [_rdsr(), _radsum()]
    if order == "summary_first":
        objects.reverse()
    out = _cumulative(make_ingestor(), objects, monkeypatch)
    assert out["exams"] == 1
    assert _kap(out) == pytest.approx(sum(RDSR_KAP), rel=1e-9)  # the RDSR's events, once


def test_summary_alone_counts_its_totals_once_even_resent(
    make_ingestor: Callable[[], Ingestor], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same summary re-sent under a new SOP Instance UID is the same procedure
    out = _cumulative(make_ingestor(), [_radsum(2), _radsum(3)], monkeypatch)
    assert out["exams"] == 1
    assert _kap(out) == pytest.approx(RADSUM_KAP, rel=1e-9)


def test_summary_of_another_study_is_not_absorbed_by_the_rdsr(
    make_ingestor: Callable[[], Ingestor], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _cumulative(make_ingestor(), [_rdsr(), _radsum(study="2.25.99")], monkeypatch)
    assert out["exams"] == 2
    assert _kap(out) == pytest.approx(sum(RDSR_KAP) + RADSUM_KAP, rel=1e-9)
