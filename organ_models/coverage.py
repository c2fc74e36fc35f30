"""Completeness of the estimates over a set of dose reports (issue #13 coverage measure).

For each modality: how many exams (reports) have an effective dose, how many have at least
five organ doses, and whether every exam lacking one says why (a ``not_estimated`` item for
that quantity, or a study-level one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dosewatch.domain.estimate import EstimateQuantity
from dosewatch.domain.report import DoseReport
from organ_models.engine import EstimationResult, estimate_with_reasons

MIN_ORGANS = 5


@dataclass(slots=True)
class ModalityCoverage:
    exams: int = 0
    with_effective_dose: int = 0
    with_min_organs: int = 0
    unexplained_effective: int = 0
    unexplained_organs: int = 0

    def share(self, count: int) -> float:
        return count / self.exams if self.exams else 0.0


def _explains(result: EstimationResult, quantity: EstimateQuantity) -> bool:
    return any(r.quantity in (quantity, None) and r.message for r in result.not_estimated)


def coverage(reports: Iterable[DoseReport]) -> dict[str, ModalityCoverage]:
    """Per modality (``DoseModality`` value): exams with E, with >= 5 organ doses, gaps."""
    table: dict[str, ModalityCoverage] = {}
    for report in reports:
        result = estimate_with_reasons(report)
        row = table.setdefault(str(report.modality), ModalityCoverage())
        row.exams += 1
        quantities = [e.quantity for e in result.estimates]
        organs = {
            (e.organ.scheme_designator, e.organ.value)
            for e in result.estimates
            if e.quantity is EstimateQuantity.ORGAN_DOSE and e.organ is not None
        }
        if EstimateQuantity.EFFECTIVE_DOSE in quantities:
            row.with_effective_dose += 1
        elif not _explains(result, EstimateQuantity.EFFECTIVE_DOSE):
            row.unexplained_effective += 1
        if len(organs) >= MIN_ORGANS:
            row.with_min_organs += 1
        elif not _explains(result, EstimateQuantity.ORGAN_DOSE):
            row.unexplained_organs += 1
    return table
