"""``explain`` of a stored estimate: the domain object rebuilt from its row, explained by
:func:`organ_models.explain.explain` (the same text as ``dosewatch inspect --explain``)."""

from __future__ import annotations

from dosewatch.domain.codes import Code
from dosewatch.domain.estimate import (
    Coefficient,
    Estimate,
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    Verification,
    WeightBasis,
)
from dosewatch.domain.units import Quantity
from dosewatch.ledger.models import EstimateRow
from organ_models.explain import explain


def explain_row(row: EstimateRow) -> str:
    stored = row.inputs or {}
    organ = None
    if row.organ_scheme and row.organ_value:
        organ = Code(row.organ_value, row.organ_scheme, row.organ_meaning or row.organ_value)
    estimate = Estimate(
        quantity=EstimateQuantity(row.quantity),
        value=Quantity(row.value, row.unit),
        uncertainty_pct=row.uncertainty_pct,
        model_id=row.model_id,
        model_version=row.model_version,
        table_version=row.table_version,
        organ=organ,
        basis=None if row.basis is None else WeightBasis(row.basis),
        origin=EstimateOrigin(stored.get("origin", EstimateOrigin.MODEL)),
        inputs=tuple(EstimateInput.from_json(item) for item in stored.get("inputs", [])),
        coefficients=tuple(
            Coefficient(**{**c, "verification": Verification(c["verification"])})
            for c in stored.get("coefficients", [])
        ),
        method=row.method,
        indicative=row.indicative,
        upper_bound=row.upper_bound,
    )
    return explain(estimate)
