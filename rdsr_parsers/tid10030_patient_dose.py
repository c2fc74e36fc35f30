"""Reader of a Patient Radiation Dose SR (…88.73, TID 10030): the estimates it carries.

A P-RDSR is an *estimate* (possibly dosewatch's own output), never a device dose report, so
it is not routed by :func:`rdsr_parsers.parse` into the ledger; this reader returns what it
says for comparison and display. Values come back in the ledger's canonical units (organ and
skin doses in mGy, effective dose in mSv) with the unit, the statistic (mean / maximum), the
finding site, the reference authority of an effective dose, the uncertainty, the method text
and model reference written below each value, and the event it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain.codes import CodeKey
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from rdsr_parsers import sr
from rdsr_parsers.context import ParseContext

PATIENT_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.73"
REPORT = Code("128401", "DCM", "Patient Radiation Dose Report")
ESTIMATE = Code("128402", "DCM", "Radiation Dose Estimate")
METHODOLOGY = Code("128415", "DCM", "Radiation Dose Estimate Methodology")
SR_INSTANCE_USED = Code("128416", "DCM", "SR Instance Used")
EVENT_UID_USED = Code("128429", "DCM", "Event UID Used")
FINDING_SITE = Code("363698007", "SCT", "Finding Site")
REFERENCE_AUTHORITY = Code("121406", "DCM", "Reference Authority")
UNCERTAINTY = Code("371884006", "SCT", "+/-, range of measurement uncertainty")
COMMENT = Code("121106", "DCM", "Comment")
MODEL_REFERENCE = Code("128426", "DCM", "Patient Radiation Dose Model Reference")

#: CID 10061 Absorbed Radiation Dose Type (DCM): value -> statistic
ABSORBED = {"128531": "maximum", "128532": "minimum", "128533": "mean", "128534": "mode",
            "128539": "median"}  # fmt: skip
#: CID 10062 Equivalent Radiation Dose Type (DCM)
EQUIVALENT = {"128535": "maximum", "128536": "minimum", "128537": "mean", "128538": "mode",
              "128540": "median"}  # fmt: skip
EFFECTIVE_DOSE_KEY: CodeKey = ("DCM", "113839")
AUTHORITY_BASIS = {("DCM", "113841"): "ICRP103", ("DCM", "113808"): "ICRP60"}


@dataclass(frozen=True, slots=True)
class ReadEstimate:
    """One dose value of the P-RDSR, in mGy (absorbed) or mSv (equivalent, effective)."""

    kind: str  # "absorbed" | "equivalent" | "effective"
    statistic: str | None  # CID 10061/10062 statistic; None for the effective dose
    organ: CodeKey | None
    value: float
    unit: str
    basis: str | None
    uncertainty_pct: float | None
    method: str | None
    model_reference: str | None
    event_uid: str | None


@dataclass(frozen=True, slots=True)
class SourceUsed:
    sop_class_uid: str
    sop_instance_uid: str
    event_uids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PatientDoseSR:
    study_instance_uid: str
    sop_instance_uid: str
    sources: tuple[SourceUsed, ...]
    estimates: tuple[ReadEstimate, ...]
    findings: tuple[Finding, ...]


def read_patient_radiation_dose(ds: Dataset) -> PatientDoseSR:
    """The estimates of a P-RDSR; what cannot be read is a finding, never a guess."""
    ctx = ParseContext(sop_instance_uid=str(ds.get("SOPInstanceUID", "")) or None)
    if str(ds.get("SOPClassUID", "")) != PATIENT_RADIATION_DOSE_SR:
        ctx.add(FindingCode.TEMPLATE_UNEXPECTED_TITLE, "not a Patient Radiation Dose SR")
    root = sr.build_tree(ds)
    if root.concept != ("DCM", "128401"):
        ctx.add(FindingCode.TEMPLATE_UNEXPECTED_TITLE, f"root concept {root.concept_str}")
    estimates: list[ReadEstimate] = []
    sources: list[SourceUsed] = []
    container = sr.require(root, ESTIMATE, ctx, what="Radiation Dose Estimate (TID 10031)")
    if container is not None:
        methodology = sr.require(container, METHODOLOGY, ctx, what="methodology (TID 10033)")
        if methodology is not None:
            sources = [_source(item, ctx) for item in methodology.all(SR_INSTANCE_USED)]
        for item in container.children:
            if item.value_type == "NUM":
                read = _estimate(item, ctx)
                if read is not None:
                    estimates.append(read)
    return PatientDoseSR(
        study_instance_uid=str(ds.get("StudyInstanceUID", "")),
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        sources=tuple(sources),
        estimates=tuple(estimates),
        findings=tuple(ctx.findings),
    )


def _source(item: sr.ContentItem, ctx: ParseContext) -> SourceUsed:
    refs = item.dataset.get("ReferencedSOPSequence") or [Dataset()]
    events = tuple(uid for u in item.all(EVENT_UID_USED) if (uid := sr.read_uid(u, ctx)))
    return SourceUsed(
        str(refs[0].get("ReferencedSOPClassUID", "")),
        str(refs[0].get("ReferencedSOPInstanceUID", "")),
        events,
    )


def _estimate(item: sr.ContentItem, ctx: ParseContext) -> ReadEstimate | None:
    scheme, value = item.concept
    if scheme == "DCM" and value in ABSORBED:
        kind, statistic, unit = "absorbed", ABSORBED[value], "mGy"
    elif scheme == "DCM" and value in EQUIVALENT:
        kind, statistic, unit = "equivalent", EQUIVALENT[value], "mSv"
    elif item.concept == EFFECTIVE_DOSE_KEY:
        kind, statistic, unit = "effective", None, "mSv"
    else:
        ctx.add(
            FindingCode.PRDSR_VALUE_NOT_READ,
            "NUM outside CID 10061/10062 and Effective Dose; not read",
            path=item.path,
            concept=item.concept_str,
        )
        return None
    quantity = sr.read_quantity(item, ctx, to_unit=unit)
    if quantity is None:
        return None
    site = item.first(FINDING_SITE)
    organ_code = None if site is None else sr.read_code(site, ctx)
    authority = sr.code_of(item, REFERENCE_AUTHORITY, ctx)
    uncertainty = sr.num_of(item, UNCERTAINTY, ctx, to_unit="%")
    return ReadEstimate(
        kind=kind,
        statistic=statistic,
        organ=None if organ_code is None else (organ_code.scheme_designator, organ_code.value),
        value=quantity.value,
        unit=quantity.unit,
        basis=None
        if authority is None
        else AUTHORITY_BASIS.get((authority.scheme_designator, authority.value)),
        uncertainty_pct=None if uncertainty is None else uncertainty.value,
        method=sr.text_of(item, COMMENT),
        model_reference=sr.text_of(item, MODEL_REFERENCE),
        event_uid=sr.uid_of(item, EVENT_UID_USED, ctx),
    )
