"""Nuclear medicine / PET: E = e(radiopharmaceutical, age band) x administered activity.

Coefficients from ``nm_dose_coefficients.csv`` (ICRP 53/80/106/128 biokinetic models,
Andersson 2014 for FDG with ICRP 103 weights, patient series for PSMA / SSTR agents).
The critical-organ dose of the same row gives an organ absorbed dose. Organ doses reported in
an RRDSR (TID 10023) are kept as reported, with their method and authority. When the reported
organ set is complete, E is also computed through the tissue weights and compared with the
direct conversion. Therapy administrations get no effective dose.
"""

from __future__ import annotations

from dosewatch.domain.codes import code_key, code_str
from dosewatch.domain.errors import ModelNotApplicableError
from dosewatch.domain.estimate import (
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
    Verification,
    WeightBasis,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import RadiopharmaceuticalAdministration
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
    text_input,
    words,
)
from organ_models.organs import organ_code, tissue_key_of, tissue_key_of_code
from organ_models.patient import Patient, age_band
from organ_models.tables import ReferenceRow, load_table
from organ_models.tissue_weights import effective_dose_from_organs

MODEL = ModelInfo(
    model_id="nm.coefficient",
    version="1.0.0",
    modality="NM",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE, EstimateQuantity.ORGAN_DOSE),
    tables=("nm_dose_coefficients",),
    formula="E = e(radiopharmaceutical, age band) x A; D_T = d_T x A",
    defaults=("adult when the age is unknown",),
)
REPORTED = ModelInfo(
    model_id="nm.reported_organ_dose",
    version="1.0.0",
    modality="NM",
    quantities=(EstimateQuantity.ORGAN_DOSE,),
    tables=(),
    formula="organ dose as reported in the RRDSR (TID 10023)",
)
FROM_ORGANS = ModelInfo(
    model_id="nm.effective_from_organs",
    version="1.0.0",
    modality="NM",
    quantities=(EstimateQuantity.EFFECTIVE_DOSE,),
    tables=("icrp103_tissue_weights",),
    formula="E = sum_T w_T x D_T (ICRP 103) over the reported organ doses",
)

BASE_PCT = 50.0  # biokinetic reference-person models: +/-50 % or more per patient
AGE_DEFAULT_PCT = 20.0
CONSISTENCY_LIMIT = 0.30

#: radiopharmaceutical agent codes (SCT; SRT normalised) -> table key
AGENT_BY_CODE: dict[tuple[str, str], str] = {
    ("SCT", "35321007"): "18F-FDG",  # Fluorodeoxyglucose F^18^ (SRT C-B1031)
}

#: keyword prefixes of free-text radiopharmaceutical names -> table key (with a finding)
AGENT_KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("fdg", "fluorodeoxyglucose", "fludeoxyglucose"), "18F-FDG"),
    (("naf", "fluoride"), "18F-NaF"),
    (("psma11", "gozetotide"), "68Ga-PSMA-11"),
    (("psma1007",), "18F-PSMA-1007"),
    (("dcfpyl", "piflufolastat"), "18F-DCFPyL"),
    (("dotatate",), "68Ga-DOTATATE"),
    (("dotatoc", "edotreotide"), "68Ga-DOTATOC"),
    (("dotanoc",), "68Ga-DOTANOC"),
    (("pentetreotide", "octreoscan"), "111In-pentetreotide"),
    (("mdp", "hdp", "hmdp", "dpd", "medronate", "oxidronate"), "99mTc-MDP"),
    (("pertechnetate",), "99mTc-pertechnetate"),
    (("ecd", "bicisate", "neurolite"), "99mTc-ECD"),
    (("sestamibi", "mibi", "cardiolite"), "99mTc-sestamibi"),
    (("mag3", "mertiatide"), "99mTc-MAG3"),
    (("mibg", "iobenguane"), "123I-MIBG"),
    (("tetrofosmin", "myoview"), "99mTc-tetrofosmin"),
    (("maa", "macroaggregated"), "99mTc-MAA"),
)


def table_key(name: str) -> str:
    """Table radiopharmaceutical name without its parenthesised note."""
    return name.split(" (", 1)[0].strip()


def agent_of(admin: RadiopharmaceuticalAdministration) -> tuple[str | None, list[Finding]]:
    if admin.radiopharmaceutical_agent is not None:
        key = AGENT_BY_CODE.get(code_key(admin.radiopharmaceutical_agent))
        if key is not None:
            return key, []
    tokens = words(admin.radiopharmaceutical_name)
    joined = "".join(tokens)
    for prefixes, key in AGENT_KEYWORDS:
        if has_keyword(tokens, prefixes) or any(len(p) >= 5 and p in joined for p in prefixes):
            return key, [
                finding(
                    FindingCode.MODEL_AGENT_FROM_TEXT,
                    f"radiopharmaceutical {key} taken from the free-text name "
                    f"{admin.radiopharmaceutical_name!r}",
                )
            ]
    return None, []


_RANK = {
    Verification.VERIFIED: 0,
    Verification.VERIFIED_SECONDARY: 1,
    Verification.DERIVED: 2,
    Verification.UNVERIFIED_RECALL: 3,
}
_E = EstimateQuantity.EFFECTIVE_DOSE


def _best(rows: list[ReferenceRow]) -> ReferenceRow | None:
    return min(rows, key=lambda r: _RANK.get(r.verification, 9)) if rows else None


def _basis(row: ReferenceRow) -> WeightBasis | None:
    text = row.get("E_wt_basis")
    return WeightBasis(text) if text in ("ICRP103", "ICRP60") else None


def estimate_administration(
    admin: RadiopharmaceuticalAdministration, patient: Patient, settings: EstimationSettings
) -> Outcome:
    out = Outcome()
    uid = admin.administration_event_uid
    direct_e: float | None = None
    direct_basis: WeightBasis | None = None
    out.extend(_reported_organs(admin))
    if admin.administered_activity is None:
        out.refuse(
            uid, NotEstimatedReason.MISSING_INPUT, "effective dose: no administered activity", _E
        )
        return out
    activity = admin.administered_activity.value_in("MBq")
    agent, agent_findings = agent_of(admin)
    out.findings.extend(agent_findings)
    if agent is None:
        what = code_str(admin.radiopharmaceutical_agent) or admin.radiopharmaceutical_name
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: radiopharmaceutical {what!r} not in the coefficient table",
            _E,
        )
        return out
    if agent.startswith("177Lu"):
        out.refuse(
            uid,
            NotEstimatedReason.NOT_APPLICABLE,
            "effective dose: therapy administration (report organ doses only)",
            _E,
        )
        return out
    band = age_band(patient.age_years)
    table = load_table("nm_dose_coefficients")
    candidates = [
        r
        for r in table.select(settings.policy, age_group=band)
        if table_key(r.get("radiopharmaceutical")) == agent
    ]
    if not candidates:
        every = [
            r
            for r in table.rows
            if table_key(r.get("radiopharmaceutical")) == agent and r.get("age_group") == band
        ]
        why = "only unverified rows (refused by the reference policy)" if every else "no row"
        out.refuse(
            uid,
            NotEstimatedReason.POLICY_REFUSED if every else NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: {agent} {band}: {why}",
            _E,
        )
        return out
    preferred = [r for r in candidates if _basis(r) is settings.basis]
    other = [r for r in candidates if _basis(r) is not None and _basis(r) is not settings.basis]
    row = _best(preferred) or _best(other)
    parts = [BASE_PCT] + ([AGE_DEFAULT_PCT] if patient.age_years is None else [])
    common_inputs = (
        qty("administered_activity", activity, "MBq", "Administered activity"),
        EstimateInput("radiopharmaceutical", code=admin.radiopharmaceutical_agent, text=agent),
        *patient_inputs(patient, band),
    )
    if row is None:
        out.refuse(
            uid,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: {agent}: tissue-weight basis not recorded in the source row",
            _E,
        )
    else:
        basis = _basis(row)
        e = row.require_value()
        findings = []
        if basis is not settings.basis:
            findings.append(
                finding(
                    FindingCode.MODEL_BASIS_FALLBACK,
                    f"no {settings.basis} coefficient for {agent} {band}; {basis} used and "
                    "recorded as such (never added to the other basis)",
                )
            )
        direct_e, direct_basis = e * activity, basis
        out.findings.extend(findings)
        out.estimates.append(
            build(
                MODEL,
                EstimateQuantity.EFFECTIVE_DOSE,
                e * activity,
                "mSv",
                combine_pct(*parts),
                event_uid=uid,
                coefficients=(row.coefficient(f"e {agent} {band} ({basis})"),),
                inputs=common_inputs,
                method=f"E = e x A = {e:g} mSv/MBq x {activity:g} MBq",
                basis=basis,
                findings=findings,
            )
        )
    organ_row = _best([r for r in candidates if r.number("critical_organ_dose_mGy_per_MBq")])
    if organ_row is not None:
        key = tissue_key_of(organ_row.get("critical_organ"))
        code = organ_code(key) if key else None
        d = organ_row.number("critical_organ_dose_mGy_per_MBq")
        reported_keys = {tissue_key_of_code(od.organ) for od in admin.organ_doses}
        if code is not None and d is not None:
            # the RRDSR may report this organ too: both values are kept (the reported one with
            # origin REPORTED), and the ledger counts the reported one (one counted value per
            # organ slot, dosewatch.ledger.estimates); the finding says so
            if key in reported_keys:
                out.findings.append(
                    finding(
                        FindingCode.MODEL_REPORTED_ORGAN_COUNTED,
                        f"{organ_row.get('critical_organ')}: the RRDSR reports this organ dose; "
                        f"it is the one counted (the coefficient value {d * activity:.3g} mGy "
                        "is kept beside it, not added)",
                    )
                )
            out.estimates.append(
                build(
                    MODEL,
                    EstimateQuantity.ORGAN_DOSE,
                    d * activity,
                    "mGy",
                    combine_pct(*parts),
                    event_uid=uid,
                    organ=code,
                    coefficients=(
                        organ_row.coefficient(f"d {organ_row.get('critical_organ')}", d, "mGy/MBq"),
                    ),
                    inputs=common_inputs,
                    method=f"D = d x A = {d:g} mGy/MBq x {activity:g} MBq (critical organ)",
                )
            )
    if direct_e is not None and direct_basis is not None:
        out.extend(_from_reported_organs(admin, patient, direct_e, direct_basis))
    return out


def _reported_organs(admin: RadiopharmaceuticalAdministration) -> Outcome:
    out = Outcome()
    for od in admin.organ_doses:
        authority = od.reference_authority
        authority_text = (
            code_str(authority) if not isinstance(authority, str) and authority else authority
        ) or "not stated"
        method = od.method
        method_text = (
            code_str(method) if not isinstance(method, str) and method else method
        ) or "not stated"
        out.estimates.append(
            build(
                REPORTED,
                EstimateQuantity.ORGAN_DOSE,
                od.dose.value_in("mGy"),
                "mGy",
                BASE_PCT,
                event_uid=admin.administration_event_uid,
                organ=od.organ,
                coefficients=(),
                inputs=(
                    EstimateInput("reported_dose", quantity=od.dose, text="RRDSR organ dose"),
                    EstimateInput(
                        "method",
                        code=None if isinstance(method, str) or method is None else method,
                        text=method_text,
                    ),
                    EstimateInput(
                        "authority",
                        code=None if isinstance(authority, str) or authority is None else authority,
                        text=authority_text,
                    ),
                ),
                method="organ dose kept as reported in the RRDSR",
                origin=EstimateOrigin.REPORTED,
            )
        )
    return out


def _from_reported_organs(
    admin: RadiopharmaceuticalAdministration,
    patient: Patient,
    direct: float,
    basis: WeightBasis,
) -> Outcome:
    out = Outcome()
    if basis is not WeightBasis.ICRP103 or not admin.organ_doses:
        return out
    doses: dict[str, float] = {}
    for od in admin.organ_doses:
        key = tissue_key_of_code(od.organ)
        if key is not None:
            doses[key] = doses.get(key, 0.0) + od.dose.value_in("mGy")
    try:
        e = effective_dose_from_organs(doses, WeightBasis.ICRP103, patient.sex)
    except ModelNotApplicableError as exc:
        out.findings.append(finding(FindingCode.MODEL_ORGAN_SET_INCOMPLETE, str(exc)))
        return out
    findings = []
    if direct > 0 and abs(e - direct) / direct > CONSISTENCY_LIMIT:
        findings.append(
            finding(
                FindingCode.MODEL_INCONSISTENT,
                f"E from reported organ doses {e:.3g} mSv differs from e x A {direct:.3g} mSv "
                f"by more than {CONSISTENCY_LIMIT:.0%}",
            )
        )
    out.findings.extend(findings)
    out.estimates.append(
        build(
            FROM_ORGANS,
            EstimateQuantity.EFFECTIVE_DOSE,
            e,
            "mSv",
            BASE_PCT,
            event_uid=admin.administration_event_uid,
            coefficients=(),
            inputs=(
                text_input("organ_doses", f"{len(doses)} reported organs"),
                qty("direct_conversion", direct, "mSv", "e x A of the same administration"),
            ),
            method="E = sum w_T D_T over the reported organ doses (ICRP 103)",
            basis=WeightBasis.ICRP103,
            findings=findings,
            extra_tables=("icrp103_tissue_weights",),
        )
    )
    return out
