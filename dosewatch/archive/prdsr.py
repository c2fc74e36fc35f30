"""Patient Radiation Dose SR (SOP class …88.73, TID 10030) of one study, built with highdicom.

Content tree (PS3.16 TID 10030 / 10033 as read; TID 10031 per ``docs/OUTPUTS.md`` 1.2,
whose nesting is not verified — see ``docs/ARCHITECTURE-NOTES.md``):

* root CONTAINER (128401, DCM) — TID 1204 language, TID 1002/1004 Device observer
  (dosewatch), one TID 10031 CONTAINER (128402, DCM "Radiation Dose Estimate") and a
  Comment naming the counted estimates left out, with the reason: the template has no
  concept for them (SSDE, entrance surface dose), or their organ has only a legacy SNOMED-RT
  code without a known SCT equivalent;
* TID 10033 methodology: one COMPOSITE "SR Instance Used" per current source report with one
  UIDREF "Event UID Used" per counted event; the Patient Radiation Dose Model (anthropomorphic
  phantoms, voxelized transport: the populations of the reference tables) with the models
  and table versions as its Model Reference;
* one NUM per estimate: organ dose as (128533, DCM) "Mean Absorbed Radiation Dose" in Gy with
  its Finding Site (SCT), peak skin dose as (128531, DCM) "Maximum Absorbed Radiation Dose"
  at the skin, effective dose as (113839, DCM) "Effective Dose" in Sv with its Reference
  Authority (ICRP 103 or 60: two bases are two items, never a sum). Below each NUM
  (HAS PROPERTIES): the uncertainty in % (371884006, SCT), the method text (121106 Comment),
  the model reference (128426), the event UID used and, when the estimate was supplied by the
  device, the text "reported by the device" in the method — an estimate is never written as a
  measurement.

The SOP Instance UID is derived from the study, the content and the content date/time: the
same export is the same instance, a later export (even of unchanged estimates) a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

import highdicom as hd
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.coding import Code
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from sqlalchemy.orm import Session

from dosewatch.archive.study_doses import StudyDoses, StudyEstimate, study_doses
from dosewatch.domain.errors import InvalidValueError
from rdsr_parsers.tid10030_patient_dose import (  # the concepts the reader looks for
    COMMENT,
    ESTIMATE,
    EVENT_UID_USED,
    FINDING_SITE,
    METHODOLOGY,
    MODEL_REFERENCE,
    PATIENT_RADIATION_DOSE_SR,
    REFERENCE_AUTHORITY,
    REPORT,
    SR_INSTANCE_USED,
    UNCERTAINTY,
)

#: a stable UID naming this dosewatch installation as the device observer
DEVICE_OBSERVER_UID = generate_uid(entropy_srcs=["dosewatch device observer"])
SOFTWARE_VERSION = "dosewatch 0.1.0"

DOSE_MODEL = Code("128500", "DCM", "Patient Radiation Dose Model")
PATIENT_MODEL_TYPE = Code("128417", "DCM", "Patient Model Type")
ANTHROPOMORPHIC = Code("128404", "DCM", "Anthropomorphic Model")
TRANSPORT_MODEL_TYPE = Code("128420", "DCM", "Radiation Transport Model Type")
VOXELIZED = Code("128422", "DCM", "Voxelized Radiation Transport Model")
DEMOGRAPHICS = Code("128427", "DCM", "Patient Model Demographics")
MEAN_ABSORBED = Code("128533", "DCM", "Mean Absorbed Radiation Dose")
MAXIMUM_ABSORBED = Code("128531", "DCM", "Maximum Absorbed Radiation Dose")
EFFECTIVE_DOSE = Code("113839", "DCM", "Effective Dose")
AUTHORITY = {
    "ICRP103": Code("113841", "DCM", "ICRP Pub 103"),
    "ICRP60": Code("113808", "DCM", "ICRP Pub 60"),
}
SKIN = Code("39937001", "SCT", "Skin")
GY = Code("Gy", "UCUM", "Gy")
SV = Code("Sv", "UCUM", "Sv")
PERCENT = Code("%", "UCUM", "Percent")
DEVICE = Code("121007", "DCM", "Device")
ENGLISH = hd.sr.CodedConcept("en-US", "RFC5646", "English (United States)")

#: estimate quantity -> (NUM concept, unit code, factor from the ledger unit)
NUM_OF = {
    "organ_dose": (MEAN_ABSORBED, GY, 1e-3),  # mGy -> Gy
    "peak_skin_dose": (MAXIMUM_ABSORBED, GY, 1e-3),
    "effective_dose": (EFFECTIVE_DOSE, SV, 1e-3),  # mSv -> Sv
}
LEDGER_UNIT = {"organ_dose": "mGy", "peak_skin_dose": "mGy", "effective_dose": "mSv"}


def not_carried(estimate: StudyEstimate) -> str | None:
    """Why the estimate is left out of the P-RDSR, or None when it is written."""
    if estimate.quantity not in NUM_OF:
        return f"{estimate.quantity} (no TID 10031 concept)"
    if estimate.quantity == "organ_dose" and (estimate.organ is None or estimate.organ[0] != "SCT"):
        organ = ":".join(estimate.organ[:2]) if estimate.organ else "none"
        return f"organ dose with organ code {organ} (no SCT equivalent known)"
    return None


def carried(estimate: StudyEstimate) -> bool:
    return not_carried(estimate) is None


def model_reference(estimate: StudyEstimate) -> str:
    return f"{estimate.model_id} {estimate.model_version}; table {estimate.table_version}"


def method_text(estimate: StudyEstimate) -> str:
    parts = [estimate.method]
    if estimate.origin == "reported":
        parts.append("reported by the device, not computed by dosewatch")
    if estimate.upper_bound:
        parts.append("upper bound")
    if estimate.indicative:
        parts.append("indicative: unverified reference value")
    return "; ".join(p for p in parts if p)


def _with(item: Dataset, children: Sequence[Dataset]) -> Dataset:
    item.ContentSequence = DicomSequence(list(children))
    return item


def _num(estimate: StudyEstimate) -> Dataset:
    concept, unit, factor = NUM_OF[estimate.quantity]
    if estimate.unit != LEDGER_UNIT[estimate.quantity]:
        raise InvalidValueError(
            f"{estimate.quantity} in {estimate.unit}, expected {LEDGER_UNIT[estimate.quantity]}"
        )
    num = hd.sr.NumContentItem(concept, estimate.value * factor, unit, relationship_type="CONTAINS")
    children: list[Dataset] = []
    if estimate.quantity == "organ_dose":
        if estimate.organ is None:
            raise InvalidValueError(f"organ dose of model {estimate.model_id} without an organ")
        scheme, value, meaning = estimate.organ
        site = Code(value, scheme, meaning)
        children.append(hd.sr.CodeContentItem(FINDING_SITE, site, "HAS CONCEPT MOD"))
    elif estimate.quantity == "peak_skin_dose":
        children.append(hd.sr.CodeContentItem(FINDING_SITE, SKIN, "HAS CONCEPT MOD"))
    else:
        if estimate.basis not in AUTHORITY:
            raise InvalidValueError(f"effective dose without a known weight basis: {estimate}")
        authority = AUTHORITY[str(estimate.basis)]
        children.append(hd.sr.CodeContentItem(REFERENCE_AUTHORITY, authority, "HAS PROPERTIES"))
    children.append(
        hd.sr.NumContentItem(
            UNCERTAINTY, estimate.uncertainty_pct, PERCENT, relationship_type="HAS PROPERTIES"
        )
    )
    children.append(hd.sr.TextContentItem(COMMENT, method_text(estimate)[:1024], "HAS PROPERTIES"))
    children.append(
        hd.sr.TextContentItem(MODEL_REFERENCE, model_reference(estimate), "HAS PROPERTIES")
    )
    if estimate.event_uid:
        children.append(
            hd.sr.UIDRefContentItem(EVENT_UID_USED, estimate.event_uid, "HAS PROPERTIES")
        )
    return _with(num, children)


def _methodology(doses: StudyDoses, estimates: Sequence[StudyEstimate]) -> Dataset:
    used: list[Dataset] = []
    for report in doses.reports:
        item = hd.sr.CompositeContentItem(
            SR_INSTANCE_USED, report.sop_class_uid, report.sop_instance_uid, "CONTAINS"
        )
        events = [
            hd.sr.UIDRefContentItem(EVENT_UID_USED, uid, "HAS PROPERTIES")
            for uid in report.event_uids
        ]
        used.append(_with(item, events) if events else item)
    references = sorted({model_reference(e) for e in estimates})
    model = hd.sr.ContainerContentItem(DOSE_MODEL, relationship_type="CONTAINS")
    _with(
        model,
        [
            hd.sr.CodeContentItem(PATIENT_MODEL_TYPE, ANTHROPOMORPHIC, "CONTAINS"),
            hd.sr.CodeContentItem(TRANSPORT_MODEL_TYPE, VOXELIZED, "CONTAINS"),
            hd.sr.TextContentItem(MODEL_REFERENCE, " | ".join(references)[:1024], "CONTAINS"),
            hd.sr.TextContentItem(
                COMMENT,
                "dosewatch organ_models: coefficients from reference tables computed on "
                "anthropomorphic phantoms; each estimate names its model, table and method",
                "CONTAINS",
            ),
            hd.sr.ContainerContentItem(DEMOGRAPHICS, relationship_type="CONTAINS"),
        ],
    )
    methodology = hd.sr.ContainerContentItem(METHODOLOGY, relationship_type="CONTAINS")
    return _with(methodology, [*used, model])


def content_tree(doses: StudyDoses) -> Dataset:
    """The TID 10030 root content item (a highdicom CONTAINER dataset)."""
    estimates = [e for e in doses.estimates if carried(e)]
    if not estimates:
        raise InvalidValueError(
            f"study {doses.study_instance_uid} has no organ, skin or effective dose estimate: "
            "no Patient Radiation Dose SR is written"
        )
    if not doses.reports:
        raise InvalidValueError(f"study {doses.study_instance_uid} has no current dose report")
    estimate = hd.sr.ContainerContentItem(ESTIMATE, relationship_type="CONTAINS")
    _with(estimate, [_methodology(doses, estimates), *map(_num, estimates)])
    observer = hd.sr.ObserverContext(
        observer_type=hd.sr.CodedConcept.from_code(DEVICE),
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=DEVICE_OBSERVER_UID, name="dosewatch", manufacturer_name="dosewatch"
        ),
    )
    root = hd.sr.ContainerContentItem(REPORT, template_id="10030")
    children: list[Dataset] = [
        hd.sr.LanguageOfContentItemAndDescendants(ENGLISH)[0],
        *observer,
        estimate,
    ]
    left_out = sorted({why for e in doses.estimates if (why := not_carried(e))})
    if left_out:
        text = "counted estimates not carried: " + "; ".join(left_out)
        children.append(hd.sr.TextContentItem(COMMENT, text[:1024], "CONTAINS"))
    return _with(root, children)


def _fingerprint(doses: StudyDoses) -> str:
    payload = json.dumps(
        [doses.study_instance_uid, *map(repr, doses.estimates), *map(repr, doses.reports)]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def build_prdsr(doses: StudyDoses, now: datetime) -> Dataset:
    """The Patient Radiation Dose SR of the study, as a pydicom Dataset with File Meta."""
    root = content_tree(doses)
    fingerprint = _fingerprint(doses)
    ds = Dataset()
    # Patient (Type 2: present, possibly empty; names are never stored by dosewatch)
    ds.PatientName = ""
    ds.PatientID = doses.patient_id or ""
    born = doses.patient_birth_date
    # a birth date after the study (placeholders such as 9999-01-01) is left empty
    plausible = born is not None and born <= (doses.study_date or now.date())
    ds.PatientBirthDate = born.strftime("%Y%m%d") if born is not None and plausible else ""
    ds.PatientSex = doses.patient_sex or ""
    # General Study
    ds.StudyInstanceUID = doses.study_instance_uid
    ds.StudyDate = doses.study_date.strftime("%Y%m%d") if doses.study_date else ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = doses.accession_number or ""
    if doses.study_description:
        ds.StudyDescription = doses.study_description
    # SR Document Series
    ds.Modality = "SR"
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[doses.study_instance_uid, "P-RDSR series"])
    ds.SeriesNumber = 9730
    ds.SeriesDescription = "Patient Radiation Dose (dosewatch estimates)"
    ds.ReferencedPerformedProcedureStepSequence = []
    # General + Enhanced General Equipment
    ds.Manufacturer = "dosewatch"
    ds.ManufacturerModelName = "dosewatch"
    ds.DeviceSerialNumber = DEVICE_OBSERVER_UID[-16:]
    ds.SoftwareVersions = SOFTWARE_VERSION
    # SR Document General
    ds.InstanceNumber = 1
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")
    ds.PerformedProcedureCodeSequence = []
    evidence = _evidence(doses)
    if evidence is not None:
        ds.CurrentRequestedProcedureEvidenceSequence = [evidence]
    # SR Document Content: the root item's attributes
    for element in root:
        ds.add(element)
    # SOP Common
    ds.SOPClassUID = PATIENT_RADIATION_DOSE_SR
    ds.SOPInstanceUID = generate_uid(
        entropy_srcs=[doses.study_instance_uid, fingerprint, now.isoformat()]
    )
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.InstanceCreationDate = ds.ContentDate
    ds.InstanceCreationTime = ds.ContentTime
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds


def _evidence(doses: StudyDoses) -> Dataset | None:
    """Current Requested Procedure Evidence (0040,A375): the source dose objects the tree
    references, by series (SR Document General Module, PS3.3 C.17.2). Reports recorded before
    the ledger kept their Series Instance UID cannot be listed; None when no report can."""
    by_series: dict[str, list[Dataset]] = {}
    for report in doses.reports:
        if not report.series_instance_uid:
            continue
        ref = Dataset()
        ref.ReferencedSOPClassUID = report.sop_class_uid
        ref.ReferencedSOPInstanceUID = report.sop_instance_uid
        by_series.setdefault(report.series_instance_uid, []).append(ref)
    if not by_series:
        return None
    study = Dataset()
    study.StudyInstanceUID = doses.study_instance_uid
    series_items = []
    for series_uid, refs in sorted(by_series.items()):
        series = Dataset()
        series.SeriesInstanceUID = series_uid
        series.ReferencedSOPSequence = refs
        series_items.append(series)
    study.ReferencedSeriesSequence = series_items
    return study


def export_prdsr(session: Session, study_instance_uid: str, now: datetime) -> Dataset:
    """The P-RDSR of a ledger study, checked by :func:`~.prdsr_check.validate_prdsr`."""
    from dosewatch.archive.prdsr_check import validate_prdsr

    ds = build_prdsr(study_doses(session, study_instance_uid), now)
    problems = validate_prdsr(ds)
    if problems:
        raise InvalidValueError(
            f"the P-RDSR of study {study_instance_uid} fails its structural check: "
            + "; ".join(problems[:5])
        )
    return ds
