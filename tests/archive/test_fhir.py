"""FHIR R4 Radiation Dose Summary bundles of the corpus studies, checked against the IG.

Every study gets a bundle that passes R4 structure and the IG profile checks, or is refused
with the reason; the checks fail broken copies; totals and estimates keep their values.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dosewatch.archive import fhir
from dosewatch.archive.fhir_check import bundle_problems
from dosewatch.archive.study_doses import StudyDoses, study_doses
from dosewatch.cli.main import app
from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.models import Study
from dosewatch.settings import Settings

NOW = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def _studies(session: Session) -> list[StudyDoses]:
    uids = session.scalars(select(Study.study_instance_uid).order_by(Study.study_instance_uid))
    return [study_doses(session, uid) for uid in uids]


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_study_conforms_or_is_refused_with_the_reason(
    corpus_ledger: tuple[Settings, Session],
) -> None:
    built = refused = devices = 0
    for doses in _studies(corpus_ledger[1]):
        try:
            bundle = fhir.study_bundle(doses, NOW)
        except InvalidValueError as exc:
            assert "no irradiation date (effective[x] is 1..1)" in str(exc)
            refused += 1
            continue
        assert bundle_problems(bundle) == []
        observations = _resources(bundle, "Observation")
        assert len(observations) == len(doses.reports)
        for report, obs in zip(doses.reports, observations, strict=True):
            assert obs["identifier"][0]["value"] == f"urn:oid:{report.sop_instance_uid}"
            dlp = [c for c in obs["component"] if c["code"]["coding"][0]["code"] == "113813"]
            if report.dlp_total_mgy_cm is None:
                assert dlp == []
            else:
                assert dlp[0]["valueQuantity"]["value"] == pytest.approx(report.dlp_total_mgy_cm)
            for estimate in doses.estimates:
                if estimate.source_sop_instance_uid == report.sop_instance_uid:
                    assert f"{estimate.value:.3g} {estimate.unit}" in obs["valueString"]
            assert "≈" not in obs["valueString"]  # no sums without a combined uncertainty
        devices += len(_resources(bundle, "Device"))
        built += 1
    assert built >= 25 and refused == 1  # DX-Im-Date-Missing has no date at all
    assert devices >= 5  # the CT reports received "by the listener" from MODALITY1


def _ct_bundle(session: Session) -> dict[str, Any]:
    for doses in _studies(session):
        if any(r.calling_ae and r.dlp_total_mgy_cm for r in doses.reports):
            return fhir.study_bundle(doses, NOW)
    raise AssertionError("no CT study received from a calling AE")


def test_the_profile_checks_fail_broken_copies(corpus_ledger: tuple[Settings, Session]) -> None:
    good = _ct_bundle(corpus_ledger[1])
    assert bundle_problems(good) == []
    device = _resources(good, "Device")[0]
    assert device["identifier"][0]["value"] == "MODALITY1"
    assert device["type"]["coding"][0]["code"] == "CT"

    def broken(change: Any) -> list[str]:
        bundle = copy.deepcopy(good)
        change(_resources(bundle, "Observation")[0], _resources(bundle, "Device")[0])
        return bundle_problems(bundle)

    def two_performers(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        obs["performer"] = obs["performer"] * 2

    def other_code(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        obs["code"]["coding"][0]["code"] = "11502-2"

    def quantity_value(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        del obs["valueString"]
        obs["valueQuantity"] = {"value": 1.0, "unit": "mSv"}

    def unit_without_ucum(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        next(c for c in obs["component"] if "valueQuantity" in c)["valueQuantity"].pop("system")

    def unknown_component(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        obs["component"][0]["code"]["coding"][0]["code"] = "999999"

    def no_ae_title(_obs: dict[str, Any], dev: dict[str, Any]) -> None:
        dev["identifier"] = []

    def time_without_offset(obs: dict[str, Any], _dev: dict[str, Any]) -> None:
        obs["effectiveDateTime"] = "2024-03-01T10:02:11"

    assert any("performer must be 1..1" in p for p in broken(two_performers))
    assert any("not LOINC 73569-6" in p for p in broken(other_code))
    assert any("value[x] must be a string" in p for p in broken(quantity_value))
    assert any("without its UCUM code" in p for p in broken(unit_without_ucum))
    assert any("999999 not in the value set" in p for p in broken(unknown_component))
    assert any("identifier:aeTitle must be 1..1" in p for p in broken(no_ae_title))
    assert any("FHIR structure" in p and "effectiveDateTime" in p
               for p in broken(time_without_offset))  # fmt: skip


def test_export_fhir_cli(
    corpus_ledger: tuple[Settings, Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, session = corpus_ledger
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", settings.effective_database_url())
    uid = _resources(_ct_bundle(session), "ImagingStudy")[0]["identifier"][0]["value"]
    uid = uid.removeprefix("urn:oid:")
    out = tmp_path / "bundle.json"
    result = CliRunner().invoke(app, ["export", "fhir", uid, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert bundle_problems(json.loads(out.read_text(encoding="utf-8"))) == []
    printed = CliRunner().invoke(app, ["export", "fhir", uid])
    assert json.loads(printed.stdout)["type"] == "transaction"
    unknown = CliRunner().invoke(app, ["export", "fhir", "1.2.3.4"])
    assert unknown.exit_code == 2 and "is not in the ledger" in unknown.stderr
