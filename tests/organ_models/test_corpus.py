"""Every sample dose object in tests/data yields estimates or a stated reason why not."""

from __future__ import annotations

import json
from collections import Counter
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


#: per sample: how many estimates of each (quantity, model) and refusals of each (quantity,
#: reason) the models give — pinned, so that a model that refuses everything, or refuses
#: for another reason, fails here sample by sample (issue 15). The numbers themselves are
#: checked against their sources by the model tests; after a reviewed model change,
#: regenerate with ``python -m tests.organ_models.test_corpus``.
PINNED = Path(__file__).with_name("sample_estimates.json")


def outcome_counts(path: Path) -> dict[str, dict[str, int]]:
    """The sample's estimate and refusal counts, as stored in :data:`PINNED`."""
    report = parse(path).report
    estimated = estimate_with_reasons(report, patient_from_report(report))
    estimates = Counter(f"{e.quantity.value} {e.model_id}" for e in estimated.estimates)
    refusals = Counter(
        f"{'any' if r.quantity is None else r.quantity.value} {r.reason.value}"
        for r in estimated.not_estimated
    )
    return {
        "estimates": dict(sorted(estimates.items())),
        "refusals": dict(sorted(refusals.items())),
    }


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_the_pinned_table_covers_exactly_the_samples() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert sorted(pinned) == sorted(_key(p) for p in FILES)
    # most samples get estimates; the others are refused with reasons (BENCHMARKS.md coverage)
    assert sum(1 for v in pinned.values() if v["estimates"]) == 41
    assert all(v["estimates"] or v["refusals"] for v in pinned.values())


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_sample_yields_estimates_or_reasons(path: Path) -> None:
    report = parse(path).report
    estimated = estimate_with_reasons(report, patient_from_report(report))
    assert estimated.estimates or estimated.not_estimated
    assert outcome_counts(path) == json.loads(PINNED.read_text(encoding="utf-8"))[_key(path)]
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


if __name__ == "__main__":  # regenerate the pinned table (after a reviewed model change)
    table = {_key(p): outcome_counts(p) for p in FILES}
    PINNED.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
