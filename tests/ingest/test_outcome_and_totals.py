"""The task result serialises to JSON and back; one definition of totals and indicators."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from dosewatch.domain.errors import InvalidValueError
from dosewatch.domain.report import AccumulatedProjectionDose, CtAccumulatedDose
from dosewatch.domain.totals import event_indicators
from dosewatch.domain.units import Quantity
from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.writer import report_totals_columns
from dosewatch.ledger import dedup
from tests.ledger.builders import ct_event, mg_event, nm_event, report


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome("recorded", "1.2.3", superseded=1),
        Outcome("duplicate", "1.2.3"),
        Outcome("quarantined", None, reason="input.not_dose"),
    ],
)
def test_an_outcome_survives_a_json_round_trip(outcome: Outcome) -> None:
    assert Outcome.from_json(json.loads(json.dumps(outcome.to_json()))) == outcome


@pytest.mark.parametrize(
    "data",
    [
        {"status": "lost"},
        {"status": "recorded", "extra": 1},
        {"status": "recorded", "superseded": -1},
        {},
    ],
)
def test_anything_else_is_not_an_outcome(data: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError, match="not an ingest outcome"):
        Outcome.from_json(data)


def test_ledger_event_values_are_the_domain_indicators_without_non_finite_values() -> None:
    events = (ct_event("1.1", 400.0), mg_event("1.2", 1.5), nm_event("1.3", 370.0))
    r = report("9.1", "9.2", events)
    for event in events:
        values = dedup.event_values(event, r)
        indicators = event_indicators(event)
        for column in dedup.INDICATOR_COLUMNS:
            assert values[column] == getattr(indicators, column), column
    broken = ct_event("1.4", 400.0)
    object.__setattr__(broken, "ctdivol", Quantity(math.nan, "mGy"))
    assert event_indicators(broken).ctdivol_mgy is not None  # the domain reports what it read
    assert dedup.event_values(broken, r)["ctdivol_mgy"] is None  # the ledger stores no NaN
    assert dedup.event_values(broken, r)["dlp_mgy_cm"] == 400.0


def test_report_row_totals_are_the_objects_own_totals_summed_over_planes() -> None:
    planes = (
        AccumulatedProjectionDose(
            dose_area_product_total=Quantity(20.0, "Gy.cm2"),
            dose_rp_total=Quantity(100.0, "mGy"),
            total_fluoro_time=Quantity(2.0, "min"),
        ),
        AccumulatedProjectionDose(
            dose_area_product_total=Quantity(5.0, "Gy.cm2"),
            total_fluoro_time=Quantity(30.0, "s"),
        ),
    )
    r = replace(
        report("9.1", "9.2", (ct_event("1.1", 400.0),)),
        ct_accumulated=CtAccumulatedDose(dlp_total=Quantity(512.0, "mGy.cm")),
        projection_accumulated=planes,
    )
    assert report_totals_columns(r) == {
        "dlp_total_mgy_cm": 512.0,  # as stated, not the event sum (400)
        "kap_total_gy_cm2": 25.0,
        "ka_r_total_gy": pytest.approx(0.1),
        "fluoro_time_total_s": 150.0,
    }
    assert report_totals_columns(report("9.3", "9.2", ())) == dict.fromkeys(
        ("dlp_total_mgy_cm", "kap_total_gy_cm2", "ka_r_total_gy", "fluoro_time_total_s")
    )
