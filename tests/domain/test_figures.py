"""Significant figures for display (issue #13 traceability: stored at full precision, shown
with the figures the uncertainty supports)."""

from __future__ import annotations

import pytest

from dosewatch.domain.figures import figures_for, shown, significant


@pytest.mark.parametrize(
    ("value", "figures", "text"),
    [
        (16.61, 2, "17"),
        (16.61, 3, "16.6"),
        (0.1, 1, "0.1"),
        (12345.0, 2, "12000"),
        (0.000123456, 2, "0.00012"),
        (2.5, 1, "3"),  # half up, not to even
        (9.96, 2, "10"),
        (99.5, 2, "100"),
        (1.0, 3, "1.00"),
        (-16.61, 2, "-17"),
        (0.0, 2, "0"),
        (123456789.0, 3, "123000000"),
    ],
)
def test_significant(value: float, figures: int, text: str) -> None:
    assert significant(value, figures) == text


def test_upper_bounds_round_up_so_the_shown_bound_still_bounds() -> None:
    assert significant(356.1, 2, round_up=True) == "360"
    assert significant(350.0, 2, round_up=True) == "350"
    assert shown(356.1, 0.0, upper_bound=True) == "360"
    assert float(shown(0.0121, None, upper_bound=True)) >= 0.0121


@pytest.mark.parametrize(
    ("pct", "figures"),
    [(None, 3), (0.0, 3), (5.0, 3), (9.9, 3), (10.0, 2), (30.0, 2), (99.9, 2), (100.0, 1)],
)
def test_figures_follow_the_uncertainty(pct: float | None, figures: int) -> None:
    assert figures_for(pct) == figures


def test_shown_uses_the_uncertainty() -> None:
    assert shown(16.61, 30.0) == "17"
    assert shown(0.1234, 115.5) == "0.1"
    assert shown(1.2345, 5.0) == "1.23"
    with pytest.raises(ValueError):
        significant(1.0, 0)
    assert significant(float("inf"), 2) == "inf"
