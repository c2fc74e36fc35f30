"""Patient facts used by the models: age, sex, weight, height, with where each came from."""

from __future__ import annotations

from dataclasses import dataclass

from dosewatch.domain.errors import UnitError
from dosewatch.domain.findings import Finding, FindingCode
from dosewatch.domain.report import DoseReport

#: plausibility limits; values outside are dropped with a finding (vendor deviations)
MAX_AGE_YEARS = 125.0
MAX_WEIGHT_KG = 400.0
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 30.0, 250.0


@dataclass(frozen=True, slots=True)
class PatientOverrides:
    """Values given by a user (CLI ``--age`` ``--sex`` ``--weight-kg`` ``--height-cm``)."""

    age_years: float | None = None
    sex: str | None = None  # "M" | "F"
    weight_kg: float | None = None
    height_cm: float | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    """What the models know about the patient; ``origin`` says file/override per field."""

    age_years: float | None = None
    sex: str | None = None  # "M" | "F" | None (unknown or other: sex-averaged models)
    weight_kg: float | None = None
    height_cm: float | None = None
    origin: tuple[tuple[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def bmi(self) -> float | None:
        if self.weight_kg is None or self.height_cm is None:
            return None
        metres = self.height_cm / 100.0
        return self.weight_kg / (metres * metres)

    def describe(self, name: str) -> str:
        """``value (origin)`` of one field for an estimate's inputs."""
        value = getattr(self, name)
        origin = dict(self.origin).get(name, "unknown")
        return "unknown" if value is None else f"{value:g} ({origin})"


def _finding(message: str) -> Finding:
    return Finding(FindingCode.PATIENT_IMPLAUSIBLE, message)


def patient_from_report(report: DoseReport, overrides: PatientOverrides | None = None) -> Patient:
    """Patient facts from the report, each replaced by an override when one is given.

    Implausible values (ages over 125 years, zero weights, heights in the wrong unit) are
    dropped with a finding rather than used.
    """
    facts = report.patient
    findings: list[Finding] = []
    origin: dict[str, str] = {}

    age: float | None = None
    if facts.age is not None:
        try:
            age = facts.age.value_in("a")
        except UnitError:
            age = None
        if age is not None and not 0.0 <= age <= MAX_AGE_YEARS:
            findings.append(_finding(f"patient age {facts.age} ignored (implausible)"))
            age = None
    if age is not None:
        origin["age_years"] = "file"

    sex = facts.sex.strip().upper() if facts.sex else None
    if sex not in ("M", "F"):
        sex = None
    else:
        origin["sex"] = "file"

    weight: float | None = None
    if facts.weight is not None:
        try:
            weight = facts.weight.value_in("kg")
        except UnitError:
            weight = None
        if weight is not None and not 0.0 < weight <= MAX_WEIGHT_KG:
            findings.append(_finding(f"patient weight {facts.weight} ignored (implausible)"))
            weight = None
    if weight is not None:
        origin["weight_kg"] = "file"

    height: float | None = None
    if facts.height is not None:
        try:
            height = facts.height.value_in("cm")
        except UnitError:
            height = None
        if height is not None and not MIN_HEIGHT_CM <= height <= MAX_HEIGHT_CM:
            findings.append(_finding(f"patient height {facts.height} ignored (implausible)"))
            height = None
    if height is not None:
        origin["height_cm"] = "file"

    if overrides is not None:
        if overrides.age_years is not None:
            age, origin["age_years"] = overrides.age_years, "override"
        if overrides.sex is not None:
            wanted = overrides.sex.strip().upper()
            sex = wanted if wanted in ("M", "F") else None
            origin["sex"] = "override"
        if overrides.weight_kg is not None:
            weight, origin["weight_kg"] = overrides.weight_kg, "override"
        if overrides.height_cm is not None:
            height, origin["height_cm"] = overrides.height_cm, "override"

    return Patient(
        age_years=age,
        sex=sex,
        weight_kg=weight,
        height_cm=height,
        origin=tuple(sorted(origin.items())),
        findings=tuple(findings),
    )


# ICRP reference ages (newborn, 1, 5, 10, 15 y, adult) and the age limits used to pick one:
# the midpoints between reference ages, adult from 18 y.
AGE_BANDS: tuple[tuple[float, str], ...] = (
    (0.5, "0y"),
    (3.0, "1y"),
    (7.5, "5y"),
    (12.5, "10y"),
    (18.0, "15y"),
)


def age_band(age_years: float | None) -> str:
    """ICRP reference age band of an age; ``adult`` when the age is unknown."""
    if age_years is None:
        return "adult"
    for limit, band in AGE_BANDS:
        if age_years < limit:
            return band
    return "adult"
