"""Fluoroscopy / interventional effective dose per event: E = c(procedure, age[, Cu]) x KAP.

The procedure is decided from a procedure code first, then (device implantation excluded)
from the study descriptions, then from the device's department (a cardiac laboratory gives a
generic cardiac factor, with a finding). Coefficients:

* adults, cardiology: Brambilla 2017 (coronary angiography 0.30, PCI 0.33) and Vano 2019
  (per event by added Cu filtration 0.16-0.40; a lab without Cu 0.21), ICRP 103,
  ``fluoro_conversion.csv``;
* adults, uterine artery embolisation (Vetter 2004, 0.57) and ERCP (Larkin 2001, diagnostic
  0.23, therapeutic 0.19): E/DAP derived from the published mean E and DAP, ICRP 60 era,
  ``fluoro_e_per_kap.csv`` (``derived``);
* children, cardiac catheterisation: Karambatsakidou 2009 CF(E) by ICRP reference age
  (newborn 3.7, 1 y 1.9, 5 y 1.0, 10 y 0.6, 15 y 0.4; ICRP 60 w_T), cross-checked against
  Ubeda 2017 (medians by age range); a difference above 25 % is stated and added to the
  uncertainty. Other paediatric procedures: refused (adult factors would understate a
  child's E several-fold).

ICRP 60-based values keep basis ICRP60 (never added to ICRP 103 doses). Everything without a
verified coefficient is refused with the missing coefficient named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dosewatch.domain.codes import COPPER_KEYS, code_key
from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import EstimateQuantity, NotEstimatedReason, WeightBasis
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import DoseReport, ProjectionIrradiationEvent
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    build,
    combine_pct,
    finding,
    has_keyword,
    patient_inputs,
    qty,
    refusal_reason,
    text_input,
    words,
)
from organ_models.patient import Patient, age_band
from organ_models.tables import ReferenceRow, load_table

ADDITIONS: Final = "fluoro_e_per_kap"
EFFECTIVE = ModelInfo(
    model_id="rf.effective.kap",
    version="2.0.0",
    modality="RF",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=("fluoro_conversion", ADDITIONS),
    formula="E = c(procedure, age band[, Cu filtration]) x KAP",
    defaults=("adult when the age is unknown",),
)

E_PCT = 30.0
#: procedure taken from the device's department only (no code, no description)
FROM_DEVICE_PCT = 30.0
#: a ``derived`` factor (ratio of published means, not a published factor)
DERIVED_PCT = 30.0
AGE_DEFAULT_PCT = 20.0
#: two sources differing by more than this share are stated (finding)
DISAGREEMENT_SHARE = 0.25

CARDIAC: Final = frozenset(
    {"PCI", "coronary_angiography", "cardiac_catheterisation", "cardiac_procedure"}
)
#: procedure codes (SCT) -> procedure
PROCEDURE_BY_CODE: Final[Mapping[tuple[str, str], str]] = {
    ("SCT", "41976001"): "cardiac_catheterisation",  # Cardiac catheterization
    ("SCT", "33367005"): "coronary_angiography",  # Angiography of coronary artery
    ("SCT", "41339005"): "PCI",  # Percutaneous transluminal coronary angioplasty
}
#: keyword prefixes -> procedure (descriptions; English, French and a few others)
PROCEDURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("pci", "ptca", "angioplast", "stent"), "PCI"),
    (("coro", "coronar", "cardiac", "cardiaq", "cardio", "kardio"), "coronary_angiography"),
    (("catheteris", "cathéteris", "cathétéris", "catheteriz", "hck="), "cardiac_catheterisation"),
    (("tips",), "TIPS"),
    (("chemoembol", "tace"), "hepatic_chemoembolisation"),
    (("embolisation", "embolization", "uae"), "uterine_artery_embolisation"),
    (("cerebral", "neuro", "anevrism", "aneurysm"), "cerebral_angiography_embolisation"),
    (("ercp", "cpre", "wirsung"), "ERCP"),
    (("lavement", "enema"), "barium_enema"),
    (("swallow", "tog", "oesophag", "esophag", "transit"), "barium_swallow_meal"),
)
#: device implantation (pacemaker, defibrillator): no verified E/KAP; never coronary factors
DEVICE_IMPLANT = ("pacemaker", "pace=", "stimulat", "defibril", "icd=", "crt=", "resynchro")
#: department / station words of a cardiac laboratory
CARDIAC_LAB = ("cardio", "kardio", "hemodyn", "hémodyn", "cathlab", "cath=")
#: ERCP with a therapeutic act (sphincterotomy, stent, stone extraction)
THERAPEUTIC = ("sphinct", "prothese", "prothèse", "stent", "extraction", "therapeut")
CU_LEVELS_MM = (0.0, 0.1, 0.4, 0.9)

#: additions rows (``exam_or_organ``, ``population``) per procedure for adults
ADULT_ADDITIONS: Final[Mapping[str, tuple[str, str]]] = {
    "uterine_artery_embolisation": ("uterine artery embolisation", "adult female"),
    "ERCP diagnostic": ("ERCP, diagnostic", "adult"),
    "ERCP therapeutic": ("ERCP, therapeutic", "adult"),
}
PAEDIATRIC_CARDIAC: Final = (
    "paediatric cardiac catheterisation (diagnostic and interventional, single factor)"
)
KARAMBATSAKIDOU_POPULATION: Final[Mapping[str, str]] = {
    "0y": "paediatric neonate",
    "1y": "paediatric 1 y",
    "5y": "paediatric 5 y",
    "10y": "paediatric 10 y",
    "15y": "paediatric 15 y",
}
UBEDA: Final = "paediatric interventional cardiology (diagnostic + therapeutic)"
#: Ubeda 2017 age ranges (upper limit, exclusive, years) -> population label
UBEDA_RANGES: Final = (
    (1.0, "paediatric <1 y"),
    (5.0, "paediatric 1-<5 y"),
    (10.0, "paediatric 5-<10 y"),
    (16.0, "paediatric 10-<16 y"),
)

_E = EstimateQuantity.EFFECTIVE_DOSE


def _tokens(report: DoseReport) -> list[str]:
    study = report.study
    return words(
        study.study_description, study.requested_procedure_description, study.series_description
    )


def procedure_of(report: DoseReport) -> tuple[str | None, str]:
    """(procedure, how it was decided): code, then description, then the device."""
    study = report.study
    codes = [c for c in (study.requested_procedure_code, *study.procedure_codes) if c]
    for code in codes:
        procedure = PROCEDURE_BY_CODE.get(code_key(code))
        if procedure is not None:
            return procedure, "procedure code"
    tokens = _tokens(report)
    if has_keyword(tokens, DEVICE_IMPLANT):
        return "device_implantation", "description"
    for prefixes, procedure in PROCEDURES:
        if has_keyword(tokens, prefixes):
            if procedure == "ERCP":
                kind = "therapeutic" if has_keyword(tokens, THERAPEUTIC) else "diagnostic"
                return f"ERCP {kind}", "description"
            return procedure, "description"
    device = report.device
    if has_keyword(words(device.institutional_department, device.station_name), CARDIAC_LAB):
        return "cardiac_procedure", "device department"
    return None, "not found"


def copper_mm(event: ProjectionIrradiationEvent) -> float | None:
    for f in event.filters:
        if f.material is not None and code_key(f.material) in COPPER_KEYS:
            thickness = f.thickness_maximum or f.thickness_minimum
            if thickness is not None:
                return thickness.value_in("mm")
    return None


def _additions_row(exam: str, population: str) -> ReferenceRow | None:
    for row in load_table(ADDITIONS).rows:
        if row.get("exam_or_organ") == exam and row.get("population") == population:
            return row
    return None


def ubeda_population(age_years: float) -> str | None:
    for limit, label in UBEDA_RANGES:
        if age_years < limit:
            return label
    return None


def effective_dose_for_event(
    event: ProjectionIrradiationEvent,
    report: DoseReport,
    settings: EstimationSettings,
    patient: Patient | None = None,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    patient = patient if patient is not None else Patient()
    if event.dose_area_product is None:
        out.refuse(
            uid, NotEstimatedReason.MISSING_INPUT, "effective dose: no Dose Area Product", _E
        )
        return out
    procedure, how = procedure_of(report)
    if procedure is None:
        out.refuse(
            uid,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "effective dose: procedure type not recognised (no procedure code, no procedure "
            "keyword in the descriptions, not a cardiac laboratory; E/KAP coefficients are "
            "procedure-specific)",
            _E,
        )
        return out
    if procedure == "device_implantation":
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            "effective dose: pacemaker / cardiac device implantation has no verified E/KAP "
            "(fluoro_e_per_kap: not_found); coronary factors are not used for it",
            _E,
        )
        return out
    band = age_band(patient.age_years)
    if band != "adult":
        if procedure in CARDIAC:
            return _paediatric_cardiac(event, patient, band, how, settings)
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: patient in age band {band}; no paediatric E/KAP for {procedure} "
            "in the reference tables (adult factors would understate a child's E 3-7x)",
            _E,
        )
        return out
    return _adult(event, patient, procedure, how, settings)


def _adult(
    event: ProjectionIrradiationEvent,
    patient: Patient,
    procedure: str,
    how: str,
    settings: EstimationSettings,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    assert event.dose_area_product is not None
    kap = event.dose_area_product.value_in("Gy.cm2")
    parts = [E_PCT]
    findings: list[Finding] = []
    basis = WeightBasis.ICRP103
    if patient.age_years is None:
        parts.append(AGE_DEFAULT_PCT)
    if how == "device department":
        parts.append(FROM_DEVICE_PCT)
        findings.append(
            finding(
                FindingCode.MODEL_PROCEDURE_FROM_DEVICE,
                "fluoroscopy procedure not coded nor described; the device's department is a "
                f"cardiac laboratory: generic cardiac E/KAP (+{FROM_DEVICE_PCT:g} %)",
            )
        )
    cu = copper_mm(event) if procedure in CARDIAC else None
    if procedure in ADULT_ADDITIONS:
        row = _additions_row(*ADULT_ADDITIONS[procedure])
        if row is None or not settings.policy.admits(row.verification) or row.value is None:
            out.refuse(
                uid,
                NotEstimatedReason.NO_COEFFICIENT,
                f"effective dose: no usable E/KAP for {procedure} in {ADDITIONS}.csv",
                _E,
            )
            return out
        parts.append(DERIVED_PCT)
        basis = WeightBasis.ICRP60
        factor = "E/DAP derived from published mean E and DAP (ICRP 60 era)"
    else:
        table = load_table("fluoro_conversion")
        try:
            if cu is not None:
                level = min(CU_LEVELS_MM, key=lambda x: abs(x - cu))
                row = table.lookup(
                    settings.policy,
                    record_type="E_per_KAP",
                    procedure_or_quantity="cardiac_radiation_event_by_Cu_filtration",
                    qualifier=f"Cu={level:.1f} mm",
                )
                factor = f"per-event factor for {level:.1f} mm Cu (reported {cu:g} mm)"
            else:
                name = {
                    "cardiac_procedure": "cardiac_procedures_no_Cu_cine",
                    "cardiac_catheterisation": "coronary_angiography",
                }.get(procedure, procedure)
                row = table.lookup(
                    settings.policy, record_type="E_per_KAP", procedure_or_quantity=name
                )
                factor = f"procedure factor ({name})"
        except ReferenceDataError as exc:
            out.refuse(uid, refusal_reason(exc), f"effective dose: {exc}", _E)
            return out
    if basis is not settings.basis:
        findings.append(
            finding(
                FindingCode.MODEL_BASIS_FALLBACK,
                f"no {settings.basis} E/KAP for {procedure}; the {basis} factor is used and "
                f"labelled {basis} (never added to {settings.basis} doses)",
            )
        )
    c = row.require_value()
    out.findings.extend(findings)
    out.estimates.append(
        build(
            EFFECTIVE,
            _E,
            c * kap,
            "mSv",
            combine_pct(*parts),
            event_uid=uid,
            coefficients=(row.coefficient(f"E/KAP {procedure}", unit="mSv/(Gy.cm2)"),),
            inputs=(
                qty("kap", kap, "Gy.cm2", "event Dose Area Product"),
                text_input("procedure", f"{procedure} (from {how})"),
                text_input("factor", factor),
                *patient_inputs(patient),
            ),
            method=f"E = c x KAP = {c:g} mSv/(Gy.cm2) x {kap:g} Gy.cm2",
            basis=basis,
            findings=findings,
        )
    )
    return out


def _paediatric_cardiac(
    event: ProjectionIrradiationEvent,
    patient: Patient,
    band: str,
    how: str,
    settings: EstimationSettings,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    assert event.dose_area_product is not None and patient.age_years is not None
    row = _additions_row(PAEDIATRIC_CARDIAC, KARAMBATSAKIDOU_POPULATION[band])
    if row is None or not settings.policy.admits(row.verification) or row.value is None:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: no usable paediatric cardiac E/KAP for age band {band}",
            _E,
        )
        return out
    c = row.require_value()
    spread = row.plus_minus() or 0.0
    parts = [E_PCT, 100.0 * spread / c]
    findings: list[Finding] = []
    coefficients = [row.coefficient(f"CF(E) paediatric cardiac {band}", unit="mSv/(Gy.cm2)")]
    population = ubeda_population(patient.age_years)
    other = _additions_row(UBEDA, population) if population is not None else None
    if other is not None and other.value is not None and settings.policy.admits(other.verification):
        difference = abs(other.value - c) / c
        coefficients.append(
            other.coefficient(f"E/DAP median {population} (cross-check)", unit="mSv/(Gy.cm2)")
        )
        if difference > DISAGREEMENT_SHARE:
            parts.append(100.0 * difference)
            findings.append(
                finding(
                    FindingCode.MODEL_SOURCES_DISAGREE,
                    f"paediatric cardiac E/KAP: Karambatsakidou 2009 {c:g} vs Ubeda 2017 "
                    f"{other.value:g} mSv/(Gy.cm2) ({population}); the difference "
                    f"({difference:.0%}) is added to the uncertainty",
                )
            )
    if settings.basis is not WeightBasis.ICRP60:
        findings.append(
            finding(
                FindingCode.MODEL_BASIS_FALLBACK,
                "paediatric cardiac E/KAP exists only with ICRP 60 weights (Karambatsakidou "
                "2009; ICRP 103 would be 10-30 % higher): labelled ICRP60",
            )
        )
    kap = event.dose_area_product.value_in("Gy.cm2")
    out.findings.extend(findings)
    out.estimates.append(
        build(
            EFFECTIVE,
            _E,
            c * kap,
            "mSv",
            combine_pct(*parts),
            event_uid=uid,
            coefficients=coefficients,
            inputs=(
                qty("kap", kap, "Gy.cm2", "event Dose Area Product"),
                text_input("procedure", f"paediatric cardiac catheterisation (from {how})"),
                *patient_inputs(patient, band),
            ),
            method=f"E = CF(E) x KAP = {c:g} mSv/(Gy.cm2) x {kap:g} Gy.cm2 (Karambatsakidou "
            f"2009, ICRP reference age {band}, ICRP 60 w_T)",
            basis=WeightBasis.ICRP60,
            findings=findings,
        )
    )
    return out
