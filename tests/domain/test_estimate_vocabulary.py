"""The estimate vocabulary: typed inputs, origin, verification levels, regions, refusals."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest

from dosewatch.domain import (
    BodyRegion,
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimated,
    NotEstimatedReason,
    Quantity,
    Verification,
)
from dosewatch.domain.codes import Code
from dosewatch.domain.report import DoseModality
from organ_models import estimate_with_reasons
from organ_models.tables import ALL_LEVELS, INDICATIVE_LEVELS, USABLE_LEVELS, load_all
from tests.organ_models import builders as b

#: a copy of shared/reference/README.md (tests/data/README.md), so that a bare clone passes
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


def test_input_round_trips_through_its_stored_shape() -> None:
    items = (
        EstimateInput("dlp", quantity=Quantity(412.5, "mGy.cm"), text="event DLP"),
        EstimateInput("organ", code=Code("10200004", "SCT", "Liver")),
        EstimateInput("age", text="unknown: adult reference person", assumed=True),
    )
    for item in items:
        assert EstimateInput.from_json(item.to_json()) == item
    assert items[0].describe() == "412.5 mGy.cm (event DLP)"
    assert items[2].describe().endswith("(assumed)")
    assert "SCT 10200004" in items[1].describe()


def test_verification_levels_are_those_of_the_reference_readme() -> None:
    # shared/reference/README.md "Verification levels" table + additions-2026-12 `not_found`
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {
        "verified",
        "verified_secondary",
        "derived",
        "unverified_recall",
        "not_retrieved",
    }
    assert {str(v) for v in Verification} == documented | {"not_found"}
    assert {
        Verification.VERIFIED,
        Verification.VERIFIED_SECONDARY,
        Verification.DERIVED,
    } == USABLE_LEVELS
    assert {Verification.UNVERIFIED_RECALL} == INDICATIVE_LEVELS
    assert frozenset(Verification) == ALL_LEVELS
    assert not Verification.NOT_FOUND.has_value and not Verification.NOT_FOUND.usable


def test_loader_types_every_row_with_the_enum() -> None:
    tables = load_all()
    rows = [row for table in tables.values() for row in table.rows]
    assert len(rows) > 100
    assert all(isinstance(row.verification, Verification) for row in rows)


def test_body_regions_cover_the_k_factor_table_regions() -> None:
    path = Path(__file__).resolve().parents[2] / "organ_models/data/ct_k_factors.csv"
    with path.open(encoding="utf-8") as handle:
        regions = {r["body_region"] for r in csv.DictReader(handle)}
    single = {r for r in regions if "|" not in r and r != "body_generic"}
    assert single
    for region in single:
        assert BodyRegion(region) == region
    assert BodyRegion.HEAD.is_head and not BodyRegion.NECK.is_head


def test_ct_estimate_is_model_origin_and_inputs_carry_units() -> None:
    result = estimate_with_reasons(b.report(DoseModality.CT, (b.ct_event(dlp=500.0),)))
    effective = [e for e in result.estimates if e.model_id == "ct.effective.k_dlp"]
    assert effective
    for est in effective:
        assert est.origin is EstimateOrigin.MODEL
        dlp = est.input("dlp")
        assert dlp is not None and dlp.quantity == Quantity(500.0, "mGy.cm")
        assert all(c.verification.usable for c in est.coefficients)


def test_refusal_has_a_reason_code_and_a_message() -> None:
    event = dataclasses.replace(b.ct_event(), dlp=None)
    result = estimate_with_reasons(b.report(DoseModality.CT, (event,)))
    refused = [r for r in result.not_estimated if r.reason is NotEstimatedReason.MISSING_INPUT]
    by_quantity = {r.quantity: r.message for r in refused}
    assert "DLP" in by_quantity[EstimateQuantity.EFFECTIVE_DOSE]
    assert "DLP" in by_quantity[EstimateQuantity.ORGAN_DOSE]
    assert "diameter" in by_quantity[EstimateQuantity.SSDE]
    item = NotEstimated("1.2.3", NotEstimatedReason.NO_COEFFICIENT, "no k for neck 15y")
    assert item.to_json() == {
        "event_uid": "1.2.3",
        "quantity": None,
        "reason": "no_coefficient",
        "message": "no k for neck 15y",
    }


@pytest.mark.parametrize("origin", list(EstimateOrigin))
def test_origin_values_are_stable(origin: EstimateOrigin) -> None:
    assert str(origin) in ("model", "reported")
