"""Estimates: patient doses computed from device indicators by an organ-dose model."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydicom.sr.coding import Code

from dosewatch.domain.findings import Finding
from dosewatch.domain.units import Quantity


class EstimateQuantity(enum.StrEnum):
    EFFECTIVE_DOSE = "effective_dose"  # mSv, with a tissue-weight basis
    ORGAN_DOSE = "organ_dose"  # mGy absorbed dose to one organ (SCT code)
    PEAK_SKIN_DOSE = "peak_skin_dose"  # mGy, always an estimate (often an upper bound)
    SSDE = "ssde"  # mGy, size-specific dose estimate (AAPM 204/220)
    ENTRANCE_SURFACE_DOSE = "entrance_surface_dose"  # mGy


class WeightBasis(enum.StrEnum):
    """Tissue-weighting basis of an effective dose. Never add across bases."""

    ICRP103 = "ICRP103"
    ICRP60 = "ICRP60"


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A reference-table number used by a model, with its provenance."""

    name: str
    value: float
    unit: str
    source: str
    locator: str  # table file and row key
    verification: str  # verified | verified_secondary | derived | unverified_recall


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimated dose with everything needed to explain and recompute it."""

    quantity: EstimateQuantity
    value: Quantity
    uncertainty_pct: float  # relative standard uncertainty, in percent (k=1)
    model_id: str
    model_version: str
    table_version: str
    event_uid: str | None = None  # None for a study-level estimate
    organ: Code | None = None  # SCT organ code for organ doses
    basis: WeightBasis | None = None  # effective dose only
    inputs: tuple[tuple[str, str], ...] = ()  # (name, value with unit or "assumed: ...")
    coefficients: tuple[Coefficient, ...] = ()
    method: str = ""  # the formula in words
    indicative: bool = False  # True when a non-verified reference row was used
    upper_bound: bool = False  # True when the value is a conservative bound, not a point
    findings: tuple[Finding, ...] = ()
