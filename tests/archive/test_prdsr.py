"""Patient Radiation Dose SR: built from the ledger, checked, read back, stored in Orthanc.

The round trip keeps every carried estimate's value, unit, method, model, basis, uncertainty
and event; the structural validator passes it and fails broken copies; dciodvfy checks the
common modules on a copy relabelled as an X-Ray RDSR.
"""

from __future__ import annotations

import copy
import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dicomweb_client import DICOMwebClient
from pydicom import dcmread
from pydicom.dataset import Dataset
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dosewatch.archive.prdsr import build_prdsr, carried, export_prdsr, method_text, model_reference
from dosewatch.archive.prdsr_check import validate_prdsr
from dosewatch.archive.study_doses import StudyDoses, study_doses
from dosewatch.cli.main import app
from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.models import Study
from dosewatch.settings import Settings
from rdsr_parsers.tid10030_patient_dose import read_patient_radiation_dose
from tests.archive.conftest import require_tool
from tests.archive.orthanc import OrthancServer

NOW = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)
KIND = {"organ_dose": "absorbed", "peak_skin_dose": "absorbed", "effective_dose": "effective"}
SKIN = ("SCT", "39937001")


def _studies(session: Session) -> list[StudyDoses]:
    uids = session.scalars(select(Study.study_instance_uid).order_by(Study.study_instance_uid))
    return [study_doses(session, uid) for uid in uids]


def _reread(ds: Dataset) -> Dataset:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return dcmread(io.BytesIO(buffer.getvalue()))


def _expected(doses: StudyDoses) -> list[tuple[Any, ...]]:
    rows = []
    for e in doses.estimates:
        if not carried(e):
            continue
        organ = SKIN if e.quantity == "peak_skin_dose" else (e.organ[:2] if e.organ else None)
        rows.append((KIND[e.quantity], organ, e.value, e.unit, e.basis, e.uncertainty_pct,
                     method_text(e), model_reference(e), e.event_uid))  # fmt: skip
    return sorted(rows, key=repr)


def _read(ds: Dataset) -> list[tuple[Any, ...]]:
    read = read_patient_radiation_dose(ds)
    assert read.findings == ()
    return sorted(
        ((e.kind, e.organ, e.value, e.unit, e.basis, e.uncertainty_pct, e.method,
          e.model_reference, e.event_uid) for e in read.estimates),
        key=repr,
    )  # fmt: skip


def test_round_trip_keeps_every_estimate_value_unit_and_method(
    corpus_ledger: tuple[Settings, Session],
) -> None:
    _, session = corpus_ledger
    written = 0
    for doses in _studies(session):
        if not any(carried(e) for e in doses.estimates):
            continue
        ds = _reread(export_prdsr(session, doses.study_instance_uid, NOW))
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.73"
        assert validate_prdsr(ds) == []
        want, got = _expected(doses), _read(ds)
        assert len(got) == len(want)
        for mine, theirs in zip(got, want, strict=True):
            assert mine[2] == pytest.approx(theirs[2], rel=1e-9)  # the value, via Gy / Sv
            assert mine[:2] + mine[3:] == theirs[:2] + theirs[3:]
        sources = read_patient_radiation_dose(ds).sources
        assert {s.sop_instance_uid for s in sources} == {r.sop_instance_uid for r in doses.reports}
        written += 1
    assert written >= 15  # CT, NM, MG and fluoroscopy studies of the corpus


def test_studies_without_a_carried_estimate_are_refused_with_the_reason(
    corpus_ledger: tuple[Settings, Session],
) -> None:
    _, session = corpus_ledger
    refused = [d for d in _studies(session) if not any(carried(e) for e in d.estimates)]
    assert refused, "the corpus has studies without organ, skin or effective dose"
    for doses in refused:
        with pytest.raises(InvalidValueError, match="no organ, skin or effective dose"):
            build_prdsr(doses, NOW)
    with pytest.raises(InvalidValueError, match="is not in the ledger"):
        study_doses(session, "1.2.3.4")


def _ct_prdsr(session: Session) -> Dataset:
    for doses in _studies(session):
        if {e.quantity for e in doses.estimates} >= {"organ_dose", "effective_dose"}:
            return _reread(build_prdsr(doses, NOW))
    raise AssertionError("no CT study with organ and effective doses")


def _estimate_container(ds: Dataset) -> Dataset:
    found: Dataset = next(i for i in ds.ContentSequence if i.ValueType == "CONTAINER")
    return found


def test_the_validator_fails_broken_copies(corpus_ledger: tuple[Settings, Session]) -> None:
    good = _ct_prdsr(corpus_ledger[1])
    assert validate_prdsr(good) == []

    def broken(change: Any) -> list[str]:
        ds = copy.deepcopy(good)
        change(ds)
        return validate_prdsr(ds)

    def drop_methodology(ds: Dataset) -> None:
        estimate = _estimate_container(ds)
        estimate.ContentSequence = [
            i for i in estimate.ContentSequence if i.ValueType != "CONTAINER"
        ]

    def organ_dose_in_mgy(ds: Dataset) -> None:
        num = next(i for i in _estimate_container(ds).ContentSequence if i.ValueType == "NUM"
                   and i.ConceptNameCodeSequence[0].CodeValue == "128533")  # fmt: skip
        num.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "mGy"

    def legacy_site(ds: Dataset) -> None:
        num = next(i for i in _estimate_container(ds).ContentSequence if i.ValueType == "NUM"
                   and i.ConceptNameCodeSequence[0].CodeValue == "128533")  # fmt: skip
        site = num.ContentSequence[0].ConceptCodeSequence[0]
        site.CodingSchemeDesignator, site.CodeValue = "SRT", "T-28000"

    def two_languages(ds: Dataset) -> None:
        ds.ContentSequence.append(copy.deepcopy(ds.ContentSequence[0]))

    def no_patient_sex(ds: Dataset) -> None:
        del ds.PatientSex

    def wrong_template(ds: Dataset) -> None:
        ds.ContentTemplateSequence[0].TemplateIdentifier = "10001"

    assert any("mandatory CONTAINER ('DCM', '128415') missing" in p
               for p in broken(drop_methodology))  # fmt: skip
    assert any("CID 10071 requires Gy" in p for p in broken(organ_dose_in_mgy))
    assert any("deprecated code (T-28000, SRT)" in p for p in broken(legacy_site))
    assert any("('DCM', '121049') present 2 times" in p for p in broken(two_languages))
    assert any("Type 2 attribute PatientSex missing" in p for p in broken(no_patient_sex))
    assert any("not TID 10030" in p for p in broken(wrong_template))


def test_dciodvfy_checks_the_common_modules_on_a_copy_relabelled_as_xray_rdsr(
    corpus_ledger: tuple[Settings, Session], tmp_path: Path
) -> None:
    ds = _ct_prdsr(corpus_ledger[1])
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.67"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    path = tmp_path / "relabelled.dcm"
    ds.save_as(path, enforce_file_format=True)
    done = subprocess.run([require_tool("dciodvfy"), "-new", str(path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    output = done.stdout + done.stderr
    assert "XRayRadiationDoseSR" in output  # the IOD it checked against
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    assert errors == [], errors
    # the evidence lists every source object the tree references, by series
    evidence = ds.CurrentRequestedProcedureEvidenceSequence[0]
    listed = {
        (ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID)
        for series in evidence.ReferencedSeriesSequence
        for ref in series.ReferencedSOPSequence
    }
    assert evidence.StudyInstanceUID == ds.StudyInstanceUID
    assert listed and all(series.SeriesInstanceUID for series in evidence.ReferencedSeriesSequence)


def test_export_cli_writes_and_stores_it_in_orthanc_and_it_reads_back(
    corpus_ledger: tuple[Settings, Session],
    orthanc: OrthancServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, session = corpus_ledger
    study = next(d for d in _studies(session) if any(carried(e) for e in d.estimates))
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", settings.effective_database_url())
    monkeypatch.setenv("DOSEWATCH_PULL_ATTEMPTS", "1")
    out = tmp_path / "prdsr.dcm"
    result = CliRunner().invoke(app, ["export", "prdsr", study.study_instance_uid,
                                      "--out", str(out), "--stow", orthanc.dicomweb])  # fmt: skip
    assert result.exit_code == 0, result.output
    written = dcmread(out)
    assert orthanc.instance_count() == 1
    stored = DICOMwebClient(orthanc.dicomweb).retrieve_instance(
        written.StudyInstanceUID, written.SeriesInstanceUID, written.SOPInstanceUID
    )
    assert validate_prdsr(stored) == []
    assert _read(stored) == _read(written) == _read(_reread(build_prdsr(study, NOW)))

    unknown = CliRunner().invoke(app, ["export", "prdsr", "1.2.3.4", "--out", str(out)])
    assert unknown.exit_code == 2 and "is not in the ledger" in unknown.stderr
    nowhere = CliRunner().invoke(app, ["export", "prdsr", study.study_instance_uid])
    assert nowhere.exit_code == 2 and "--out FILE and/or --stow URL" in nowhere.stderr
