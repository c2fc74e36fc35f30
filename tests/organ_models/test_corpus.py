"""Every sample dose object in tests/data yields estimates or a stated reason why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dosewatch.domain.errors import NotADoseObjectError
from organ_models import estimate_with_reasons, estimates_to_json, patient_from_report
from rdsr_parsers import parse

DATA = Path(__file__).resolve().parents[1] / "data"
NOT_DOSE = "ESR_non-dose.dcm"  # the corpus's one negative example: nothing to estimate
FILES = sorted(p for p in DATA.glob("*/*.dcm") if p.name != NOT_DOSE)


def test_corpus_present() -> None:
    assert len(FILES) == 49
    with pytest.raises(NotADoseObjectError):
        parse(DATA / "openrem" / NOT_DOSE)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_yields_estimates_or_reasons(path: Path) -> None:
    report = parse(path).report
    estimated = estimate_with_reasons(report, patient_from_report(report))
    assert estimated.estimates or estimated.not_estimated
    assert all(item.message for item in estimated.not_estimated)
    for item in estimates_to_json(estimated.estimates, extended=True):
        assert item["unit"] in ("mSv", "mGy")
        assert item["uncertainty_pct"] > 0 or item["upper_bound"]
        assert item["value"] >= 0 and item["model"] and item["model_version"]
