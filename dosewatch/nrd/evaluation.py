"""NRD evaluation engine (pure: records in, evaluations out; no database here).

For establishment x device x exam type x period: keep the eligible exams (population and
paediatric weight class, the rule's weight band, weight and height recorded, one acquisition /
projection for the per-acquisition indicators, indicator present), take the most recent
``min_patients`` of them in date order (the consecutive series), compute median and quartiles
(linear interpolation, numpy's default), compare the rule's statistic (median for 2019, mean
for 2011) with the NRD and the VGD. Too few eligible exams gives ``insufficient`` with n of N,
never a silent number. Values that are not verified are refused unless ``allow_unverified``
and are then labelled; values of a superseded regulation are labelled ``obsolete``.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from dosewatch.domain.errors import DoseWatchError
from dosewatch.nrd.reference import (
    CURRENT_REGULATION,
    EvaluationRule,
    Indicator,
    PaediatricClass,
    Population,
    ReferenceSet,
    ReferenceValue,
    annex_status,
    evaluation_rules,
    exam_types,
    packaged,
    paediatric_classes,
    rule_for,
    values_for,
)

#: below this age (years) a patient is evaluated against the paediatric values
ADULT_AGE_YEARS = 18.0
#: indicators defined per single acquisition / projection in the decision
PER_ACQUISITION = frozenset({Indicator.PDS, Indicator.IDSV, Indicator.PDL, Indicator.DMG})
#: indicators the ledger records (the 2011 entrance surface dose De is not one of them)
RECORDED = frozenset(
    {Indicator.PDS, Indicator.IDSV, Indicator.PDL, Indicator.DMG, Indicator.ACTIVITY}
)


class Status(enum.StrEnum):
    BELOW_VGD = "below_vgd"
    BETWEEN = "between"
    ABOVE_NRD = "above_nrd"
    INSUFFICIENT = "insufficient"


class NrdRefusal(DoseWatchError):
    """No comparison possible: value unverified / not retrieved, rule missing, ..."""

    code = "nrd.refused"


@dataclass(frozen=True, slots=True)
class ExamRecord:
    """One exam as the evaluation sees it (patient pseudonymised)."""

    study_id: int
    pseudonym: str
    device: str
    study_date: date
    exam_type: str
    modality: str
    age_years: float | None
    sex: str | None
    weight_kg: float | None
    height_m: float | None
    acquisitions: int
    indicators: dict[Indicator, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UsedExam:
    pseudonym: str
    study_date: date
    value: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    establishment: str
    device: str
    exam_type: str
    population: Population
    reference_weight_kg: float | None
    indicator: Indicator
    unit: str
    n: int
    n_required: int
    n_candidates: int
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    statistic: str
    nrd: float | None
    vgd: float | None
    status: Status
    reference_version: str
    regulation: str
    labels: tuple[str, ...]
    exams: tuple[UsedExam, ...]

    def as_json(self) -> dict[str, object]:
        """The issue's ``evaluate --json`` line, exactly."""
        return {
            "establishment": self.establishment,
            "device": self.device,
            "exam_type": self.exam_type,
            "indicator": self.indicator.value,
            "n": self.n,
            "median": self.median,
            "nrd": self.nrd,
            "vgd": self.vgd,
            "status": self.status.value,
            "reference_version": self.reference_version,
        }


@dataclass(frozen=True, slots=True)
class Refused:
    establishment: str
    device: str
    exam_type: str
    reason: str


def family_for(exam_family: str, population: Population) -> str:
    if population is Population.PAEDIATRIC and exam_family in {"radiographie", "scanographie"}:
        return f"{exam_family} pédiatrique"
    return exam_family


def population_of(record: ExamRecord) -> Population | None:
    if record.age_years is None:
        return None
    return Population.ADULT if record.age_years >= ADULT_AGE_YEARS else Population.PAEDIATRIC


def _class_of(weight: float | None, classes: Sequence[PaediatricClass]) -> PaediatricClass | None:
    if weight is None:
        return None
    return next((c for c in classes if c.contains(weight)), None)


def _eligible(
    record: ExamRecord,
    indicator: Indicator,
    rule: EvaluationRule,
    population: Population,
    ref_weight: float | None,
    classes: Sequence[PaediatricClass],
) -> bool:
    if population_of(record) is not population:
        return False
    if record.weight_kg is None or record.height_m is None:
        return False  # the decision evaluates patients with weight and height recorded
    if rule.weight_min_kg is not None and record.weight_kg < rule.weight_min_kg:
        return False
    if rule.weight_max_kg is not None and record.weight_kg > rule.weight_max_kg:
        return False
    if population is Population.PAEDIATRIC:
        klass = _class_of(record.weight_kg, classes)
        if klass is None or klass.reference_weight_kg != ref_weight:
            return False
    if indicator in PER_ACQUISITION and record.acquisitions != 1:
        return False
    return indicator in record.indicators


def _status(value: float, nrd: float, vgd: float | None) -> Status:
    if value > nrd:
        return Status.ABOVE_NRD
    if vgd is not None and value < vgd:
        return Status.BELOW_VGD
    return Status.BETWEEN


def _labels(value: ReferenceValue, rule: EvaluationRule) -> tuple[str, ...]:
    labels = []
    if not value.verification.usable:
        labels.append(
            f"unverified reference value ({value.verification.value}), allowed explicitly"
        )
    elif value.verification.value == "verified_secondary":
        labels.append("secondary source")
    if value.obsolete:
        labels.append(f"obsolete: {value.regulation} {value.status}")
    if not rule.verification.usable:
        labels.append(f"evaluation rule {rule.verification.value}: {rule.source}")
    return tuple(labels)


def evaluate_group(
    records: Sequence[ExamRecord],
    *,
    establishment: str,
    device: str,
    exam_type: str,
    reference: ReferenceSet | None = None,
    regulation: str = CURRENT_REGULATION,
    rules: Iterable[EvaluationRule] | None = None,
    classes: Iterable[PaediatricClass] | None = None,
    allow_unverified: bool = False,
) -> tuple[list[Evaluation], list[Refused]]:
    """Evaluate one device x exam type; ``records`` are that group's exams of the period."""
    reference = reference or packaged()
    rules = tuple(evaluation_rules() if rules is None else rules)
    classes = tuple(
        c
        for c in (paediatric_classes() if classes is None else classes)
        if c.regulation == regulation
    )
    exam = exam_types()[exam_type]
    values = values_for(reference, exam_type, regulation=regulation)
    refused: list[Refused] = []
    out: list[Evaluation] = []
    if not values:
        found = {p for p in (population_of(r) for r in records) if p is not None}
        for population in sorted(found or {Population.ADULT}):
            family = family_for(exam.family, population)
            annex = annex_status(reference, family, regulation)
            why = (
                f"{regulation} values for {family} not retrieved (transcribe the annex first)"
                if annex is not None
                else f"no {regulation} value for {exam.label_fr} ({population.value})"
            )
            refused.append(Refused(establishment, device, exam_type, why))
        return out, refused
    ordered = sorted(records, key=lambda r: (r.study_date, r.study_id))
    for value in values:
        assert value.indicator is not None and value.population is not None
        if value.indicator not in RECORDED:
            refused.append(
                Refused(
                    establishment,
                    device,
                    exam_type,
                    f"{value.indicator.value} ({value.regulation}) is not recorded in dose reports",
                )
            )
            continue
        family = family_for(exam.family, value.population)
        rule = rule_for(rules, regulation, family, value.population)
        if rule is None:
            refused.append(
                Refused(establishment, device, exam_type, f"no evaluation rule for {family}")
            )
            continue
        if not value.verification.usable and not allow_unverified:
            refused.append(
                Refused(
                    establishment,
                    device,
                    exam_type,
                    f"{value.indicator.value} value is {value.verification.value}; "
                    "refused (allow unverified values explicitly to use it)",
                )
            )
            continue
        if value.nrd is None:
            refused.append(
                Refused(establishment, device, exam_type, f"{value.indicator.value}: no NRD value")
            )
            continue
        eligible = [
            r
            for r in ordered
            if _eligible(
                r, value.indicator, rule, value.population, value.reference_weight_kg, classes
            )
        ]
        series = eligible[-rule.min_patients :]
        n = len(series)
        used = tuple(
            UsedExam(r.pseudonym, r.study_date, r.indicators[value.indicator]) for r in series
        )
        stats: tuple[float | None, float | None, float | None, float | None] = (
            None,
            None,
            None,
            None,
        )
        status = Status.INSUFFICIENT
        if n >= rule.min_patients:
            data = np.array([u.value for u in used], dtype=float)
            q1, median, q3 = (float(x) for x in np.percentile(data, [25, 50, 75]))
            mean = float(data.mean())
            stats = (median, q1, q3, mean)
            compared = median if rule.statistic == "median" else mean
            status = _status(compared, value.nrd, value.vgd)
        out.append(
            Evaluation(
                establishment=establishment,
                device=device,
                exam_type=exam_type,
                population=value.population,
                reference_weight_kg=value.reference_weight_kg,
                indicator=value.indicator,
                unit=value.indicator.unit,
                n=n,
                n_required=rule.min_patients,
                n_candidates=len(records),
                median=stats[0],
                q1=stats[1],
                q3=stats[2],
                mean=stats[3],
                statistic=rule.statistic,
                nrd=value.nrd,
                vgd=value.vgd,
                status=status,
                reference_version=reference.version,
                regulation=regulation,
                labels=_labels(value, rule),
                exams=used,
            )
        )
    return out, refused


def evaluate_records(
    records: Iterable[ExamRecord], *, establishment: str, **options: object
) -> tuple[list[Evaluation], list[Refused]]:
    """Every device x exam type present in ``records``."""
    groups: dict[tuple[str, str], list[ExamRecord]] = defaultdict(list)
    for r in records:
        groups[(r.device, r.exam_type)].append(r)
    evaluations: list[Evaluation] = []
    refusals: list[Refused] = []
    for (device, exam_type), group in sorted(groups.items()):
        ev, ref = evaluate_group(
            group,
            establishment=establishment,
            device=device,
            exam_type=exam_type,
            **options,  # type: ignore[arg-type]
        )
        evaluations.extend(ev)
        refusals.extend(ref)
    return evaluations, refusals
