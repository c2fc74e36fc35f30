"""Shared pieces of the models: settings, model descriptions, outcomes, uncertainty."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dosewatch.domain.errors import ReferenceDataError, ReferencePolicyRefusedError
from dosewatch.domain.estimate import (
    Coefficient,
    Estimate,
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimated,
    NotEstimatedReason,
    WeightBasis,
)
from dosewatch.domain.findings import Finding, FindingCode
from dosewatch.domain.units import Quantity
from organ_models.organs import Code
from organ_models.patient import Patient
from organ_models.tables import ReferencePolicy, table_versions

#: relative standard uncertainty (%) given to any result that used an indicative row
INDICATIVE_UNCERTAINTY_PCT = 100.0


@dataclass(frozen=True, slots=True)
class EstimationSettings:
    """What the caller chose: reference policy and preferred tissue-weight basis."""

    policy: ReferencePolicy = field(default_factory=ReferencePolicy)
    basis: WeightBasis = WeightBasis.ICRP103


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A registered model: id, version, the tables it reads and the defaults it may assume."""

    model_id: str
    version: str
    modality: str
    quantities: tuple[EstimateQuantity, ...]
    tables: tuple[str, ...]
    formula: str
    defaults: tuple[str, ...] = ()


@dataclass(slots=True)
class Outcome:
    """What a model produced for one event or study: estimates, refusals, findings."""

    estimates: list[Estimate] = field(default_factory=list)
    refused: list[NotEstimated] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.estimates.extend(other.estimates)
        self.refused.extend(other.refused)
        self.findings.extend(other.findings)

    def refuse(
        self,
        event_uid: str | None,
        reason: NotEstimatedReason,
        message: str,
        quantity: EstimateQuantity | None = None,
    ) -> None:
        self.refused.append(NotEstimated(event_uid, reason, message, quantity))


def combine_pct(*parts: float) -> float:
    """Relative uncertainties combined in quadrature (independent components)."""
    return round(math.sqrt(sum(p * p for p in parts)), 1)


def finding(code: FindingCode, message: str) -> Finding:
    return Finding(code, message)


def build(
    model: ModelInfo,
    quantity: EstimateQuantity,
    value: float,
    unit: str,
    uncertainty_pct: float,
    *,
    event_uid: str | None,
    coefficients: Sequence[Coefficient],
    inputs: Iterable[EstimateInput],
    method: str,
    organ: Code | None = None,
    basis: WeightBasis | None = None,
    upper_bound: bool = False,
    findings: Iterable[Finding] = (),
    extra_tables: Iterable[str] = (),
    origin: EstimateOrigin = EstimateOrigin.MODEL,
) -> Estimate:
    """An :class:`Estimate` with versions filled in and indicative rows flagged."""
    indicative = any(not c.verification.usable for c in coefficients)
    tables = {_table_of(c.locator) for c in coefficients} | set(extra_tables)
    tables.discard("")
    if indicative:
        uncertainty_pct = max(uncertainty_pct, INDICATIVE_UNCERTAINTY_PCT)
        method = f"INDICATIVE (unverified reference row used): {method}"
    return Estimate(
        quantity=quantity,
        value=Quantity(float(value), unit),
        uncertainty_pct=uncertainty_pct,
        model_id=model.model_id,
        model_version=model.version,
        table_version=table_versions(tables) if tables else "none",
        event_uid=event_uid,
        organ=organ,
        basis=basis,
        inputs=tuple(inputs),
        coefficients=tuple(coefficients),
        method=method,
        indicative=indicative,
        upper_bound=upper_bound,
        findings=tuple(findings),
        origin=origin,
    )


def qty(name: str, value: float, unit: str, text: str | None = None) -> EstimateInput:
    """A quantity input (``text`` says where it came from when that matters)."""
    return EstimateInput(name, quantity=Quantity(float(value), unit), text=text)


def assumed(
    name: str, text: str, value: float | None = None, unit: str | None = None
) -> EstimateInput:
    """A default used because the report did not give it; ``text`` says what and why."""
    quantity = None if value is None or unit is None else Quantity(float(value), unit)
    return EstimateInput(name, quantity=quantity, text=text, assumed=True)


def text_input(name: str, text: str, *, is_assumed: bool = False) -> EstimateInput:
    return EstimateInput(name, text=text, assumed=is_assumed)


def _table_of(locator: str) -> str:
    # "organ_models/data/<table>.csv row N"
    if not locator.startswith("organ_models/data/"):
        return ""
    return locator.removeprefix("organ_models/data/").split(".csv", 1)[0]


def words(*texts: str | None) -> list[str]:
    """Lower-case word tokens of free texts (protocol, descriptions) for keyword rules."""
    tokens: list[str] = []
    for text in texts:
        if not text:
            continue
        current = []
        for ch in text.lower():
            if ch.isalnum():
                current.append(ch)
            elif current:
                tokens.append("".join(current))
                current = []
        if current:
            tokens.append("".join(current))
    return tokens


#: keywords ending with this mark match whole words only ("cou=" is the French neck, not
#: "coude" (elbow) nor "coupes" (slices); "cap=" is chest-abdomen-pelvis, not "capsule")
WHOLE_WORD = "="


def has_keyword(tokens: Sequence[str], prefixes: Iterable[str]) -> bool:
    """True when a token starts with one of the keyword prefixes (or equals a ``word=``)."""
    wanted = tuple(prefixes)
    whole = {p.removesuffix(WHOLE_WORD) for p in wanted if p.endswith(WHOLE_WORD)}
    starts = tuple(p for p in wanted if not p.endswith(WHOLE_WORD))
    return any(token in whole or (starts and token.startswith(starts)) for token in tokens)


def refusal_reason(exc: ReferenceDataError) -> NotEstimatedReason:
    """The reason code of a failed reference lookup."""
    if isinstance(exc, ReferencePolicyRefusedError):
        return NotEstimatedReason.POLICY_REFUSED
    return NotEstimatedReason.NO_COEFFICIENT


def patient_inputs(patient: Patient, band: str | None = None) -> tuple[EstimateInput, ...]:
    """Age (and the ICRP reference age band used), sex, weight and height as inputs."""
    origin = dict(patient.origin)
    items: list[EstimateInput] = []
    if patient.age_years is None:
        items.append(assumed("age", "unknown: adult reference person assumed"))
    else:
        items.append(qty("age", patient.age_years, "a", origin.get("age_years", "unknown")))
    if band is not None:
        items.append(
            text_input("age_band", band, is_assumed=patient.age_years is None),
        )
    if patient.sex is None:
        items.append(assumed("sex", "unknown: sex-averaged coefficients"))
    else:
        items.append(text_input("sex", f"{patient.sex} ({origin.get('sex', 'unknown')})"))
    if patient.weight_kg is not None:
        items.append(qty("weight", patient.weight_kg, "kg", origin.get("weight_kg", "unknown")))
    if patient.height_cm is not None:
        items.append(qty("height", patient.height_cm, "cm", origin.get("height_cm", "unknown")))
    return tuple(items)
