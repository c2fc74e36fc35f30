"""A person's cumulative dose for the API and the pages, through ``dosewatch.cumulative``.

The numbers are the cumulative package's (:func:`dosewatch.cumulative.records.exams` and the
pure :func:`dosewatch.cumulative.summary.summarise`), so the CLI, the API and the pages show
the same sums. A scoped caller's view is computed over the exams of their establishments
only: a sum over the region would disclose exams they may not see.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas_dose import (
    CumulativeOut,
    DoseSumOut,
    IndicatorSumOut,
    MissingExamOut,
    OrganSumOut,
    OtherBasisOut,
    ShareOut,
    SkinOverlapOut,
    SkinProcedureOut,
    TimelinePointOut,
    WindowOut,
)
from dosewatch.cumulative import records
from dosewatch.cumulative.summary import CumulativeDose, DoseSum, IndicatorSum, summarise
from dosewatch.cumulative.window import Window
from dosewatch.domain.estimate import WeightBasis
from dosewatch.ledger.models import Establishment

Scope = frozenset[int] | None


def _dose(s: DoseSum) -> DoseSumOut:
    return DoseSumOut(
        value=s.value,
        unit=s.unit,
        uncertainty_pct=s.uncertainty_pct,
        method=s.method,
        models=list(s.models),
        coverage=s.coverage,
        exams_covered=s.exams_covered,
        exams_total=s.exams_total,
        missing=[
            MissingExamOut(
                study_instance_uid=m.study_instance_uid,
                study_date=m.study_date,
                modality=m.modality,
                reason=m.reason,
            )
            for m in s.missing
        ],
        indicative=s.indicative,
        upper_bound=s.upper_bound,
    )


def _indicator(s: IndicatorSum) -> IndicatorSumOut:
    return IndicatorSumOut(name=s.name, value=s.value, unit=s.unit, exams=s.exams)


def cumulative_out(view: CumulativeDose, scope: str, as_of: date) -> CumulativeOut:
    w = view.window
    return CumulativeOut(
        person_pseudonym=view.pseudonym,
        scope=scope,
        window=WindowOut(label=w.label, start=w.start, end=w.end, as_of=as_of),
        exams=view.exams,
        undated_excluded=view.undated_excluded,
        basis=view.basis,
        effective=_dose(view.effective),
        effective_other_bases=[
            OtherBasisOut(basis=o.basis, value=o.value_msv, exams=o.exams)
            for o in view.effective_other_bases
        ],
        effective_by_modality=[
            ShareOut(key=s.key, value=s.value_msv, exams=s.exams)
            for s in view.effective_by_modality
        ],
        effective_by_establishment=[
            ShareOut(key=s.key, value=s.value_msv, exams=s.exams)
            for s in view.effective_by_establishment
        ],
        organs=[
            OrganSumOut(code=o.code, meaning=o.meaning, dose=_dose(o.dose)) for o in view.organs
        ],
        indicators=[_indicator(s) for s in (view.ka_r, view.kap, view.dlp, view.fluoro_time)],
        activity=[_indicator(s) for s in view.activity],
        timeline=[
            TimelinePointOut(
                study_date=p.study_date,
                study_instance_uid=p.study_instance_uid,
                modality=p.modality,
                establishment=p.establishment,
                increment=p.increment_msv,
                running=p.running_msv,
            )
            for p in view.timeline
        ],
        skin_procedures=[
            SkinProcedureOut(
                study_instance_uid=p.study_instance_uid,
                study_date=p.study_date,
                establishment=p.establishment,
                peak_skin_dose_mgy=p.peak_skin_dose_mgy,
                uncertainty_pct=p.uncertainty_pct,
                upper_bound=p.upper_bound,
                method=p.method,
                ka_r_gy=p.ka_r_gy,
                regions=list(p.regions),
            )
            for p in view.skin.procedures
        ],
        skin_overlaps=[
            SkinOverlapOut(first=o.first, second=o.second, days_apart=o.days_apart, reason=o.reason)
            for o in view.skin.overlaps
        ],
    )


def establishment_codes(db: Session, scope: frozenset[int]) -> frozenset[str]:
    rows = db.scalars(select(Establishment.code).where(Establishment.id.in_(sorted(scope))))
    return frozenset(rows.all())


def person_cumulative(
    db: Session,
    person_id: int,
    pseudonym: str,
    scope: Scope,
    window: Window,
    as_of: date,
    basis: WeightBasis = WeightBasis.ICRP103,
) -> CumulativeOut:
    """The cumulative view of a (live) person over the exams in ``scope``."""
    exams = records.exams(db, person_id)
    if scope is not None:
        codes = establishment_codes(db, scope)
        exams = tuple(e for e in exams if e.establishment in codes)
    view = summarise(person_id, pseudonym, exams, window, basis)
    return cumulative_out(view, "regional" if scope is None else "own-establishments", as_of)
