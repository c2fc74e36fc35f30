"""CT organ absorbed doses per irradiation event.

* Adults, head / chest / abdomen-pelvis: ``D = korg(region, organ, sex, BMI class) x DLP``
  (AJR 2020, PMC7393764 Table 4, ICRP 110-type phantoms); sex unknown -> mean of both sexes;
  BMI unknown -> normal weight assumed.
* Adults, size-corrected when the RDSR gives a diameter: lungs in chest CT
  ``h = 4.04 exp(-0.035 d)`` and stomach in abdominal CT ``h = 3.78 exp(-0.0113 P)``,
  ``D = h x CTDIvol`` (Li 2012 / Turner 2011). Fit values above 30 cm are upper estimates.
* Children, chest CT: organs at the edge of or outside the scan (brain, lens, thyroid,
  salivary glands...) from Lee 2012 Table IV, ``D = h x CTDIvol`` (scatter-level doses).

Organs at the edge of or outside the scan carry a factor-2-5 uncertainty (100 %).
"""

from __future__ import annotations

import math

from dosewatch.domain.estimate import (
    Coefficient,
    Estimate,
    EstimateInput,
    EstimateQuantity,
    NotEstimatedReason,
)
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import CtIrradiationEvent, DoseReport
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    build,
    combine_pct,
    patient_inputs,
    qty,
    text_input,
)
from organ_models.common import assumed as assumed_input
from organ_models.ct import dlp_of, event_kv, event_region, nearest_kv, table_region
from organ_models.organs import organ_code, tissue_key_of
from organ_models.patient import Patient, age_band
from organ_models.tables import ReferenceRow, load_table

MODEL = ModelInfo(
    model_id="ct.organ.korg_h",
    version="1.0.0",
    modality="CT",
    quantities=(EstimateQuantity.ORGAN_DOSE,),
    tables=("ct_organ_dose_coefficients",),
    formula="D_organ = korg x DLP (adults) or h(size) x CTDIvol (size fits, children)",
    defaults=(
        "normal BMI class when weight or height is unknown",
        "mean of male and female coefficients when sex is unknown",
        "adult when the age is unknown",
    ),
)

IN_FIELD_PCT = 30.0  # +/-20-30 % for organs inside the scan range (reference README sec. 4)
KORG_PCT = 35.0  # DLP route: typical scan length built in
EDGE_PCT = 100.0  # factor 2-5 for organs at the edge or outside the scan
SIZE_DEFAULT_PCT = 20.0
SEX_DEFAULT_PCT = 10.0
DW_FOR_GEOMETRIC_PCT = 15.0
LEE_PHANTOM_PCT = 20.0

#: organs fully inside a standard scan of the region; others are at its edge or outside
IN_FIELD = {
    "head": {"brain", "lens_of_eye", "salivary_glands", "extrathoracic_region"},
    "chest": {"lung", "heart", "breast", "thymus"},
    "abdomen_pelvis": {"liver", "spleen", "stomach", "kidneys", "adrenals"},
}


def bmi_class(bmi: float | None) -> str | None:
    if bmi is None:
        return None
    if bmi < 25.0:
        return "adult_normal_weight"
    if bmi < 30.0:
        return "adult_overweight"
    if bmi < 35.0:
        return "adult_obese_I"
    if bmi < 40.0:
        return "adult_obese_II"
    return "adult_obese_III"


_Q = EstimateQuantity.ORGAN_DOSE


def kv_input(kv: int, kv_reported: float | None) -> EstimateInput:
    """The tabulated kV used, assumed (120 kV) when the tube voltage is not reported."""
    if kv_reported is None:
        return assumed_input("kv", "tube voltage not reported", kv, "kV")
    return qty("kv", kv, "kV", f"nearest tabulated; reported {kv_reported:g} kV")


def _mean_rows(rows: list[ReferenceRow]) -> float:
    return sum(r.require_value() for r in rows) / len(rows)


def organ_doses_for_event(
    event: CtIrradiationEvent,
    report: DoseReport,
    patient: Patient,
    settings: EstimationSettings,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    region, how = event_region(event, report)
    if region is None:
        out.refuse(uid, NotEstimatedReason.UNKNOWN_CONTEXT, "organ doses: body region unknown", _Q)
        return out
    region = table_region(region)
    band = age_band(patient.age_years)
    if band == "adult":
        out.extend(_adult(event, region, how, patient, settings))
    elif region == "chest":
        out.extend(_child_chest(event, band, patient, settings))
    else:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"organ doses: no paediatric coefficients for region {region} in the reference "
            "data (only chest-scan organs outside the field, Lee 2012)",
            _Q,
        )
    return out


def _adult(
    event: CtIrradiationEvent,
    region: str,
    region_how: str,
    patient: Patient,
    settings: EstimationSettings,
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    if region not in IN_FIELD:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"organ doses: no adult organ coefficients for region {region} (tables cover "
            "head, chest and abdomen-pelvis scans)",
            _Q,
        )
        return out
    dlp, dlp_findings = dlp_of(event)
    if dlp is None:
        out.refuse(uid, NotEstimatedReason.MISSING_INPUT, "organ doses: no DLP", _Q)
        return out
    table = load_table("ct_organ_dose_coefficients")
    policy = settings.policy
    size_class = bmi_class(patient.bmi)
    rows = table.select(policy, record_type="korg_DLP_normalised", scan_region=region)
    classes = {r.get("age_or_size_class") for r in rows}
    size_used = size_class if size_class in classes else "adult_normal_weight"
    phantom_expected = 16 if region == "head" else 32
    phantom = event.phantom_diameter_cm
    dlp_used = dlp
    extra: list[float] = []
    if phantom is not None and phantom != phantom_expected:
        dlp_used = dlp * (2.0 if phantom == 32 else 0.5)
        extra.append(15.0)
    if size_class is None or size_used != size_class:
        extra.append(SIZE_DEFAULT_PCT)
    if patient.sex is None:
        extra.append(SEX_DEFAULT_PCT)
    fitted = _size_fits(event, region, patient, settings)
    organs = sorted({r.get("organ") for r in rows})
    for organ in organs:
        key = tissue_key_of(organ)
        code = organ_code(key) if key else None
        if key is None or code is None:
            out.refuse(
                uid, NotEstimatedReason.NO_ORGAN_CODE, f"organ dose {organ}: no SCT code", _Q
            )
            continue
        if key in fitted:
            out.estimates.append(fitted[key])
            continue
        organ_rows = [
            r for r in rows if r.get("organ") == organ and r.get("age_or_size_class") == size_used
        ]
        if not organ_rows:
            organ_rows = [
                r
                for r in rows
                if r.get("organ") == organ and r.get("age_or_size_class") == "adult_normal_weight"
            ]
        if not organ_rows:
            continue
        if patient.sex is not None:
            # the patient's sex also when the organ falls back to the normal-weight rows
            wanted = "male" if patient.sex == "M" else "female"
            organ_rows = [r for r in organ_rows if r.get("sex") == wanted] or organ_rows
        korg = _mean_rows(organ_rows)
        base = KORG_PCT if key in IN_FIELD[region] else EDGE_PCT
        coefficients = tuple(
            r.coefficient(f"korg {organ} {r.get('sex')} {r.get('age_or_size_class')}")
            for r in organ_rows
        )
        out.estimates.append(
            build(
                MODEL,
                EstimateQuantity.ORGAN_DOSE,
                korg * dlp_used,
                "mGy",
                combine_pct(base, *extra),
                event_uid=uid,
                organ=code,
                coefficients=coefficients,
                inputs=(
                    qty("dlp", dlp, "mGy.cm", "event DLP"),
                    qty("dlp_used", dlp_used, "mGy.cm", f"{phantom_expected} cm phantom"),
                    text_input("region", f"{region} ({region_how})"),
                    text_input("size_class", size_used, is_assumed=size_class != size_used),
                    *patient_inputs(patient),
                ),
                method=f"D = korg x DLP = {korg:.4g} mGy/(mGy.cm) x {dlp_used:.4g} mGy.cm",
                findings=dlp_findings,
            )
        )
    return out


def _size_fits(
    event: CtIrradiationEvent, region: str, patient: Patient, settings: EstimationSettings
) -> dict[str, Estimate]:
    """Size-corrected lungs (chest) / stomach (abdomen) estimates when a diameter exists."""
    result: dict[str, Estimate] = {}
    if event.ctdivol is None:
        return result
    if event.derived_effective_diameter is not None:
        diameter = event.derived_effective_diameter.value_in("cm")
        metric, extra = "effective diameter (RDSR)", []
    elif event.water_equivalent_diameter is not None:
        diameter = event.water_equivalent_diameter.value_in("cm")
        metric, extra = "water-equivalent diameter used for a geometric one", [DW_FOR_GEOMETRIC_PCT]
    else:
        return result
    table = load_table("ct_organ_dose_coefficients")
    if region == "chest":
        key, size, organ = "lung", diameter, "lungs"
    elif region == "abdomen_pelvis":
        key, size, organ = "stomach", math.pi * diameter, "stomach"
    else:
        return result
    fits = table.select_fits(
        settings.policy, record_type="size_fit", scan_region=region, organ=organ
    )
    if not fits:
        return result
    row = fits[0]
    a = row.number("fit_A")
    b = row.number("fit_B_per_unit")
    code = organ_code(key)
    if a is None or b is None or code is None:
        return result
    h = a * math.exp(-b * size)
    ctdivol = event.ctdivol.value_in("mGy")
    upper = key == "lung" and diameter > 30.0
    coefficients: tuple[Coefficient, ...] = (
        row.coefficient(f"size fit A ({key})", a, "mGy/mGy"),
        row.coefficient(f"size fit B ({key})", b, "1/cm"),
    )
    findings: list[Finding] = []
    result[key] = build(
        MODEL,
        EstimateQuantity.ORGAN_DOSE,
        h * ctdivol,
        "mGy",
        combine_pct(IN_FIELD_PCT, *extra),
        event_uid=event.irradiation_event_uid,
        organ=code,
        coefficients=coefficients,
        inputs=(
            qty("ctdivol", ctdivol, "mGy", "32 cm phantom"),
            qty("size", size, "cm", f"{row.get('fit_size_metric')}; from {metric}"),
            *patient_inputs(patient),
        ),
        method=f"D = A*exp(-B*size) x CTDIvol = {h:.3f} x {ctdivol:g} mGy"
        + (" (fit above 30 cm: upper estimate)" if upper else ""),
        upper_bound=upper,
        findings=findings,
    )
    return result


def _child_chest(
    event: CtIrradiationEvent, band: str, patient: Patient, settings: EstimationSettings
) -> Outcome:
    out = Outcome()
    uid = event.irradiation_event_uid
    if event.ctdivol is None:
        out.refuse(uid, NotEstimatedReason.MISSING_INPUT, "organ doses: no CTDIvol", _Q)
        return out
    table = load_table("ct_organ_dose_coefficients")
    kv_reported = event_kv(event)
    kv = nearest_kv(kv_reported)
    rows = table.select(
        settings.policy,
        record_type="h_CTDIvol_normalised",
        scan_region="chest",
        age_or_size_class=band,
        kvp_kV=str(kv),
    )
    if not rows:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"organ doses: no paediatric chest coefficients for {band} {kv} kV",
            _Q,
        )
        return out
    ctdivol = event.ctdivol.value_in("mGy")
    for organ in sorted({r.get("organ") for r in rows}):
        key = tissue_key_of(organ)
        code = organ_code(key) if key else None
        if code is None:
            out.refuse(
                uid, NotEstimatedReason.NO_ORGAN_CODE, f"organ dose {organ}: no SCT code", _Q
            )
            continue
        organ_rows = [r for r in rows if r.get("organ") == organ]
        if patient.sex is not None:
            wanted = "male" if patient.sex == "M" else "female"
            organ_rows = [r for r in organ_rows if r.get("sex") in (wanted, "both")] or organ_rows
        h = _mean_rows(organ_rows)
        out.estimates.append(
            build(
                MODEL,
                EstimateQuantity.ORGAN_DOSE,
                h * ctdivol,
                "mGy",
                combine_pct(EDGE_PCT, LEE_PHANTOM_PCT),
                event_uid=uid,
                organ=code,
                coefficients=tuple(
                    r.coefficient(f"h {organ} {band} {kv} kV {r.get('sex')}") for r in organ_rows
                ),
                inputs=(
                    qty(
                        "ctdivol",
                        ctdivol,
                        "mGy",
                        "phantom as reported; Lee 2012 convention not recorded",
                    ),
                    *patient_inputs(patient, band),
                    kv_input(kv, kv_reported),
                ),
                method=f"D = h x CTDIvol = {h:.4g} x {ctdivol:g} mGy (organ at the edge of or "
                "outside a chest scan: scatter-level dose)",
            )
        )
    return out
