"""Human-readable explanation of an estimate: formula, inputs, coefficients and sources."""

from __future__ import annotations

from dosewatch.domain.codes import code_str
from dosewatch.domain.estimate import Estimate
from dosewatch.domain.figures import shown
from organ_models.registry import REGISTRY


def explain(estimate: Estimate) -> str:
    """Formula, inputs, coefficients with their sources, versions and uncertainty."""
    model = REGISTRY.get(estimate.model_id)
    kind = "upper bound" if estimate.upper_bound else "estimate"
    spread = (
        "a bound, no uncertainty attached"
        if estimate.upper_bound and not estimate.uncertainty_pct
        else f"+/-{estimate.uncertainty_pct:g} % relative standard uncertainty"
    )
    value = estimate.value
    figures = shown(value.value, estimate.uncertainty_pct, upper_bound=estimate.upper_bound)
    what = str(estimate.quantity)
    if estimate.organ is not None:
        what = f"{estimate.organ.meaning} {what}"
    lines = [f"{what} = {figures} {value.unit} ({kind}, {spread}; stored value {value.value!r})"]
    if estimate.organ is not None:
        lines.append(f"organ: {code_str(estimate.organ)} ({estimate.organ.meaning})")
    if estimate.basis is not None:
        lines.append(f"tissue-weight basis: {estimate.basis}")
    if estimate.event_uid:
        lines.append(f"irradiation event: {estimate.event_uid}")
    lines.append(f"origin: {estimate.origin}")
    lines.append(f"model: {estimate.model_id} {estimate.model_version}")
    if model is not None:
        lines.append(f"formula: {model.formula}")
    lines.append(f"method: {estimate.method}")
    lines.append(f"reference tables: {estimate.table_version}")
    if estimate.indicative:
        lines.append("INDICATIVE: uses reference rows not verified in a primary source")
    if estimate.inputs:
        lines.append("inputs:")
        lines.extend(f"  {i.name} = {i.describe()}" for i in estimate.inputs)
    if estimate.coefficients:
        lines.append("coefficients:")
        lines.extend(
            f"  {c.name} = {c.value:g} {c.unit} [{c.verification}] {c.locator}; source: {c.source}"
            for c in estimate.coefficients
        )
    if estimate.findings:
        lines.append("findings:")
        lines.extend(f"  {f}" for f in estimate.findings)
    return "\n".join(lines)
