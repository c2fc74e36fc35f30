"""Peak skin doses per procedure — never summed — and procedures close on the same skin.

Peak skin doses of different procedures fall on different skin areas unless the beam
entered through the same region, so their sum has no meaning (DOMAIN.md). Each procedure
keeps its own PSD; two fluoroscopy procedures within :data:`OVERLAP_DAYS` days whose target
regions are the same — or unknown for either, which cannot exclude an overlap — are flagged
for skin follow-up (NCRP Report No. 168, 2010: follow-up of a repeat procedure within 60 days
of one above a substantial radiation dose level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dosewatch.cumulative.records import ExamRecord
from dosewatch.domain.estimate import EstimateQuantity

OVERLAP_DAYS = 60
_PSD = EstimateQuantity.PEAK_SKIN_DOSE.value


@dataclass(frozen=True, slots=True)
class ProcedureSkinDose:
    """One fluoroscopy/interventional procedure: its PSD (if estimated) and Ka,r."""

    study_instance_uid: str
    study_date: date | None
    establishment: str
    peak_skin_dose_mgy: float | None
    uncertainty_pct: float | None
    upper_bound: bool
    method: str | None  # model id and version
    ka_r_gy: float | None
    regions: tuple[str, ...]  # target region codes of its counted events (SCHEME:VALUE)


@dataclass(frozen=True, slots=True)
class SkinOverlap:
    """Two procedures within the overlap window that may have irradiated the same skin."""

    first: str  # Study Instance UIDs, earlier first
    second: str
    days_apart: int
    reason: str


@dataclass(frozen=True, slots=True)
class SkinSummary:
    procedures: tuple[ProcedureSkinDose, ...]
    overlaps: tuple[SkinOverlap, ...]


def _procedure(exam: ExamRecord) -> ProcedureSkinDose | None:
    fluoro = [e for e in exam.events if e.modality == "RF"]
    psd = [x for x in exam.estimates if x.quantity == _PSD]
    if not fluoro and not psd:
        return None
    best = max(psd, key=lambda x: x.value) if psd else None
    kar = [e.ka_r_gy for e in fluoro if e.ka_r_gy is not None]
    return ProcedureSkinDose(
        study_instance_uid=exam.study_instance_uid,
        study_date=exam.study_date,
        establishment=exam.establishment,
        peak_skin_dose_mgy=None if best is None else best.value,
        uncertainty_pct=None if best is None else best.uncertainty_pct,
        upper_bound=best is not None and best.upper_bound,
        method=None if best is None else f"{best.model_id} {best.model_version}",
        ka_r_gy=sum(kar) if kar else None,
        regions=tuple(sorted({e.target_region for e in fluoro if e.target_region})),
    )


def overlap(a: ProcedureSkinDose, b: ProcedureSkinDose) -> SkinOverlap | None:
    """The flag for two procedures (``a`` not later than ``b``), or None."""
    if a.study_date is None or b.study_date is None:
        return None
    days = (b.study_date - a.study_date).days
    if days > OVERLAP_DAYS:
        return None
    shared = sorted(set(a.regions) & set(b.regions))
    if shared:
        reason = f"same target region {', '.join(shared)} within {days} days"
    elif not a.regions or not b.regions:
        reason = f"target region unknown; an overlap within {days} days cannot be excluded"
    else:
        return None
    return SkinOverlap(a.study_instance_uid, b.study_instance_uid, days, reason)


def summarise(exams: Sequence[ExamRecord]) -> SkinSummary:
    procedures = [p for p in (_procedure(e) for e in exams) if p is not None]
    procedures.sort(key=lambda p: (p.study_date or date.min, p.study_instance_uid))
    flags = [
        flag
        for i, a in enumerate(procedures)
        for b in procedures[i + 1 :]
        if (flag := overlap(a, b)) is not None
    ]
    return SkinSummary(tuple(procedures), tuple(flags))
