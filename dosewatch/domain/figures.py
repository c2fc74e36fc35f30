"""Significant figures for display. Values are stored and exported at full precision; views
show them with as many figures as their uncertainty supports.

* relative standard uncertainty below 10 %: 3 significant figures;
* 10 % to below 100 %: 2 (a dose known to +/-30 % is "17 mGy", not "16.61 mGy");
* 100 % or more (scatter-level, indicative): 1;
* no uncertainty given: 3; an upper bound: 2 figures rounded **up**, so the shown bound
  still bounds.

Plain decimal notation (no exponent), no trailing zeros beyond the figures kept.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

__all__ = ["figures_for", "shown", "significant"]


def figures_for(uncertainty_pct: float | None, *, upper_bound: bool = False) -> int:
    """Significant figures supported by a relative standard uncertainty (%)."""
    if upper_bound:
        return 2
    if uncertainty_pct is None or uncertainty_pct <= 0 or uncertainty_pct < 10.0:
        return 3
    if uncertainty_pct < 100.0:
        return 2
    return 1


def significant(value: float, figures: int, *, round_up: bool = False) -> str:
    """``value`` rounded to ``figures`` significant figures, in plain decimal notation."""
    if figures < 1:
        raise ValueError(f"figures must be >= 1, got {figures}")
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    exact = Decimal(repr(value))
    exponent = exact.adjusted() - figures + 1
    quantum = Decimal(1).scaleb(exponent)
    rounded = exact.quantize(quantum, rounding=ROUND_CEILING if round_up else ROUND_HALF_UP)
    if rounded.adjusted() > exact.adjusted():
        # 9.96 -> 10.0 at 3 figures: one figure fewer after the carry
        rounded = rounded.quantize(Decimal(1).scaleb(exponent + 1))
    text = f"{rounded:f}"
    return text


def shown(value: float, uncertainty_pct: float | None, *, upper_bound: bool = False) -> str:
    """``value`` with the figures its uncertainty supports (upper bounds rounded up)."""
    return significant(
        value, figures_for(uncertainty_pct, upper_bound=upper_bound), round_up=upper_bound
    )
