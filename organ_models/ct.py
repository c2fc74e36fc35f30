"""CT effective dose per irradiation event: E = k(region, age band, kV, phantom) x DLP.

ICRP 103 k factors: NCI / Lee et al. 2012 Table XII (head, chest, abdomen-pelvis, CAP; 0-15 y
and adult; 80/100/120 kV). Regions without an ICRP 103 k (neck, head and neck) fall back to
AAPM Report 96 (ICRP 60) and the estimate says so in its ``basis``: the two bases are never
mixed or added. The region comes from the RDSR Target Region code, else from protocol or
description keywords (with a finding).

Phantom: k is only applied to a DLP of the same CTDI phantom as the k; otherwise
``DLP_16 = 2 x DLP_32`` (scanner-specific ratio 1.9-2.4, so +15 % uncertainty).
"""

from __future__ import annotations

from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import (
    Coefficient,
    EstimateInput,
    EstimateQuantity,
    NotEstimatedReason,
    WeightBasis,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent, DoseReport
from dosewatch.domain.units import Quantity
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
from organ_models.organs import region_of
from organ_models.patient import Patient, age_band
from organ_models.tables import ReferenceRow, load_table

MODEL = ModelInfo(
    model_id="ct.effective.k_dlp",
    version="1.0.0",
    modality="CT",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=("ct_k_factors",),
    formula="E = k(region, age band, kV, phantom; weight basis) x DLP",
    defaults=(
        "adult when the age is unknown",
        "120 kV when the tube voltage is not reported",
        "32 cm phantom (16 cm for head) when the CTDIw phantom is not reported",
        "k phantom convention of Lee 2012 taken as AAPM 96 (16 cm head and children)",
    ),
)

BASE_UNCERTAINTY_PCT = 40.0  # +/-30-50 % for one patient (reference README section 2)
REGION_FROM_TEXT_PCT = 25.0
AGE_DEFAULT_PCT = 20.0
KV_DEFAULT_PCT = 10.0
PHANTOM_CONVERSION_PCT = 15.0
PHANTOM_ASSUMED_PCT = 15.0
#: a DLP converted 32 -> 16 cm for a k whose phantom the source does not state: E is either
#: right or 2x too high; a relative standard uncertainty of 50 % spans that doubt
PHANTOM_CONVENTION_DOUBT_PCT = 50.0

KV_COLUMNS = (80, 100, 120)
#: extra uncertainty when the chest k stands for a cardiac scan (cardiac k ~25 % higher)
CARDIAC_CHEST_K_PCT = 25.0
#: extra uncertainty when the tube voltage is above the last tabulated column (120 kV):
#: Lee 2012 Table XII k rises by ~10-15 % from 100 to 120 kV; 140 kV is extrapolated
KV_ABOVE_TABLE_PCT = 15.0

# keyword prefixes (English and French) for the region when no usable target region code
_HEAD = (
    "head",
    "brain",
    "skull",
    "crane",
    "crâne",
    "cerveau",
    "encephal",
    "tete",
    "tête",
    "sinus",
    "orbit",
    "rocher",
)
_NECK = ("neck", "cou=", "cervical", "larynx", "thyro")
_CHEST = (
    "chest",
    "thorax",
    "thorac",
    "lung",
    "poumon",
    "pulmo",
    "thora",
)
_CARDIAC = ("cardiac", "cardio", "heart", "coronar", "coeur", "cœur", "calcium", "tavi")
_ABDO = (
    "abdo",
    "pelvi",
    "bassin",
    "liver",
    "foie",
    "kidney",
    "rein",
    "renal",
    "lomb",
    "lumbar",
    "colo",
    "uro",
    "pancrea",
)
_WHOLE = ("tap=", "cap=", "tao=", "body", "corps", "whole", "trunk", "tronc")
#: limbs: no CT k factor in the reference data, so a limb scan is refused, never given a
#: trunk or neck k (an elbow CT with the neck k would be > 10x its E)
_EXTREMITY = (
    "coude",
    "elbow",
    "genou",
    "knee",
    "cheville",
    "ankle",
    "poignet",
    "wrist",
    "main=",
    "hand",
    "pied",
    "foot",
    "feet",
    "epaule",
    "épaule",
    "shoulder",
    "hanche",
    "hip=",
    "membre",
    "extremit",
    "jambe",
    "leg=",
    "bras=",
    "arm=",
    "femur",
    "fémur",
    "tibia",
)


def region_from_text(*texts: str | None) -> BodyRegion | None:
    """Body region from protocol / description keywords, or None."""
    tokens = words(*texts)
    if not tokens:
        return None
    if has_keyword(tokens, _EXTREMITY):
        return BodyRegion.EXTREMITY
    cardiac = has_keyword(tokens, _CARDIAC)
    chest = has_keyword(tokens, _CHEST)
    abdo = has_keyword(tokens, _ABDO)
    if has_keyword(tokens, _WHOLE) or ((chest or cardiac) and abdo):
        return BodyRegion.CHEST_ABDOMEN_PELVIS
    if cardiac:
        return BodyRegion.CARDIAC
    if chest:
        return BodyRegion.CHEST
    if abdo:
        return BodyRegion.ABDOMEN_PELVIS
    head = has_keyword(tokens, _HEAD)
    neck = has_keyword(tokens, _NECK)
    if head and neck:
        return BodyRegion.HEAD_AND_NECK
    if head:
        return BodyRegion.HEAD
    if neck:
        return BodyRegion.NECK
    return None


def event_region(event: CtIrradiationEvent, report: DoseReport) -> tuple[BodyRegion | None, str]:
    """(region, how it was found) for one CT event."""
    region = region_of(event.target_region)
    if region is not None:
        return region, "target region code"
    study = report.study
    region = region_from_text(event.acquisition_protocol)
    if region is not None:
        return region, "acquisition protocol keywords"
    region = region_from_text(
        study.requested_procedure_description, study.study_description, study.series_description
    )
    if region is not None:
        return region, "study/procedure description keywords"
    return None, "not found"


def table_region(region: BodyRegion) -> BodyRegion:
    """The region whose coefficients are used: cardiac CT uses the chest tables.

    No verified cardiac k is in the reference data; published cardiac E/DLP values are about
    25 % above the chest k (issue #13 review), so cardiac estimates carry
    :data:`CARDIAC_CHEST_K_PCT` more uncertainty and a finding saying so.
    """
    return BodyRegion.CHEST if region is BodyRegion.CARDIAC else region


def event_kv(event: CtIrradiationEvent) -> float | None:
    values = [s.kvp.value_in("kV") for s in event.xray_sources if s.kvp is not None]
    return sum(values) / len(values) if values else None


def nearest_kv(kv: float | None) -> int:
    if kv is None:
        return 120
    return min(KV_COLUMNS, key=lambda c: abs(c - kv))


def k_phantom_cm(row: ReferenceRow, region: str, band: str) -> tuple[int, bool]:
    """(phantom of k, assumed?). Lee 2012 rows say ``as_in_source``: AAPM 96 convention."""
    text = row.get("ctdi_phantom_diameter_cm")
    if text.isdigit():
        return int(text), False
    if BodyRegion(region).is_head or band != "adult":
        return 16, True
    return 32, True


def dlp_of(event: CtIrradiationEvent) -> tuple[float | None, list[Finding]]:
    """Event DLP in mGy.cm; CTDIvol x scanning length when DLP is absent (with a finding)."""
    if event.dlp is not None:
        return event.dlp.value_in("mGy.cm"), []
    if event.ctdivol is not None and event.scanning_length is not None:
        value = event.ctdivol.value_in("mGy") * event.scanning_length.value_in("cm")
        return value, [
            finding(
                FindingCode.MODEL_DLP_DERIVED, "event DLP absent; CTDIvol x scanning length used"
            )
        ]
    return None, []


def _k_row(
    region: str, band: str, kv: int, basis: WeightBasis, settings: EstimationSettings
) -> tuple[ReferenceRow, WeightBasis, list[Finding]]:
    table = load_table("ct_k_factors")
    policy = settings.policy
    findings: list[Finding] = []
    if basis is WeightBasis.ICRP103 and region in (
        "head",
        "chest",
        "abdomen_pelvis",
        "chest_abdomen_pelvis",
    ):
        row = table.lookup(
            policy,
            dataset="NCI_Lee2012",
            icrp_wt_basis="ICRP103",
            body_region=region,
            age_group=band,
            kvp_kV=str(kv),
        )
        return row, WeightBasis.ICRP103, findings
    if basis is WeightBasis.ICRP60 and region in (
        "head",
        "chest",
        "abdomen_pelvis",
        "chest_abdomen_pelvis",
    ):
        row = table.lookup(
            policy,
            dataset="NCI_Lee2012",
            icrp_wt_basis="ICRP60",
            body_region=region,
            age_group=band,
            kvp_kV=str(kv),
        )
        return row, WeightBasis.ICRP60, findings
    # neck, head and neck: only AAPM 96 (ICRP 60) exists; no 15 y column there
    aapm_band = "10y" if band == "15y" else band
    row = table.lookup(
        policy,
        dataset="AAPM96_Shrimpton",
        icrp_wt_basis="ICRP60",
        body_region=region,
        age_group=aapm_band,
    )
    if basis is WeightBasis.ICRP103:
        findings.append(
            finding(
                FindingCode.MODEL_BASIS_FALLBACK,
                f"no ICRP 103 k factor for region {region}; ICRP 60 (AAPM 96) used and "
                "recorded as basis ICRP60 (never add it to ICRP 103 doses)",
            )
        )
    if aapm_band != band:
        findings.append(
            finding(FindingCode.MODEL_AGE_BAND, "AAPM 96 has no 15 y column; 10 y used")
        )
    return row, WeightBasis.ICRP60, findings


def effective_dose_for_event(
    event: CtIrradiationEvent,
    report: DoseReport,
    patient: Patient,
    settings: EstimationSettings,
) -> Outcome:
    """E for one CT irradiation event, or the reason why not."""
    out = Outcome()
    uid = event.irradiation_event_uid
    dlp, dlp_findings = dlp_of(event)
    if dlp is None:
        out.refuse(
            uid,
            NotEstimatedReason.MISSING_INPUT,
            "effective dose: no DLP (and no CTDIvol x scanning length) in the event",
            EstimateQuantity.EFFECTIVE_DOSE,
        )
        return out
    region, region_how = event_region(event, report)
    if region is None:
        out.refuse(
            uid,
            NotEstimatedReason.UNKNOWN_CONTEXT,
            "effective dose: body region unknown (no usable target region code, no region "
            "keyword in protocol or descriptions)",
            EstimateQuantity.EFFECTIVE_DOSE,
        )
        return out
    findings = list(dlp_findings)
    parts = [BASE_UNCERTAINTY_PCT]
    if region_how != "target region code":
        parts.append(REGION_FROM_TEXT_PCT)
        findings.append(
            finding(
                FindingCode.MODEL_REGION_FROM_TEXT, f"CT region '{region}' taken from {region_how}"
            )
        )
    band = age_band(patient.age_years)
    if patient.age_years is None:
        parts.append(AGE_DEFAULT_PCT)
    kv_reported = event_kv(event)
    kv = nearest_kv(kv_reported)
    if kv_reported is None:
        parts.append(KV_DEFAULT_PCT)
    if kv_reported is not None and kv_reported > max(KV_COLUMNS):
        parts.append(KV_ABOVE_TABLE_PCT)
        findings.append(
            finding(
                FindingCode.MODEL_KV_ABOVE_TABLE,
                f"tube voltage {kv_reported:g} kV is above the tabulated {max(KV_COLUMNS)} kV; "
                f"the {max(KV_COLUMNS)} kV k is used (+{KV_ABOVE_TABLE_PCT:g} % uncertainty)",
            )
        )
    if region is BodyRegion.CARDIAC:
        parts.append(CARDIAC_CHEST_K_PCT)
        findings.append(
            finding(
                FindingCode.MODEL_CARDIAC_CHEST_K,
                "cardiac CT: no verified cardiac k in the reference data; the chest k is used "
                f"(published cardiac k ~25 % higher; +{CARDIAC_CHEST_K_PCT:g} % uncertainty)",
            )
        )
    try:
        row, basis, k_findings = _k_row(table_region(region), band, kv, settings.basis, settings)
    except ReferenceDataError as exc:
        out.refuse(
            uid, refusal_reason(exc), f"effective dose: {exc}", EstimateQuantity.EFFECTIVE_DOSE
        )
        return out
    findings.extend(k_findings)
    k = row.require_value()
    k_phantom, k_phantom_assumed = k_phantom_cm(row, region, band)
    dlp_phantom = event.phantom_diameter_cm
    dlp_phantom_assumed = dlp_phantom is None
    if dlp_phantom is None:
        dlp_phantom = 16 if region.is_head else 32
        parts.append(PHANTOM_ASSUMED_PCT)
        findings.append(
            finding(
                FindingCode.MODEL_DEFAULT_ASSUMED,
                f"CTDIw phantom not reported; {dlp_phantom} cm assumed",
            )
        )
    if k_phantom_assumed:
        parts.append(PHANTOM_ASSUMED_PCT)
    dlp_used = dlp
    conversion = "none"
    if dlp_phantom != k_phantom:
        ratio = 2.0 if (dlp_phantom, k_phantom) == (32, 16) else 0.5
        dlp_used = dlp * ratio
        conversion = f"DLP_{k_phantom} = {ratio:g} x DLP_{dlp_phantom}"
        parts.append(PHANTOM_CONVERSION_PCT)
        if k_phantom_assumed:
            # the k's phantom is not confirmed in the source: if it were the DLP's own
            # phantom, the conversion would double E; the uncertainty says so
            parts.append(PHANTOM_CONVENTION_DOUBT_PCT)
            findings.append(
                finding(
                    FindingCode.MODEL_PHANTOM_CONVENTION_UNCONFIRMED,
                    f"k phantom ({k_phantom} cm) not confirmed in the source; DLP converted "
                    f"from {dlp_phantom} cm (a factor-2 doubt: +{PHANTOM_CONVENTION_DOUBT_PCT:g}"
                    " % uncertainty)",
                )
            )
    coefficient: Coefficient = row.coefficient(f"k {region} {band} {kv} kV {basis}")
    value = k * dlp_used
    out.findings.extend(findings)
    out.estimates.append(
        build(
            MODEL,
            EstimateQuantity.EFFECTIVE_DOSE,
            value,
            "mSv",
            combine_pct(*parts),
            event_uid=uid,
            coefficients=(coefficient,),
            inputs=(
                qty("dlp", dlp, "mGy.cm", "event DLP"),
                EstimateInput(
                    "ctdi_phantom",
                    Quantity(float(dlp_phantom), "cm"),
                    text="CTDIw phantom of the DLP",
                    assumed=dlp_phantom_assumed,
                ),
                EstimateInput(
                    "k_phantom",
                    Quantity(float(k_phantom), "cm"),
                    text="CTDI phantom of the k factor",
                    assumed=k_phantom_assumed,
                ),
                text_input("phantom_conversion", conversion),
                text_input("region", f"{region} ({region_how})"),
                *patient_inputs(patient, band),
                EstimateInput(
                    "kv",
                    Quantity(float(kv), "kV"),
                    text="nearest tabulated kV"
                    + ("" if kv_reported is None else f" (reported {kv_reported:g} kV)"),
                    assumed=kv_reported is None,
                ),
            ),
            method=f"E = k x DLP = {k:g} mSv/(mGy.cm) x {dlp_used:.4g} mGy.cm",
            basis=basis,
            findings=findings,
        )
    )
    return out
