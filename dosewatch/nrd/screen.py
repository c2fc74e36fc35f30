"""A one-query screen before :func:`dosewatch.nrd.store.study_exceeds_nrd` (alerts call it for
every study of a person at each ingest).

A study can be above the NRD of its exam type only if one of its indicators is above the
*smallest* usable adult NRD of that indicator in the regulation (every exam type taken
together). :func:`possibly_above_nrd` is that necessary condition as an SQL expression;
the comparison with the study's own exam type is still :func:`study_exceeds_nrd`'s. With
the 2019 decision as transcribed today (adult radiography only), CT studies never pass.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import ColumnElement, exists, false, or_
from sqlalchemy.orm import QueryableAttribute

from dosewatch.ledger.nrd_models import NrdStudyFacts
from dosewatch.nrd.reference import CURRENT_REGULATION, Population, packaged
from dosewatch.nrd.store import INDICATOR_COLUMNS


@cache
def floors(regulation: str = CURRENT_REGULATION) -> dict[str, float]:
    """Smallest usable adult NRD per :class:`NrdStudyFacts` column (packaged reference)."""
    out: dict[str, float] = {}
    for value in packaged().values:
        column = INDICATOR_COLUMNS.get(value.indicator) if value.indicator else None
        if (
            column is None
            or value.regulation != regulation
            or value.population is not Population.ADULT
            or value.nrd is None
            or value.exam_type is None
            or not value.verification.usable
        ):
            continue
        out[column] = min(out.get(column, value.nrd), value.nrd)
    return out


def possibly_above_nrd(
    study_id: ColumnElement[int] | QueryableAttribute[int], regulation: str = CURRENT_REGULATION
) -> ColumnElement[bool]:
    """A boolean SQL expression: the study has NRD facts with an indicator above its floor.

    Meant as a column of a per-study query (``possibly_above_nrd(Study.id)``).
    """
    limits = floors(regulation)
    if not limits:
        return false()
    above = [getattr(NrdStudyFacts, column) > floor for column, floor in limits.items()]
    return exists().where(NrdStudyFacts.study_id == study_id, or_(*above))
