"""French NRD reference data: exam catalogue, NRD/VGD values and evaluation rules, as data.

The values are a verbatim transcription of ASN decision 2019-DC-0667 (in force 1 July 2019)
and of the superseded arrêté of 24 October 2011 (``data/nrd_france.csv``, each row with its
``verification`` level, see ``shared/reference/README.md``). ``data/exam_links.csv`` ties each
row to an exam type of ``data/exam_types.csv``; ``data/eval_rules.csv`` and
``data/paediatric_classes.csv`` hold the evaluation rules (patient count, weight band,
statistic, frequency). Nothing of this lives in code.

Policy: only ``verified``, ``verified_secondary`` and ``derived`` values are usable by default;
anything else is refused with a reason unless ``allow_unverified=True``, and the result then
says so. Values of a superseded regulation are usable for history and flagged ``obsolete``.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import Verification
from dosewatch.domain.regions import BodyRegion

CURRENT_REGULATION = "2019-DC-0667"
PACKAGED_VERSION = "packaged-2026-12"


class Population(enum.StrEnum):
    ADULT = "adult"
    PAEDIATRIC = "paediatric"


class Indicator(enum.StrEnum):
    """Dose indicators of the decision, with the ledger unit they are compared in."""

    PDS = "PDS"  # produit dose x surface (KAP), mGy·cm²
    DE = "DE"  # entrance surface dose, mGy (2011 only; not in the ledger)
    DMG = "DMG"  # dose moyenne glandulaire (AGD), mGy
    IDSV = "IDSV"  # indice de dose scanographique volumique (CTDIvol), mGy
    PDL = "PDL"  # produit dose x longueur (DLP), mGy·cm
    ACTIVITY = "ACT"  # administered activity, MBq

    @property
    def unit(self) -> str:
        return _INDICATOR_UNITS[self]


_INDICATOR_UNITS = {
    Indicator.PDS: "mGy.cm2",
    Indicator.DE: "mGy",
    Indicator.DMG: "mGy",
    Indicator.IDSV: "mGy",
    Indicator.PDL: "mGy.cm",
    Indicator.ACTIVITY: "MBq",
}
_INDICATOR_PREFIXES = (
    ("PDS", Indicator.PDS),
    ("DMG", Indicator.DMG),
    ("IDSV", Indicator.IDSV),
    ("PDL", Indicator.PDL),
    ("administered activity", Indicator.ACTIVITY),
    ("De", Indicator.DE),
)

REQUIRED_COLUMNS = (
    "regulation",
    "status",
    "modality",
    "exam_fr",
    "population",
    "weight_band_kg",
    "indicator",
    "unit",
    "nrd_value",
    "vgd_value",
    "source",
    "verification",
)


@dataclass(frozen=True, slots=True)
class ExamType:
    """A national exam type (the label is the decision's French label)."""

    code: str
    modality: str  # DICOM family: CT, DX, MG, XA, NM
    family: str  # the decision's modality heading, e.g. "scanographie"
    label_fr: str
    body_region: BodyRegion
    label_en: str
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """One NRD (and VGD where defined) for exam type x population x weight class x indicator."""

    regulation: str
    status: str
    family: str
    exam_type: str | None  # None: a row of the transcription not tied to an exam type
    exam_fr: str
    population: Population | None
    reference_weight_kg: float | None  # paediatric class reference weight
    indicator: Indicator | None
    unit: str
    nrd: float | None
    vgd: float | None
    verification: Verification
    source: str
    notes: str

    @property
    def obsolete(self) -> bool:
        """The authority has superseded or declared obsolete this value."""
        return self.status.startswith("superseded") or "obsolete" in self.notes.lower()


@dataclass(frozen=True, slots=True)
class EvaluationRule:
    """How many consecutive patients, which weights, which statistic (data, not code)."""

    regulation: str
    family: str
    population: Population
    min_patients: int
    weight_min_kg: float | None
    weight_max_kg: float | None
    statistic: str  # median | mean
    frequency: str
    verification: Verification
    source: str


@dataclass(frozen=True, slots=True)
class PaediatricClass:
    regulation: str
    reference_weight_kg: float
    weight_min_kg: float
    weight_max_kg: float
    age_indicative: str
    verification: Verification

    def contains(self, weight_kg: float) -> bool:
        return self.weight_min_kg <= weight_kg < self.weight_max_kg


@dataclass(frozen=True, slots=True)
class ReferenceSet:
    """One version of the reference values (packaged, or loaded by an administrator)."""

    version: str
    sha256: str
    values: tuple[ReferenceValue, ...]

    def regulations(self) -> list[str]:
        return sorted({v.regulation for v in self.values})


def _read(name: str) -> str:
    return resources.files("dosewatch.nrd").joinpath("data", name).read_text(encoding="utf-8")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _float(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise ReferenceDataError(f"{what}: {text!r} is not a number") from exc


@cache
def exam_types() -> dict[str, ExamType]:
    """The exam catalogue, by code."""
    out: dict[str, ExamType] = {}
    for row in _rows(_read("exam_types.csv")):
        out[row["code"]] = ExamType(
            code=row["code"],
            modality=row["modality"],
            family=row["family"],
            label_fr=row["label_fr"],
            body_region=BodyRegion(row["body_region"]),
            label_en=row["label_en"],
            aliases=tuple(a.strip() for a in row["aliases"].split("|") if a.strip()),
            source=row["source"],
        )
    return out


@cache
def _links() -> dict[tuple[str, str], str]:
    return {(r["family"], r["exam_fr"]): r["exam_type"] for r in _rows(_read("exam_links.csv"))}


def _indicator(text: str) -> Indicator | None:
    for prefix, indicator in _INDICATOR_PREFIXES:
        if text.startswith(prefix):
            return indicator
    return None


def parse_values(text: str, *, version: str) -> ReferenceSet:
    """Validate a CSV transcription (columns of ``nrd_france.csv``) into a :class:`ReferenceSet`.

    Raises :class:`ReferenceDataError` naming the line and column of the first problem; a
    half-valid file is never partly accepted.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ReferenceDataError(f"reference CSV lacks column(s) {', '.join(missing)}")
    links = _links()
    catalogue = exam_types()
    values: list[ReferenceValue] = []
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        try:
            verification = Verification(row["verification"].strip())
        except ValueError as exc:
            raise ReferenceDataError(
                f"{where}: unknown verification {row['verification']!r}"
            ) from exc
        indicator = _indicator(row["indicator"].strip())
        unit = row["unit"].strip()
        if indicator is not None and unit and unit != indicator.unit:
            raise ReferenceDataError(
                f"{where}: unit {unit!r} for {indicator.value}; expected {indicator.unit}"
            )
        population = Population(row["population"]) if row["population"].strip() else None
        nrd = (
            _float(row["nrd_value"], f"{where} nrd_value") if "/" not in row["nrd_value"] else None
        )
        vgd = _float(row["vgd_value"], f"{where} vgd_value")
        if nrd is not None and nrd <= 0:
            raise ReferenceDataError(f"{where}: nrd_value must be positive")
        if nrd is not None and vgd is not None and vgd > nrd:
            raise ReferenceDataError(f"{where}: VGD {vgd} above NRD {nrd}")
        if (
            verification.usable
            and indicator is not None
            and nrd is None
            and "/" not in row["nrd_value"]
        ):
            raise ReferenceDataError(f"{where}: {verification.value} row without nrd_value")
        exam_type = links.get((row["modality"], row["exam_fr"]))
        if exam_type is not None and exam_type not in catalogue:
            raise ReferenceDataError(f"{where}: exam type {exam_type} not in the catalogue")
        values.append(
            ReferenceValue(
                regulation=row["regulation"].strip(),
                status=row["status"].strip(),
                family=row["modality"].strip(),
                exam_type=exam_type,
                exam_fr=row["exam_fr"],
                population=population,
                reference_weight_kg=_float(row["weight_band_kg"], f"{where} weight_band_kg"),
                indicator=indicator,
                unit=unit,
                nrd=nrd,
                vgd=vgd,
                verification=verification,
                source=row["source"],
                notes=row.get("notes") or "",
            )
        )
    if not values:
        raise ReferenceDataError("reference CSV has no rows")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ReferenceSet(version=version, sha256=digest, values=tuple(values))


@cache
def packaged() -> ReferenceSet:
    """The reference values shipped with dosewatch."""
    return parse_values(_read("nrd_france.csv"), version=PACKAGED_VERSION)


@cache
def evaluation_rules() -> tuple[EvaluationRule, ...]:
    return tuple(
        EvaluationRule(
            regulation=r["regulation"],
            family=r["family"],
            population=Population(r["population"]),
            min_patients=int(r["min_patients"]),
            weight_min_kg=_float(r["weight_min_kg"], "weight_min_kg"),
            weight_max_kg=_float(r["weight_max_kg"], "weight_max_kg"),
            statistic=r["statistic"],
            frequency=r["frequency"],
            verification=Verification(r["verification"]),
            source=r["source"],
        )
        for r in _rows(_read("eval_rules.csv"))
    )


@cache
def paediatric_classes() -> tuple[PaediatricClass, ...]:
    return tuple(
        PaediatricClass(
            regulation=r["regulation"],
            reference_weight_kg=float(r["reference_weight_kg"]),
            weight_min_kg=float(r["weight_min_kg"]),
            weight_max_kg=float(r["weight_max_kg"]),
            age_indicative=r["age_indicative"],
            verification=Verification(r["verification"]),
        )
        for r in _rows(_read("paediatric_classes.csv"))
    )


def rule_for(
    rules: Iterable[EvaluationRule], regulation: str, family: str, population: Population
) -> EvaluationRule | None:
    for rule in rules:
        if (rule.regulation, rule.family, rule.population) == (regulation, family, population):
            return rule
    return None


def values_for(
    reference: ReferenceSet,
    exam_type: str,
    *,
    regulation: str,
    indicators: Sequence[Indicator] | None = None,
) -> list[ReferenceValue]:
    """Rows of ``regulation`` for ``exam_type``, every verification level (caller decides)."""
    return [
        v
        for v in reference.values
        if v.exam_type == exam_type
        and v.regulation == regulation
        and v.indicator is not None
        and (indicators is None or v.indicator in indicators)
    ]


def annex_status(reference: ReferenceSet, family: str, regulation: str) -> ReferenceValue | None:
    """The placeholder row of an annex of ``regulation`` not retrieved for ``family``, if any."""
    for v in reference.values:
        if (
            v.regulation == regulation
            and v.family == family
            and v.verification is (Verification.NOT_RETRIEVED)
        ):
            return v
    return None
