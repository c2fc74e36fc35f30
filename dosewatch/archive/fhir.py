"""HL7 FHIR R4 (4.0.1) resources of one study, per the Radiation Dose Summary IG STU 1.

Canonical ``http://hl7.org/fhir/uv/radiation-dose-summary`` (package
``hl7.fhir.uv.radiation-dose-summary`` 1.0.0). STU 1 has four profiles: Radiation Dose
Summary (Observation), Modality Device (Device), Radiation Summary Report (Composition) and
Indication Observation. The CT / X-Ray Radiation Dose Summary and Irradiation Event Summary
profiles of the 2022 ballot (0.1.0) were removed from STU 1, so none is targeted.

One ``transaction`` Bundle per study: the Patient (conditional create on its identifier), the
ImagingStudy (conditional create on the Study Instance UID), per current source report one
Radiation Dose Summary Observation and, when the report came through the listener (its
calling AE title is the Modality Device's mandatory ``aeTitle`` identifier), one Modality
Device. The IG has no element for organ or effective doses: they go, labelled as
estimates with method basis and uncertainty, in the Observation's ``valueString`` text
(OUTPUTS.md 2.1). The IG's ``performer`` (1..1, the irradiation authorizing practitioner) is
not in any dose object dosewatch reads: it is a Reference with a ``display`` saying so, never
an invented Practitioner.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from dosewatch.archive.study_doses import SourceReport, StudyDoses, StudyEstimate
from dosewatch.domain.errors import InvalidValueError

IG = "http://hl7.org/fhir/uv/radiation-dose-summary"
DOSE_SUMMARY_PROFILE = f"{IG}/StructureDefinition/radiation-dose-summary"
MODALITY_DEVICE_PROFILE = f"{IG}/StructureDefinition/modality-device"
IDENTIFIER_TYPE = f"{IG}/CodeSystem/dicom-identifier-type"
LOINC = "http://loinc.org"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
DOSE_SUMMARY_CODE = "73569-6"
DOSE_SUMMARY_DISPLAY = (
    "Radiation exposure and protection information [Description] Document Diagnostic imaging"
)
#: DCM 121058 "Procedure reported" value per dosewatch modality family
PROCEDURE_REPORTED = {
    "CT": (SCT, "77477000", "Computerized axial tomography"),
    "DX": (DCM, "113704", "Projection X-Ray"),
    "RF": (DCM, "113704", "Projection X-Ray"),
    "XA": (DCM, "113704", "Projection X-Ray"),
    "MG": (SCT, "71651007", "Mammography"),
    "NM": (DCM, "113502", "Radiopharmaceutical Administration"),
}
#: DICOM CID 33 Modality codes the Modality Device ``type`` may take (dosewatch families)
CID_33 = {"CT", "DX", "RF", "XA", "MG", "NM", "PT", "CR", "PX"}
PERFORMER_UNKNOWN = "irradiation authorizing practitioner not recorded in the source dose report"


def _identifier_type(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": IDENTIFIER_TYPE, "code": code, "display": display}]}


def _uid(value: str) -> str:
    return f"urn:oid:{value}"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    # 12 significant digits: the value as recorded, without float noise from unit factors
    return {"value": float(f"{value:.12g}"), "unit": unit, "system": UCUM, "code": unit}


def _component(code: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [{"system": DCM, "code": code, "display": display}]}, **value}


def components(report: SourceReport) -> list[dict[str, Any]]:
    """The report's totals as IG components (units as in ComponentRadiationDoseSummaryVS)."""
    out: list[dict[str, Any]] = []
    procedure = PROCEDURE_REPORTED.get(report.modality)
    if procedure is not None:
        system, code, display = procedure
        concept = {"coding": [{"system": system, "code": code, "display": display}]}
        out.append(_component("121058", "Procedure reported", {"valueCodeableConcept": concept}))
    totals = (
        ("113813", "CT Dose Length Product Total", report.dlp_total_mgy_cm, 1.0, "mGy.cm"),
        ("113722", "Dose Area Product Total", report.kap_total_gy_cm2, 1e-4, "Gy.m2"),
        ("113725", "Dose (RP) Total", report.ka_r_total_gy, 1.0, "Gy"),
        ("113730", "Total Fluoro Time", report.fluoro_time_total_s, 1.0, "s"),
    )
    for code, display, value, factor, unit in totals:
        if value is not None:
            quantity = {"valueQuantity": _quantity(value * factor, unit)}
            out.append(_component(code, display, quantity))
    return out


def _estimate_text(estimate: StudyEstimate) -> str:
    basis = f" {estimate.basis}" if estimate.basis else ""
    what = "E" if estimate.quantity == "effective_dose" else estimate.quantity.replace("_", " ")
    if estimate.organ is not None:
        what = f"{estimate.organ[2]} dose"
    kind = "reported by the device" if estimate.origin == "reported" else "estimate"
    bound = " (upper bound)" if estimate.upper_bound else ""
    return (
        f"{what} {estimate.value:.3g} {estimate.unit}{basis}{bound}, {kind} "
        f"({estimate.model_id}, ±{estimate.uncertainty_pct:.0f} %)"
    )


def summary_text(doses: StudyDoses, report: SourceReport) -> str:
    """The Observation's valueString: the report's totals, then its counted estimates."""
    parts = [f"{report.modality} dose report {report.sop_instance_uid}"]
    if report.dlp_total_mgy_cm is not None:
        parts.append(f"DLP {report.dlp_total_mgy_cm:.4g} mGy.cm")
    if report.kap_total_gy_cm2 is not None:
        parts.append(f"KAP {report.kap_total_gy_cm2:.4g} Gy.cm2")
    if report.ka_r_total_gy is not None:
        parts.append(f"Ka,r {report.ka_r_total_gy * 1000:.4g} mGy")
    mine = [e for e in doses.estimates if e.source_sop_instance_uid == report.sop_instance_uid]
    # each estimate as recorded, with its basis and uncertainty; no sums here (a sum needs a
    # combined uncertainty: that is the cumulative view's job)
    parts.extend(_estimate_text(e) for e in mine)
    return "; ".join(parts)


def _effective(doses: StudyDoses, report: SourceReport) -> str:
    """The irradiation date: the report's content date, else the study date. A date only: the
    devices' local times carry no UTC offset, and FHIR requires one on a time."""
    if report.content_datetime is not None:
        return report.content_datetime.date().isoformat()
    assert doses.study_date is not None  # checked by study_bundle
    return doses.study_date.isoformat()


def study_bundle(doses: StudyDoses, now: datetime) -> dict[str, Any]:
    """The transaction Bundle of the study (see the module docstring)."""
    if not doses.reports:
        raise InvalidValueError(f"study {doses.study_instance_uid} has no current dose report")
    if doses.study_date is None and any(r.content_datetime is None for r in doses.reports):
        raise InvalidValueError(
            f"study {doses.study_instance_uid}: no irradiation date (effective[x] is 1..1)"
        )
    patient_url, study_url = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    entries: list[dict[str, Any]] = []
    patient: dict[str, Any] = {"resourceType": "Patient"}
    patient_query = None
    if doses.patient_id:
        patient["identifier"] = [{"value": doses.patient_id}]
        patient_query = f"identifier={doses.patient_id}"
    if doses.patient_sex in {"M", "F", "O"}:
        patient["gender"] = {"M": "male", "F": "female", "O": "other"}[doses.patient_sex]
    entries.append(_entry(patient_url, patient, "Patient", patient_query))
    study_identifier = {
        "type": _identifier_type("study-instance-uid", "Study Instance UID"),
        "system": "urn:dicom:uid",
        "value": _uid(doses.study_instance_uid),
    }
    imaging_study = {
        "resourceType": "ImagingStudy",
        "identifier": [study_identifier],
        "status": "available",
        "subject": {"reference": patient_url},
    }
    entries.append(
        _entry(
            study_url,
            imaging_study,
            "ImagingStudy",
            f"identifier=urn:dicom:uid|{_uid(doses.study_instance_uid)}",
        )
    )
    for report in doses.reports:
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "meta": {"profile": [DOSE_SUMMARY_PROFILE]},
            "identifier": [
                {
                    "type": _identifier_type("sop-instance-uid", "SOP Instance UID"),
                    "system": "urn:dicom:uid",
                    "value": _uid(report.sop_instance_uid),
                }
            ],
            "partOf": [{"reference": study_url, "identifier": study_identifier}],
            "status": "final",
            "code": {
                "coding": [
                    {"system": LOINC, "code": DOSE_SUMMARY_CODE, "display": DOSE_SUMMARY_DISPLAY}
                ]
            },
            "subject": {"reference": patient_url},
            "focus": [{"reference": study_url}],
            "effectiveDateTime": _effective(doses, report),
            "issued": now.isoformat(),
            "performer": [{"display": PERFORMER_UNKNOWN}],
            "valueString": summary_text(doses, report),
            "component": components(report),
        }
        if doses.accession_number:
            observation["basedOn"] = [
                {
                    "identifier": {
                        "type": {"coding": [{"system": V2_0203, "code": "ACSN"}]},
                        "value": doses.accession_number,
                    }
                }
            ]
        device = modality_device(report)
        if device is not None:
            device_url = f"urn:uuid:{uuid.uuid4()}"
            entries.append(_entry(device_url, device, "Device", None))
            observation["device"] = {"reference": device_url}
        entries.append(_entry(f"urn:uuid:{uuid.uuid4()}", observation, "Observation", None))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def modality_device(report: SourceReport) -> dict[str, Any] | None:
    """The Modality Device of a report received from a known calling AE, else None."""
    if report.calling_ae is None or report.modality not in CID_33:
        return None
    device: dict[str, Any] = {
        "resourceType": "Device",
        "meta": {"profile": [MODALITY_DEVICE_PROFILE]},
        "identifier": [
            {
                "type": _identifier_type("application-entity", "Application Entity"),
                "value": report.calling_ae,
            }
        ],
        "type": {"coding": [{"system": DCM, "code": report.modality}]},
    }
    names = []
    if report.manufacturer:
        names.append({"name": report.manufacturer, "type": "manufacturer-name"})
    if report.model:
        names.append({"name": report.model, "type": "model-name"})
    if names:
        device["deviceName"] = names
    return device


def _entry(
    full_url: str, resource: dict[str, Any], kind: str, if_none: str | None
) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": kind}
    if if_none is not None:
        request["ifNoneExist"] = if_none
    return {"fullUrl": full_url, "resource": resource, "request": request}
