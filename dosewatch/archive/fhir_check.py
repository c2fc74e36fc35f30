"""Checks of a study Bundle against FHIR R4 structure and the Radiation Dose Summary IG.

Structure and base cardinalities: ``fhir.resources`` (pydantic models; its R4B package,
4.3.0, is the nearest to 4.0.1 it ships: the resources used here are unchanged between the
two). Profiles: the fixed values, slices and cardinalities of the IG's Radiation Dose Summary
and Modality Device (OUTPUTS.md 2.1), checked here one by one, since the HL7 Java validator
is not available offline.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from dosewatch.archive import fhir

#: ComponentRadiationDoseSummaryVS (DCM unless SCT), plus 121058 Procedure reported that the
#: IG's own examples use (the binding is extensible)
COMPONENT_CODES = {
    (fhir.DCM, code)
    for code in ("113813", "113725", "113722", "113726", "113727", "113730", "113731",
                 "111637", "113507", "123005", "121058")
} | {(fhir.SCT, code) for code in ("349358000", "89457008", "410675002")}  # fmt: skip


def structural_problems(bundle: dict[str, Any]) -> list[str]:
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        return [f"FHIR structure: {error['loc']}: {error['msg']}" for error in exc.errors()]
    return []


def _one(values: list[Any] | None) -> bool:
    return values is not None and len(values) == 1


def _identifier_slice(identifier: dict[str, Any], code: str) -> bool:
    codings = identifier.get("type", {}).get("coding", [])
    return any(c.get("system") == fhir.IDENTIFIER_TYPE and c.get("code") == code for c in codings)


def observation_problems(obs: dict[str, Any], where: str) -> list[str]:
    """The Radiation Dose Summary profile's constraints on one Observation."""
    problems: list[str] = []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(f"{where}: {message}")

    need(fhir.DOSE_SUMMARY_PROFILE in obs.get("meta", {}).get("profile", []), "meta.profile")
    codings = obs.get("code", {}).get("coding", [])
    need(
        any(c.get("system") == fhir.LOINC and c.get("code") == "73569-6" for c in codings),
        "code is not LOINC 73569-6",
    )
    need("subject" in obs, "subject 1..1 missing")
    need(_one(obs.get("focus")), "focus must be 1..1")
    parts = [p for p in obs.get("partOf", []) if "identifier" in p]
    need(
        len(parts) == 1
        and _identifier_slice(parts[0]["identifier"], "study-instance-uid")
        and parts[0]["identifier"].get("system") == "urn:dicom:uid",
        "partOf:imagingStudyRef 1..1 with a study-instance-uid identifier (urn:dicom:uid)",
    )
    for identifier in obs.get("identifier", []):
        if _identifier_slice(identifier, "sop-instance-uid"):
            need(identifier.get("system") == "urn:dicom:uid", "radiationSRUID system")
            need(str(identifier.get("value", "")).startswith("urn:oid:"), "UID as urn:oid:")
    need("effectiveDateTime" in obs, "effective[x] must be a dateTime, 1..1")
    need(isinstance(obs.get("valueString"), str), "value[x] must be a string, 1..1")
    need(not any(k.startswith("value") and k != "valueString" for k in obs), "value[x] type")
    need(_one(obs.get("performer")), "performer must be 1..1")
    need("dataAbsentReason" not in obs and "specimen" not in obs, "0..0 elements present")
    for position, component in enumerate(obs.get("component", []), start=1):
        coding = component.get("code", {}).get("coding", [{}])[0]
        need(
            (coding.get("system"), coding.get("code")) in COMPONENT_CODES,
            f"component {position} code {coding.get('code')} not in the value set",
        )
        quantity = component.get("valueQuantity")
        if quantity is not None:
            need(
                quantity.get("system") == fhir.UCUM and quantity.get("code") == quantity["unit"],
                f"component {position} quantity without its UCUM code",
            )
    return problems


def device_problems(device: dict[str, Any], where: str) -> list[str]:
    """The Modality Device profile: type 1..1 from CID 33, identifier aeTitle 1..1."""
    problems: list[str] = []
    codings = device.get("type", {}).get("coding", [])
    if not (_one(codings) and codings[0].get("system") == fhir.DCM):
        problems.append(f"{where}: type must be one DCM coding")
    elif codings[0].get("code") not in fhir.CID_33:
        problems.append(f"{where}: type {codings[0].get('code')} not in CID 33")
    ae_titles = [
        i for i in device.get("identifier", []) if _identifier_slice(i, "application-entity")
    ]
    if len(ae_titles) != 1 or not ae_titles[0].get("value"):
        problems.append(f"{where}: identifier:aeTitle must be 1..1")
    return problems


def bundle_problems(bundle: dict[str, Any]) -> list[str]:
    """Every problem of the Bundle, one line each; [] when it conforms."""
    problems = structural_problems(bundle)
    if bundle.get("type") != "transaction":
        problems.append("Bundle.type must be transaction")
    for position, entry in enumerate(bundle.get("entry", []), start=1):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType")
        if kind == "Observation":
            problems += observation_problems(resource, f"entry {position} Observation")
        elif kind == "Device":
            problems += device_problems(resource, f"entry {position} Device")
    return problems
