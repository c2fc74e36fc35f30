"""``dosewatch inspect``: the JSON-lines contract, masking, estimates, directory summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from dosewatch.cli.main import app

RUNNER = CliRunner()
KEYS = {
    "file",
    "status",
    "reason",
    "sop_class_uid",
    "sop_instance_uid",
    "study_instance_uid",
    "modality",
    "manufacturer",
    "model",
    "event_count",
    "totals",
    "events",
    "findings",
}
TOTAL_KEYS = {
    "dlp_mgy_cm",
    "kap_gy_cm2",
    "ka_r_gy",
    "agd_left_mgy",
    "agd_right_mgy",
    "activity_mbq",
}
EVENT_KEYS = {
    "uid",
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "kap_gy_cm2",
    "ka_r_gy",
    "agd_mgy",
    "activity_mbq",
}


def _lines(*args: str) -> list[dict[str, Any]]:
    result = RUNNER.invoke(app, ["inspect", "--json", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_one_json_object_per_file_with_the_contract_keys(data_dir: Path) -> None:
    lines = _lines(str(data_dir / "openrem"))
    assert len(lines) == 44
    for line in lines:
        assert set(line) >= KEYS
        if line["status"] == "parsed":
            assert set(line["totals"]) == TOTAL_KEYS
            assert all(set(e) == EVENT_KEYS for e in line["events"])
            assert line["event_count"] == len(line["events"])
            assert all({"code", "severity", "message"} <= set(f) for f in line["findings"])
    rejected = [line for line in lines if line["status"] == "rejected"]
    assert [Path(r["file"]).name for r in rejected] == ["ESR_non-dose.dcm"]
    assert (
        "not a radiation dose report" in rejected[0]["reason"]
        or "no dose report" in (rejected[0]["reason"])
    )


def test_totals_in_canonical_units(data_dir: Path) -> None:
    (ct,) = _lines(str(data_dir / "openrem" / "CT-RDSR-Siemens_Flash-TAP-SS.dcm"))
    assert ct["totals"]["dlp_mgy_cm"] == 724.52
    assert ct["events"][3]["ctdivol_mgy"] == 9.91
    (dx,) = _lines(str(data_dir / "openrem" / "DX-Im-Carestream_DR7500-1.dcm"))
    assert abs(dx["totals"]["kap_gy_cm2"] - 1.1013) < 1e-9  # 11.013 dGy.cm2 in the header
    (rf,) = _lines(str(data_dir / "openrem" / "RF-RDSR-Siemens-Zee.dcm"))
    assert abs(rf["totals"]["kap_gy_cm2"] - 0.16) < 1e-12  # sent as Gym2
    assert any(f["code"] == "unit.nonstandard" for f in rf["findings"])


def test_identifiers_masked_unless_asked(data_dir: Path) -> None:
    path = str(data_dir / "openrem" / "CT-RDSR-Siemens_Flash-TAP-SS.dcm")
    (masked,) = _lines(path)
    (shown,) = _lines(path, "--show-identifiers")
    assert shown["patient"]["patient_id"] is not None
    assert masked["patient"]["patient_id"] != shown["patient"]["patient_id"]
    assert "*" in masked["patient"]["patient_id"]
    assert masked["patient"]["name"] != shown["patient"]["name"]


def test_estimates_with_overrides(data_dir: Path) -> None:
    path = str(data_dir / "openrem" / "CT-RDSR-Siemens-Continued-1.dcm")
    (line,) = _lines(path, "--estimates", "--age", "40", "--sex", "F")
    effective = [e for e in line["estimates"] if e["quantity"] == "effective_dose"]
    assert len(effective) == 2
    for estimate in line["estimates"]:
        assert {
            "event_uid",
            "quantity",
            "organ",
            "value",
            "unit",
            "uncertainty_pct",
            "model",
            "model_version",
            "basis",
        } <= set(estimate)
        assert estimate["unit"] in {"mSv", "mGy"}
        assert estimate["uncertainty_pct"] > 0 or estimate["upper_bound"]
    assert all(e["basis"] == "ICRP103" for e in effective)
    (child,) = _lines(path, "--estimates", "--age", "5", "--sex", "F")
    child_e = sum(e["value"] for e in child["estimates"] if e["quantity"] == "effective_dose")
    adult_e = sum(e["value"] for e in effective)
    assert child_e > adult_e  # paediatric k-factors are larger


def test_human_output_has_summary(data_dir: Path) -> None:
    result = RUNNER.invoke(app, ["inspect", str(data_dir / "pyskindose")])
    assert result.exit_code == 0, result.output
    assert "6 parsed, 0 rejected" in result.output


def test_not_dicom_is_rejected_with_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"this is not DICOM at all" * 10)
    (line,) = _lines(str(junk))
    assert line["status"] == "rejected"
    assert line["error_code"] == "input.unreadable"
    assert "not a DICOM file" in line["reason"]
