"""Every sample dose object in tests/data yields estimates or a stated reason why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dosewatch.domain.errors import DoseWatchError
from organ_models import estimate_with_reasons, estimates_to_json, patient_from_report
from rdsr_parsers import parse

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = sorted(DATA.glob("*/*.dcm"))


@pytest.mark.skipif(not FILES, reason="tests/data has no sample files")
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_yields_estimates_or_reasons(path: Path) -> None:
    try:
        result = parse(path)
    except DoseWatchError:
        pytest.skip("rejected by the parser (not a dose object or unreadable)")
    report = result.report
    estimated = estimate_with_reasons(report, patient_from_report(report))
    assert estimated.estimates or estimated.not_estimated
    assert all(reason for _, reason in estimated.not_estimated)
    for item in estimates_to_json(estimated.estimates):
        assert item["unit"] in ("mSv", "mGy") and item["uncertainty_pct"] > 0
        assert item["value"] >= 0 and item["model"] and item["model_version"]
