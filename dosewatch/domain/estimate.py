"""Estimates: patient doses computed from device indicators by an organ-dose model.

The vocabulary shared by the organ models, the ledger and the cumulative views:

* :class:`Estimate` — one dose with everything needed to explain and recompute it: typed
  :class:`EstimateInput` values (quantities with units, codes, texts, each marked when
  assumed), the :class:`Coefficient` rows used with their source and :class:`Verification`
  level, and its :class:`EstimateOrigin` (a model's estimate vs a value a device or report
  supplied, such as an RRDSR organ dose or a scanner SSDE).
* :class:`NotEstimated` — why a quantity was not estimated, as a :class:`NotEstimatedReason`
  code plus a message naming what is missing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydicom.sr.coding import Code

from dosewatch.domain.findings import Finding
from dosewatch.domain.units import Quantity


class EstimateQuantity(enum.StrEnum):
    EFFECTIVE_DOSE = "effective_dose"  # mSv, with a tissue-weight basis
    ORGAN_DOSE = "organ_dose"  # mGy absorbed dose to one organ (SCT code)
    PEAK_SKIN_DOSE = "peak_skin_dose"  # mGy, always an estimate (often an upper bound)
    SSDE = "ssde"  # mGy, size-specific dose estimate (AAPM 204/220/293)
    ENTRANCE_SURFACE_DOSE = "entrance_surface_dose"  # mGy


class WeightBasis(enum.StrEnum):
    """Tissue-weighting basis of an effective dose. Never add across bases."""

    ICRP103 = "ICRP103"
    ICRP60 = "ICRP60"


class EstimateOrigin(enum.StrEnum):
    """Where a dose value comes from."""

    #: computed by a dosewatch model from device indicators and reference coefficients
    MODEL = "model"
    #: supplied by the device or the dose report (RRDSR organ dose, scanner SSDE, device AGD)
    REPORTED = "reported"


class Verification(enum.StrEnum):
    """Verification level of a reference-table row (shared/reference/README.md).

    Defined once; the table loader and the reference policy use these members.
    """

    #: read in a primary source or a faithful reproduction of it
    VERIFIED = "verified"
    #: read in a secondary transcription; checks passed, not compared with the original
    VERIFIED_SECONDARY = "verified_secondary"
    #: computed from verified numbers (method in the row's notes)
    DERIVED = "derived"
    #: literature value not found in any source: indicative placeholder only
    UNVERIFIED_RECALL = "unverified_recall"
    #: known to exist, value left blank
    NOT_RETRIEVED = "not_retrieved"
    #: looked for and not reached (additions-2026-12): a row that records the gap
    NOT_FOUND = "not_found"

    @property
    def usable(self) -> bool:
        """True for levels usable in patient-facing output by default."""
        return self in _USABLE

    @property
    def indicative(self) -> bool:
        """True for levels usable only when explicitly allowed, and then labelled."""
        return self is Verification.UNVERIFIED_RECALL

    @property
    def has_value(self) -> bool:
        """False for levels that record a gap (no number)."""
        return self not in (Verification.NOT_RETRIEVED, Verification.NOT_FOUND)


_USABLE = frozenset({Verification.VERIFIED, Verification.VERIFIED_SECONDARY, Verification.DERIVED})


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A reference-table number used by a model, with its provenance."""

    name: str
    value: float
    unit: str
    source: str
    locator: str  # table file and row key
    verification: Verification


@dataclass(frozen=True, slots=True)
class EstimateInput:
    """One input of an estimate: a quantity with its unit, a code, or a text.

    ``assumed`` marks a default used because the report did not give the value (the text
    then says what was assumed and why).
    """

    name: str
    quantity: Quantity | None = None
    code: Code | None = None
    text: str | None = None
    assumed: bool = False

    def describe(self) -> str:
        """``12.5 mGy.cm``, ``head (target region code)``, with ``(assumed)`` when assumed."""
        parts: list[str] = []
        if self.quantity is not None:
            parts.append(str(self.quantity))
        if self.code is not None:
            parts.append(f"{self.code.meaning} ({self.code.scheme_designator} {self.code.value})")
        if self.text:
            parts.append(self.text if not parts else f"({self.text})")
        if self.assumed:
            parts.append("(assumed)")
        return " ".join(parts) if parts else "unknown"

    def to_json(self) -> dict[str, Any]:
        """The stored shape (ledger ``inputs`` JSON): recomputable with :meth:`from_json`."""
        return {
            "name": self.name,
            "value": None if self.quantity is None else self.quantity.value,
            "unit": None if self.quantity is None else self.quantity.unit,
            "code": None
            if self.code is None
            else {
                "scheme": self.code.scheme_designator,
                "value": self.code.value,
                "meaning": self.code.meaning,
            },
            "text": self.text,
            "assumed": self.assumed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EstimateInput:
        """The input stored by :meth:`to_json`."""
        code = data.get("code")
        value, unit = data.get("value"), data.get("unit")
        return cls(
            name=str(data["name"]),
            quantity=None if value is None or unit is None else Quantity(float(value), str(unit)),
            code=None
            if not code
            else Code(str(code["value"]), str(code["scheme"]), str(code["meaning"])),
            text=data.get("text"),
            assumed=bool(data.get("assumed", False)),
        )


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
    inputs: tuple[EstimateInput, ...] = ()
    coefficients: tuple[Coefficient, ...] = ()
    method: str = ""  # the formula in words
    indicative: bool = False  # True when a non-verified reference row was used
    upper_bound: bool = False  # True when the value is a conservative bound, not a point
    findings: tuple[Finding, ...] = ()
    origin: EstimateOrigin = EstimateOrigin.MODEL

    def input(self, name: str) -> EstimateInput | None:
        """The input called ``name``, or None."""
        return next((i for i in self.inputs if i.name == name), None)


class NotEstimatedReason(enum.StrEnum):
    """Why a quantity was not estimated (the message names the missing item)."""

    #: a dose indicator the model needs is absent (DLP, CTDIvol, KAP, Ka,r, activity, AGD...)
    MISSING_INPUT = "missing_input"
    #: the body region / exam / procedure / agent could not be decided
    UNKNOWN_CONTEXT = "unknown_context"
    #: the reference data has no coefficient for this case (named in the message)
    NO_COEFFICIENT = "no_coefficient"
    #: a coefficient exists but its verification level is refused by the reference policy
    POLICY_REFUSED = "policy_refused"
    #: the model does not apply (therapy, tomosynthesis without a T factor, ...)
    NOT_APPLICABLE = "not_applicable"
    #: the organ has no SCT code mapping
    NO_ORGAN_CODE = "no_organ_code"
    #: the report has no irradiation events
    NO_EVENTS = "no_events"


@dataclass(frozen=True, slots=True)
class NotEstimated:
    """An event (or the study, event_uid None) for which a quantity was not estimated."""

    event_uid: str | None
    reason: NotEstimatedReason
    message: str
    quantity: EstimateQuantity | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "event_uid": self.event_uid,
            "quantity": None if self.quantity is None else str(self.quantity),
            "reason": str(self.reason),
            "message": self.message,
        }
