"""A person's cumulative dose over a window: sums, uncertainty, completeness, splits, timeline.

What adds up (DOMAIN.md, "Cumulative"):

* organ absorbed doses of the same organ (mGy), across exams;
* effective doses of ONE tissue-weighting basis (ICRP 103 by default); effective doses on
  another basis are kept apart (:attr:`CumulativeDose.effective_other_bases`), never added;
* device indicators as reported: reference-point air kerma Ka,r (Gy), KAP (Gy·cm²), DLP
  (mGy·cm), fluoroscopy time (s), administered activity per radionuclide (MBq). CTDIvol is a
  dose index per scan; its sum means nothing and is not computed;
* peak skin doses are NOT added (different skin areas): see :mod:`dosewatch.cumulative.skin`.

Uncertainty of a sum (k = 1, GUM propagation): the standard uncertainties of estimates of the
same model (id and version) are added linearly — the model's coefficients err the same way
for every exam, so its errors are fully correlated — and the per-model totals are combined in
quadrature (different models taken as independent). :data:`PROPAGATION` says so in words.

Completeness: an exam *covers* a quantity when every counted event of the exam has a counted
estimate of it (or the exam has a study-level one). Exams that do not are counted and listed
with the reasons the organ models gave, never dropped; their estimated events still add.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dosewatch.cumulative import records, skin
from dosewatch.cumulative.records import EstimateRecord, EventRecord, ExamRecord
from dosewatch.cumulative.window import Window
from dosewatch.domain.errors import LedgerError
from dosewatch.domain.estimate import EstimateQuantity, WeightBasis
from dosewatch.ledger.models import Person

PROPAGATION = (
    "GUM, k=1: uncertainties of one model (id+version) added linearly (fully correlated), "
    "models combined in quadrature (independent)"
)
_EFFECTIVE = EstimateQuantity.EFFECTIVE_DOSE.value
_ORGAN = EstimateQuantity.ORGAN_DOSE.value
_PERSON = select(Person.pseudonym, Person.merged_into_id).where(Person.id == bindparam("person_id"))


@dataclass(frozen=True, slots=True)
class MissingExam:
    """An exam of the window that a sum does not fully cover, and why."""

    study_instance_uid: str
    study_date: date | None
    modality: str
    reason: str


@dataclass(frozen=True, slots=True)
class DoseSum:
    """A sum of estimates of one quantity, with its uncertainty and its completeness."""

    value: float | None  # None when nothing was summed (not the same as a zero dose)
    unit: str
    uncertainty_pct: float | None  # None when nothing was summed
    method: str
    exams_covered: int
    exams_total: int
    missing: tuple[MissingExam, ...]
    models: tuple[str, ...]  # "model_id version (table version)" of every contribution
    indicative: bool  # an unverified reference row contributed (allowed by a setting)
    upper_bound: bool  # a contribution is a conservative bound, not a point estimate

    @property
    def coverage(self) -> str:
        return f"covers {self.exams_covered} of {self.exams_total} exams"


@dataclass(frozen=True, slots=True)
class OrganSum:
    code: str  # SNOMED CT code value
    meaning: str
    dose: DoseSum


@dataclass(frozen=True, slots=True)
class IndicatorSum:
    """A device-reported indicator summed over counted events (a measurement, not a model)."""

    name: str
    value: float | None  # None when no counted event reported it
    unit: str
    exams: int  # exams that contributed


@dataclass(frozen=True, slots=True)
class Share:
    """Part of the effective-dose sum from one modality or one establishment."""

    key: str
    value_msv: float
    exams: int


@dataclass(frozen=True, slots=True)
class OtherBasis:
    """Effective doses on another tissue-weight basis: shown apart, never added."""

    basis: str
    value_msv: float
    exams: int


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    study_date: date | None
    study_instance_uid: str
    modality: str
    establishment: str
    increment_msv: float
    running_msv: float


@dataclass(frozen=True, slots=True)
class CumulativeDose:
    """Everything the cumulative view shows for one person and one window."""

    person_id: int
    pseudonym: str
    window: Window
    exams: int
    undated_excluded: int  # studies without a date outside an "all" window (listed nowhere else)
    basis: str
    effective: DoseSum
    effective_other_bases: tuple[OtherBasis, ...]
    effective_by_modality: tuple[Share, ...]
    effective_by_establishment: tuple[Share, ...]
    organs: tuple[OrganSum, ...]
    ka_r: IndicatorSum
    kap: IndicatorSum
    dlp: IndicatorSum
    fluoro_time: IndicatorSum
    activity: tuple[IndicatorSum, ...]  # name = radionuclide code
    timeline: tuple[TimelinePoint, ...]
    skin: skin.SkinSummary


# --------------------------------------------------------------------------- uncertainty


def propagate(contributions: Iterable[EstimateRecord]) -> tuple[float, float | None]:
    """(sum, relative standard uncertainty in %) per :data:`PROPAGATION`."""
    total = 0.0
    per_model: dict[tuple[str, str], float] = defaultdict(float)
    for x in contributions:
        total += x.value
        per_model[(x.model_id, x.model_version)] += abs(x.value) * x.uncertainty_pct / 100.0
    if not per_model:
        return 0.0, None
    combined = math.sqrt(sum(u * u for u in per_model.values()))
    return total, (100.0 * combined / total if total > 0 else None)


def _dose_sum(
    selected: Sequence[EstimateRecord],
    unit: str,
    exams_total: int,
    covered: int,
    missing: Sequence[MissingExam],
) -> DoseSum:
    value, pct = propagate(selected)
    return DoseSum(
        value=value if selected else None,
        unit=unit,
        uncertainty_pct=pct,
        method=PROPAGATION,
        exams_covered=covered,
        exams_total=exams_total,
        missing=tuple(missing),
        models=tuple(
            sorted(
                {
                    f"{model} {version} ({tables})"
                    for model, version, tables in {
                        (x.model_id, x.model_version, x.table_version) for x in selected
                    }
                }
            )
        ),
        indicative=any(x.indicative for x in selected),
        upper_bound=any(x.upper_bound for x in selected),
    )


# --------------------------------------------------------------------------- completeness


def _reasons(exam: ExamRecord, keys: Iterable[str | None], quantity: str) -> list[str]:
    wanted = set(keys)
    found = {
        reason
        for key, what, reason in exam.not_estimated
        if key in wanted and what in (quantity, "any")
    }
    return sorted(found)


def _coverage(
    exam: ExamRecord,
    total: int,
    chosen: Sequence[EstimateRecord],
    what: str,
    quantity: str,
    basis: str | None = None,
) -> str | None:
    """None when the exam (of ``total`` counted events) covers the quantity, else the
    reason it does not."""
    for x in chosen:
        if x.study_level:
            return None
    if not chosen:
        if not total:
            return "no counted irradiation event"
        left_keys: list[str | None] = [key for key, _, _ in exam.not_estimated]
        left = total
    else:
        missing = exam.uncovered.get((quantity, basis or ""), ())
        if not missing:
            return None
        left_keys, left = [*missing], len(missing)
    reasons = _reasons(exam, [*left_keys, None], quantity)
    head = f"{left} of {total} counted events without {what}"
    return head + (": " + "; ".join(reasons) if reasons else " (no reason recorded)")


# --------------------------------------------------------------------------- the view


def summarise(
    person_id: int,
    pseudonym: str,
    exams: Sequence[ExamRecord],
    window: Window,
    basis: WeightBasis = WeightBasis.ICRP103,
) -> CumulativeDose:
    """The cumulative view from exam records (pure: no database access).

    One pass over the exams of the window (a person may have hundreds): each exam's
    estimates are split by quantity once, its events summed once.
    """
    inside = [e for e in exams if window.contains(e.study_date)]
    undated = sum(1 for e in exams if e.study_date is None and window.bounded)
    total = len(inside)
    wanted = basis.value
    e_what = f"{wanted} effective dose"

    chosen_e: list[EstimateRecord] = []
    missing_e: list[MissingExam] = []
    other: dict[str, list[tuple[str, float]]] = defaultdict(list)
    by_modality: dict[str, list[tuple[str, float]]] = defaultdict(list)
    by_site: dict[str, list[tuple[str, float]]] = defaultdict(list)
    timeline: list[TimelinePoint] = []
    running = 0.0
    covered_e = 0
    organ_rows: dict[str, list[EstimateRecord]] = defaultdict(list)
    meanings: dict[str, str] = {}
    organ_missing: list[MissingExam] = []
    # device indicators: [sum, exams that reported it]
    sums = {name: [0.0, 0] for name in _INDICATORS}
    nuclides: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for exam in inside:
        uid = exam.study_instance_uid
        modality = exam.modality
        mine: list[EstimateRecord] = []
        elsewhere: set[str] = set()
        organ_x: list[EstimateRecord] = []
        for x in exam.estimates:
            quantity = x.quantity
            if quantity == _EFFECTIVE:
                if x.basis == wanted:
                    mine.append(x)
                else:
                    other[str(x.basis)].append((uid, x.value))
                    elsewhere.add(str(x.basis))
            elif quantity == _ORGAN:
                organ_x.append(x)
                if x.organ is not None:
                    organ_rows[x.organ].append(x)
                    if x.organ not in meanings:
                        meanings[x.organ] = x.organ_meaning or x.organ
        counted = exam.event_count
        why = _coverage(exam, counted, mine, e_what, _EFFECTIVE, wanted)
        if why is None:
            covered_e += 1
        else:
            if elsewhere:
                apart = ", ".join(sorted(elsewhere))
                why += f"; effective dose on {apart} kept apart (never added)"
            missing_e.append(MissingExam(uid, exam.study_date, modality, why))
        increment = 0.0
        for x in mine:
            increment += x.value
            by_modality[x.modality].append((uid, x.value))
            by_site[exam.establishment].append((uid, x.value))
        chosen_e.extend(mine)
        running += increment
        timeline.append(
            TimelinePoint(exam.study_date, uid, modality, exam.establishment, increment, running)
        )
        # an exam covers organ doses when every counted event has organ-dose estimates: the
        # model decides which organs it can estimate for an event (in-field and scatter organs)
        gap = _coverage(exam, counted, organ_x, "organ-dose estimates", _ORGAN)
        if gap is not None:
            organ_missing.append(MissingExam(uid, exam.study_date, modality, gap))
        _add_indicators(exam, sums)
        for event in exam.events:
            if event.activity_mbq is not None:
                nuclides[_nuclide(event.radionuclide)].append((uid, event.activity_mbq))
    effective = _dose_sum(chosen_e, "mSv", total, covered_e, missing_e)
    organ_covered = total - len(organ_missing)
    organs = tuple(
        OrganSum(
            code,
            meanings[code],
            _dose_sum(organ_rows[code], "mGy", total, organ_covered, organ_missing),
        )
        for code in sorted(organ_rows, key=lambda c: meanings[c].lower())
    )

    def indicator(name: str) -> IndicatorSum:
        value, contributing = sums[name]
        label, unit = _INDICATORS[name][:2]
        return IndicatorSum(label, value if contributing else None, unit, int(contributing))

    return CumulativeDose(
        person_id=person_id,
        pseudonym=pseudonym,
        window=window,
        exams=total,
        undated_excluded=undated,
        basis=wanted,
        effective=effective,
        effective_other_bases=tuple(
            OtherBasis(b, sum(v for _, v in rows), len({u for u, _ in rows}))
            for b, rows in sorted(other.items())
        ),
        effective_by_modality=_shares(by_modality),
        effective_by_establishment=_shares(by_site),
        organs=organs,
        ka_r=indicator("ka_r_gy"),
        kap=indicator("kap_gy_cm2"),
        dlp=indicator("dlp_mgy_cm"),
        fluoro_time=indicator("exposure_time_s"),
        activity=tuple(
            IndicatorSum(n, sum(v for _, v in rows), "MBq", len({u for u, _ in rows}))
            for n, rows in sorted(nuclides.items())
        ),
        timeline=tuple(timeline),
        skin=skin.summarise(inside),
    )


#: device indicators summed over counted events: attribute -> (label, unit, modality or None)
_INDICATORS: dict[str, tuple[str, str, str | None]] = {
    "ka_r_gy": ("Ka,r", "Gy", None),
    "kap_gy_cm2": ("KAP", "Gy.cm2", None),
    "dlp_mgy_cm": ("DLP", "mGy.cm", "CT"),  # a DLP means CT; other modalities' are not added
    "exposure_time_s": ("fluoroscopy time", "s", "RF"),
}


#: (name, position in an EventRecord, modality or None) of every device indicator
_INDICATOR_FIELDS = tuple(
    (name, EventRecord._fields.index(name), only) for name, (_, _, only) in _INDICATORS.items()
)


def _add_indicators(exam: ExamRecord, sums: dict[str, list[float]]) -> None:
    """Add the exam's counted events' indicators to ``sums`` (value, exams reporting it)."""
    events = exam.events
    for name, at, only in _INDICATOR_FIELDS:
        found = False
        value = 0.0
        for e in events:
            v = cast(float | None, e[at])  # an indicator field of the EventRecord
            if v is not None and (only is None or e.modality == only):
                found = True
                value += v
        if found:
            entry = sums[name]
            entry[0] += value
            entry[1] += 1


def _nuclide(code: str | None) -> str:
    if code is None:
        return "unknown"
    scheme, _, value = code.partition(":")
    return value if scheme == "SCT" else code


def _shares(groups: dict[str, list[tuple[str, float]]]) -> tuple[Share, ...]:
    return tuple(
        Share(key, sum(v for _, v in rows), len({u for u, _ in rows}))
        for key, rows in sorted(groups.items())
    )


def cumulative(
    session: Session,
    person_id: int,
    window: Window,
    basis: WeightBasis = WeightBasis.ICRP103,
) -> CumulativeDose:
    """The cumulative view of one person (see the module docstring)."""
    person = session.connection().execute(_PERSON, {"person_id": person_id}).first()
    if person is None:
        raise LedgerError(f"unknown person {person_id}")
    pseudonym, merged_into = person
    if merged_into is not None:
        raise LedgerError(f"person {person_id} was linked into person {merged_into}")
    return summarise(person_id, pseudonym, records.exams(session, person_id), window, basis)


def as_json(view: CumulativeDose) -> dict[str, object]:
    """The ``person show --cumulative --json`` object: exactly the keys of issue #7."""

    def r(value: float | None) -> float | None:
        return None if value is None else float(f"{value:.6g}")

    pct = view.effective.uncertainty_pct
    return {
        "person": view.pseudonym,
        "window": {
            "label": view.window.label,
            "from": view.window.start.isoformat() if view.window.start else None,
            "to": view.window.end.isoformat() if view.window.end else None,
        },
        "exams": view.exams,
        "effective_dose_msv": r(view.effective.value),
        "effective_dose_basis": view.basis,
        "effective_dose_exams_covered": view.effective.exams_covered,
        "organ_doses_mgy": {o.code: r(o.dose.value) for o in view.organs},
        "ka_r_gy": r(view.ka_r.value),
        "kap_gy_cm2": r(view.kap.value),
        "activity_mbq": {a.name: r(a.value) for a in view.activity},
        "uncertainty_pct": None if pct is None else round(pct, 1),
    }
