"""CT organ absorbed doses from NCICT 2015: ``D_T = (D_T / CTDIvol) x CTDIvol``.

Coefficients: Lee, Kim, Bolch, Moroz, Folio, J Radiol Prot 2015;35:891 (NCICT), Table 1
(``data/ct_organ_dose_per_ctdivol_ncict2015.csv``, verified): organ absorbed dose per CTDIvol
for 33 organs, head / chest / abdomen-pelvis / chest-abdomen-pelvis scans, the ICRP reference
phantoms (newborn, 1, 5, 10 y male; 15 y and adult female and male), 120 kVp, no tube-current
modulation. CTDIvol phantom of the coefficients (table caption): 16 cm for every child and the
adult head, 32 cm for the adult body.

This is a separate model from Lee 2012 k x DLP (:mod:`organ_models.ct`) and from the AJR 2020
korg x DLP organ doses (:mod:`organ_models.ct_organs`): other phantoms, another method; rows
of the datasets are never combined.

* Phantom: chosen by the ICRP reference age band of the patient (``patient.age_band``) and by
  sex; sex unknown -> mean of the female and male phantoms where both are tabulated; children
  under 15 y have only the male phantom in Table 1 (used for girls too, with that said; their
  ovaries and uterus are not estimated). Testes and prostate come only from a male phantom,
  ovaries and uterus only from a female one.
* Organs out of the scan: Table 1 prints values below 0.02 as "—" (``<0.02``): the dose is
  taken as 0.01 x CTDIvol, the middle of [0, 0.02], with the uniform spread stated.
* Uncertainty (relative standard, k=1): 30 % for organs in the field (coefficient >= half the
  largest of the scan; patient size, scan range and tube-current modulation differ from the
  reference phantom and the NIH protocol), 100 % for organs at the edge or out of the field
  (scatter level, factor 2 doubt), plus the stated defaults (phantom, sex, age, kV).
* Not estimated, with the reason: neck, head-and-neck, cardiac, spine and limb scans (no
  NCICT 2015 scan region), and the ICRP 103 tissues that Table 1 does not list (bone surface,
  extrathoracic region, lymphatic nodes, oral mucosa). Table 1 organs without an ICRP 103
  role or code (rectosigmoid, trachea, shallow marrow) are not reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

from dosewatch.domain.estimate import Coefficient, EstimateInput, EstimateQuantity
from dosewatch.domain.estimate import NotEstimatedReason as Reason
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent, DoseReport
from dosewatch.domain.units import Quantity
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    assumed,
    build,
    combine_pct,
    finding,
    patient_inputs,
    qty,
    text_input,
)
from organ_models.ct import event_kv, event_region
from organ_models.organs import organ_code
from organ_models.patient import Patient, age_band
from organ_models.tables import BELOW_TABULATED, ReferencePolicy, ReferenceRow, load_table

TABLE: Final = "ct_organ_dose_per_ctdivol_ncict2015"
MODEL = ModelInfo(
    model_id="ct.organ.ncict2015",
    version="1.0.0",
    modality="CT",
    quantities=(EstimateQuantity.ORGAN_DOSE,),
    tables=(TABLE,),
    formula="D_T = (D_T / CTDIvol)(scan region, organ, ICRP reference phantom) x CTDIvol",
    defaults=(
        "adult reference phantom when the age is unknown",
        "mean of the female and male phantoms when the sex is unknown",
        "male phantom for children under 15 y (the only one tabulated)",
        "16 cm (head) / 32 cm (body) CTDI phantom when the report does not say",
    ),
)

IN_FIELD_PCT = 30.0
SCATTER_PCT = 100.0
#: an organ whose coefficient is at least this share of the scan's largest is "in field"
IN_FIELD_SHARE = 0.5
#: "—" in Table 1: below 0.02; the middle of [0, 0.02] is used
BELOW_TABULATED_VALUE = 0.01
#: relative standard uncertainty of a uniform distribution on [0, 2m] around m: 1/sqrt(3)
BELOW_TABULATED_PCT = 57.7
AGE_DEFAULT_PCT = 20.0
SEX_DEFAULT_PCT = 10.0
MALE_PHANTOM_FOR_GIRL_PCT = 10.0
PHANTOM_CONVERSION_PCT = 15.0
PHANTOM_ASSUMED_PCT = 15.0
#: Table 1 is for 120 kVp; organ dose per CTDIvol changes by ~10 % over 80-140 kV
KV_NOT_TABULATED_PCT = 10.0
TABULATED_KV = 120.0
KV_TOLERANCE = 10.0

#: our body region -> NCICT 2015 scan label (Table 1 column groups)
SCAN_OF_REGION: Final[Mapping[BodyRegion, str]] = {
    BodyRegion.HEAD: "head scan",
    BodyRegion.CHEST: "chest scan",
    BodyRegion.ABDOMEN_PELVIS: "abdomen-pelvis scan",
    BodyRegion.CHEST_ABDOMEN_PELVIS: "chest-abdomen-pelvis scan",
}

#: ICRP reference age band -> phantoms of that age in Table 1, by sex
PHANTOMS: Final[Mapping[str, Mapping[str, str]]] = {
    "0y": {"M": "ICRP reference phantom newborn male"},
    "1y": {"M": "ICRP reference phantom 1 y male"},
    "5y": {"M": "ICRP reference phantom 5 y male"},
    "10y": {"M": "ICRP reference phantom 10 y male"},
    "15y": {
        "F": "ICRP reference phantom 15 y female",
        "M": "ICRP reference phantom 15 y male",
    },
    "adult": {
        "F": "ICRP reference phantom adult female (35F)",
        "M": "ICRP reference phantom adult male (35M)",
    },
}

#: Table 1 organ -> tissue key (organ_models.organs); organs absent here are not reported
TISSUE_OF_ORGAN: Final[Mapping[str, str]] = {
    "Active marrow": "red_bone_marrow",
    "Adrenals": "adrenals",
    "Bladder": "bladder",
    "Brain": "brain",
    "Breast": "breast",
    "Colon": "colon",
    "Esophagus": "oesophagus",
    "Eye balls": "eye_balls",
    "Gall bladder": "gall_bladder",
    "Heart wall": "heart",
    "Kidney": "kidneys",
    "Lens": "lens_of_eye",
    "Liver": "liver",
    "Lungs": "lung",
    "Muscle": "muscle",
    "Oral cavity": "oral_cavity",
    "Ovaries": "ovary",
    "Pancreas": "pancreas",
    "Pituitary gland": "pituitary_gland",
    "Prostate": "prostate",
    "Salivary glands": "salivary_glands",
    "Skin": "skin",
    "Small intestine": "small_intestine",
    "Spinal cord": "spinal_cord",
    "Spleen": "spleen",
    "Stomach wall": "stomach",
    "Testes": "testis",
    "Thymus": "thymus",
    "Thyroid": "thyroid",
    "Uterus": "uterus_cervix",
}
#: organs of one sex: only that sex's phantom gives them
SEX_OF_ORGAN: Final[Mapping[str, str]] = {
    "Ovaries": "F",
    "Uterus": "F",
    "Testes": "M",
    "Prostate": "M",
}
#: ICRP 103 tissues with no Table 1 organ (stated as not estimated for every scan)
NOT_IN_TABLE: Final = (
    "bone surface (Table 1 gives 'shallow marrow'; no verified mapping to the endosteum)",
    "extrathoracic region",
    "lymphatic nodes",
    "oral mucosa (Table 1 gives the oral cavity)",
)

_Q = EstimateQuantity.ORGAN_DOSE


@dataclass(frozen=True, slots=True)
class _Choice:
    """The phantoms used for one patient and what was assumed to choose them."""

    band: str
    sex: str | None  # the patient's, when known
    by_sex: Mapping[str, str]  # sex -> population label actually used
    parts: tuple[float, ...]
    notes: tuple[str, ...]


def _choose(patient: Patient) -> _Choice:
    band = age_band(patient.age_years)
    tabulated = PHANTOMS[band]
    parts: list[float] = []
    notes: list[str] = []
    if patient.age_years is None:
        parts.append(AGE_DEFAULT_PCT)
    by_sex: dict[str, str]
    if patient.sex is not None and patient.sex in tabulated:
        by_sex = {patient.sex: tabulated[patient.sex]}
    elif patient.sex is not None:
        # a girl under 15 y: only the male phantom is tabulated
        by_sex = {"M": tabulated["M"]}
        parts.append(MALE_PHANTOM_FOR_GIRL_PCT)
        notes.append(f"only the male phantom is tabulated at age band {band}")
    else:
        by_sex = dict(tabulated)
        parts.append(SEX_DEFAULT_PCT)
    return _Choice(band, patient.sex, by_sex, tuple(parts), tuple(notes))


@cache
def _index() -> Mapping[tuple[str, str, str], ReferenceRow]:
    """(scan label, organ, population) -> Table 1 row."""
    out: dict[tuple[str, str, str], ReferenceRow] = {}
    for row in load_table(TABLE).rows:
        scan, sep, organ = row.get("exam_or_organ").partition(" | ")
        if sep and row.get("topic") == "ct_organ_dose_per_CTDIvol" and row.unit == "mGy/mGy":
            out[(scan, organ, row.get("population"))] = row
    return out


def coefficient_phantom_cm(band: str, region: BodyRegion) -> int:
    """CTDI phantom of the Table 1 coefficients (caption): 32 cm only for the adult body."""
    return 32 if band == "adult" and region is not BodyRegion.HEAD else 16


def _coefficient(row: ReferenceRow, policy: ReferencePolicy) -> float | None:
    """The row's D/CTDIvol (``<0.02`` -> 0.01), None when absent or refused."""
    if not policy.admits(row.verification):
        return None
    if row.get("value") == BELOW_TABULATED:
        return BELOW_TABULATED_VALUE
    return row.value


def organ_doses_for_event(
    event: CtIrradiationEvent,
    report: DoseReport,
    patient: Patient,
    settings: EstimationSettings,
) -> Outcome:
    """NCICT 2015 organ doses of one CT irradiation event, or the reasons why not."""
    out = Outcome()
    uid = event.irradiation_event_uid
    region, region_how = event_region(event, report)
    if region is None:
        out.refuse(uid, Reason.UNKNOWN_CONTEXT, "NCICT organ doses: body region unknown", _Q)
        return out
    scan = SCAN_OF_REGION.get(region)
    if scan is None:
        out.refuse(
            uid,
            Reason.NO_COEFFICIENT,
            f"NCICT organ doses: no organ dose per CTDIvol for a {region} scan (NCICT 2015 "
            "Table 1 covers head, chest, abdomen-pelvis and chest-abdomen-pelvis scans only)",
            _Q,
        )
        return out
    if event.ctdivol is None:
        out.refuse(uid, Reason.MISSING_INPUT, "NCICT organ doses: no CTDIvol in the event", _Q)
        return out
    choice = _choose(patient)
    parts = list(choice.parts)
    ctdivol = event.ctdivol.value_in("mGy")
    wanted_cm = coefficient_phantom_cm(choice.band, region)
    phantom_cm = event.phantom_diameter_cm
    inputs: list[EstimateInput] = [qty("ctdivol", ctdivol, "mGy", "event CTDIvol")]
    if phantom_cm is None:
        phantom_cm = 16 if region is BodyRegion.HEAD else 32
        parts.append(PHANTOM_ASSUMED_PCT)
        inputs.append(
            assumed("ctdi_phantom", "CTDIw phantom not reported", float(phantom_cm), "cm")
        )
    else:
        inputs.append(qty("ctdi_phantom", phantom_cm, "cm", "CTDIw phantom of the event"))
    ctdivol_used = ctdivol
    if phantom_cm != wanted_cm:
        ctdivol_used = ctdivol * (2.0 if (phantom_cm, wanted_cm) == (32, 16) else 0.5)
        parts.append(PHANTOM_CONVERSION_PCT)
    inputs.append(
        qty(
            "ctdivol_used",
            ctdivol_used,
            "mGy",
            f"CTDIvol in the {wanted_cm} cm phantom of the coefficients"
            + ("" if phantom_cm == wanted_cm else f", converted from the {phantom_cm} cm value"),
        )
    )
    kv = event_kv(event)
    if kv is None or abs(kv - TABULATED_KV) > KV_TOLERANCE:
        parts.append(KV_NOT_TABULATED_PCT)
    inputs.append(
        EstimateInput(
            "kv",
            Quantity(TABULATED_KV, "kV"),
            text="Table 1 is for 120 kVp"
            + (" (tube voltage not reported)" if kv is None else f" (reported {kv:g} kV)"),
            assumed=kv is None or abs(kv - TABULATED_KV) > KV_TOLERANCE,
        )
    )
    inputs.append(text_input("region", f"{scan} ({region_how})"))
    inputs.extend(patient_inputs(patient, choice.band))
    inputs.extend(text_input("phantom", label) for label in choice.by_sex.values())
    if choice.notes:
        out.findings.append(
            finding(
                FindingCode.MODEL_DEFAULT_ASSUMED,
                f"NCICT organ doses: {'; '.join(choice.notes)} (male phantom used)",
            )
        )
    _organs(out, uid, scan, choice, ctdivol_used, parts, tuple(inputs), settings.policy)
    out.refuse(
        uid,
        Reason.NO_COEFFICIENT,
        "NCICT organ doses not estimated for "
        + "; ".join(NOT_IN_TABLE)
        + ": no organ dose per CTDIvol in NCICT 2015 Table 1",
        _Q,
    )
    return out


def _organs(
    out: Outcome,
    uid: str | None,
    scan: str,
    choice: _Choice,
    ctdivol: float,
    parts: Sequence[float],
    inputs: tuple[EstimateInput, ...],
    policy: ReferencePolicy,
) -> None:
    index = _index()
    peak = max(
        (
            value
            for (s, _, population), row in index.items()
            if s == scan and population in choice.by_sex.values()
            for value in (_coefficient(row, policy),)
            if value is not None
        ),
        default=0.0,
    )
    missing_sex_organs: list[str] = []
    for organ, tissue in TISSUE_OF_ORGAN.items():
        code = organ_code(tissue)
        only = SEX_OF_ORGAN.get(organ)
        if only is not None and choice.sex not in (None, only):
            continue  # an organ of the other sex
        populations = [p for s, p in choice.by_sex.items() if only is None or s == only]
        if not populations:
            missing_sex_organs.append(organ.lower())
            continue
        rows = [index[(scan, organ, p)] for p in populations if (scan, organ, p) in index]
        values = [_coefficient(r, policy) for r in rows]
        used = [(r, v) for r, v in zip(rows, values, strict=True) if v is not None]
        if code is None or not used:
            continue
        c = sum(v for _, v in used) / len(used)
        below = any(r.get("value") == BELOW_TABULATED for r, _ in used)
        in_field = c >= IN_FIELD_SHARE * peak
        spread = [IN_FIELD_PCT if in_field else SCATTER_PCT, *parts]
        if below:
            spread.append(BELOW_TABULATED_PCT)
        coefficients: list[Coefficient] = [
            r.coefficient(f"D/CTDIvol {organ} {scan} {r.get('population')}", v, "mGy/mGy")
            for r, v in used
        ]
        where = "in the scan" if in_field else "at the edge of or outside the scan: scatter level"
        method = (
            f"D = (D/CTDIvol) x CTDIvol = {c:.4g} x {ctdivol:.4g} mGy (NCICT 2015 Table 1, {where}"
            + ("; Table 1 prints '—' (below 0.02): 0.01 used, uniform on 0-0.02" if below else "")
            + (f"; mean of {len(used)} phantoms" if len(used) > 1 else "")
            + ")"
        )
        out.estimates.append(
            build(
                MODEL,
                _Q,
                c * ctdivol,
                "mGy",
                combine_pct(*spread),
                event_uid=uid,
                organ=code,
                coefficients=coefficients,
                inputs=inputs,
                method=method,
            )
        )
    if missing_sex_organs:
        out.refuse(
            uid,
            Reason.NO_COEFFICIENT,
            f"NCICT organ doses: no {', '.join(missing_sex_organs)} coefficient in age band "
            f"{choice.band} (NCICT 2015 Table 1 tabulates only the male phantom at that age)",
            _Q,
        )
