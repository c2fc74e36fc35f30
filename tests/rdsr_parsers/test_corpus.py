"""Every bundled real file: parsed (or, for the one non-dose SR, rejected with a specific
reason), with event count and accumulated totals equal to MANIFEST.csv to 1e-6 relative."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.totals import report_totals
from rdsr_parsers import parse
from tests.conftest import manifest_rows

ROWS = manifest_rows()
REJECTED = {"ESR_non-dose.dcm"}
REL = 1e-6


def _num(text: str | None) -> str | None:
    return text if text not in (None, "") else None


def _close(actual: float | None, expected: str | float, what: str) -> None:
    """1e-6 relative, or half a unit of the last digit MANIFEST printed when it rounded."""
    assert actual is not None, f"{what}: missing, expected {expected}"
    text = str(expected)
    decimals = len(text.split(".")[1]) if "." in text else 0
    printed = 0.5 * 10.0**-decimals
    tolerance = max(REL * abs(float(text)), printed if round(actual, decimals) != actual else 0)
    assert abs(actual - float(text)) <= tolerance, f"{what}: {actual} != {text} (±{tolerance:g})"


def test_manifest_lists_every_sample_file(data_dir: Path) -> None:
    on_disk = {p.name for p in data_dir.rglob("*.dcm")}
    assert on_disk == {row["file"] for row in ROWS}
    assert len(on_disk) == 50


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_file_parsed_or_rejected_with_reason(row: dict[str, str]) -> None:
    if row["file"] in REJECTED:
        with pytest.raises(
            NotADoseObjectError, match=r"not a radiation dose report|no dose report"
        ):
            parse(row["path"])
        return
    result = parse(row["path"])
    report = result.report
    if row.get("event_count"):
        assert len(report.events) == int(row["event_count"])
    totals = report_totals(report)
    dlp = _num(row.get("total_dlp_mGycm"))
    if dlp is not None:
        _close(totals.dlp_mgy_cm, dlp, "DLP total")
    dap = _num(row.get("total_dap_Gycm2"))
    if dap is not None:
        _close(totals.kap_gy_cm2, dap, "DAP total")
    ref = _num(row.get("total_ref_dose_Gy"))
    if ref is not None:
        _close(totals.ka_r_gy, ref, "Dose (RP) total")
    notes = row.get("notes", "")
    agd = re.search(r"accumulated AGD per breast \(mGy\): ([\d.]+) \+ ([\d.]+)", notes)
    if agd:
        per_breast = sorted(v for v in (totals.agd_left_mgy, totals.agd_right_mgy) if v is not None)
        expected = sorted(agd.groups(), key=float)
        assert len(per_breast) == 2, per_breast
        for actual, text in zip(per_breast, expected, strict=True):
            _close(actual, text, "accumulated AGD")
    activity = re.search(r"(?:administered|activity) (\d+(?:\.\d+)?) MBq", notes)
    if activity and row["modality"].startswith("NM") and "CT" not in row["modality"]:
        _close(totals.activity_mbq, activity.group(1), "administered activity")
    ct_events = re.search(r"CTDIvol/DLP per event \(mGy / mGy\.cm\): ([^|]+)", notes)
    if ct_events:
        pairs = [p.strip() for p in ct_events.group(1).split(";")]
        assert len(pairs) == len(report.events)
        for event, pair in zip(report.events, pairs, strict=True):
            ctdivol, dlp_event = pair.split("/")
            for text, quantity, unit in (
                (ctdivol, getattr(event, "ctdivol", None), "mGy"),
                (dlp_event, getattr(event, "dlp", None), "mGy.cm"),
            ):
                if text == "-":
                    assert quantity is None or quantity.value_in(unit) == 0
                else:
                    _close(None if quantity is None else quantity.value_in(unit), text, pair)


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_every_finding_is_located_and_explained(row: dict[str, str]) -> None:
    if row["file"] in REJECTED:
        return
    for finding in parse(row["path"]).findings:
        assert re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)+", finding.code), finding.code
        assert finding.message


def test_findings_are_a_pure_function_of_the_object() -> None:
    """The same object yields the same findings whatever the process parsed before
    (the ledger's order-independence and crash-rerun equality rely on it)."""
    rows = [r for r in ROWS if r["file"] not in REJECTED]

    def findings(order: list[dict[str, str]]) -> dict[str, object]:
        return {r["file"]: parse(r["path"]).findings for r in order}

    assert findings(rows) == findings(list(reversed(rows)))
