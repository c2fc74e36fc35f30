"""Every sample dose object in tests/data yields estimates or a stated reason why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.estimate import EstimateQuantity
from organ_models import estimate_with_reasons, estimates_to_json, patient_from_report
from rdsr_parsers import parse
from tests.organ_models.bounds import check_effective_dose

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
    for e in estimated.estimates:
        if e.quantity is EstimateQuantity.EFFECTIVE_DOSE:
            check_effective_dose(e)


def test_most_samples_get_estimates_and_effective_doses_are_in_published_ranges() -> None:
    """A model that refused everything, or computed E as k / DLP, fails here."""
    with_estimates = with_e = checked = 0
    for path in FILES:
        report = parse(path).report
        estimated = estimate_with_reasons(report, patient_from_report(report))
        with_estimates += bool(estimated.estimates)
        effective = [
            e for e in estimated.estimates if e.quantity is EstimateQuantity.EFFECTIVE_DOSE
        ]
        with_e += bool(effective)
        checked += sum(check_effective_dose(e) for e in effective)
    # BENCHMARKS.md estimate coverage: E for 23 of the samples (CT 8, DX 4, NM 9, RF 2)
    assert with_e == 23
    assert with_estimates >= 40
    assert checked >= 23
