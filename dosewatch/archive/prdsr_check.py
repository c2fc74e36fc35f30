"""Structural validator of a Patient Radiation Dose SR (TID 10030, PS3.16).

Checked, per template row: concept name, value type, relationship type, VM and requirement
(M rows present, VM-1 rows at most once), value sets of the coded rows (CID 10064 patient
model type, CID 10065 transport model type, CID 10061/10062 dose types with their units),
the Finding Site of every absorbed/equivalent dose, no deprecated SNOMED-RT codes anywhere,
and the IOD header attributes the modules make Type 1 / Type 2. TID 10030 and TID 10033 rows
are as read in PS3.16; TID 10031 rows follow ``docs/OUTPUTS.md`` 1.2 (unverified nesting).
The templates are extensible: items not in a row are allowed and not reported.

dciodvfy does not know this IOD; the tests also run it on a copy relabelled as an X-Ray
RDSR, which checks the common modules but not the content.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

PATIENT_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.73"
CID_10064 = {"128404", "128418", "128494"}  # Patient Model Type (DCM)
CID_10065 = {"128421", "128422", "128423", "128424", "128406", "128497"}
CID_10061 = {"128531", "128532", "128533", "128534", "128539"}  # absorbed: Gy
CID_10062 = {"128535", "128536", "128537", "128538", "128540"}  # equivalent: Sv
EFFECTIVE_DOSE = "113839"
TYPE_1 = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
          "Modality", "InstanceNumber", "CompletionFlag", "VerificationFlag",
          "ContentDate", "ContentTime", "Manufacturer", "ManufacturerModelName",
          "DeviceSerialNumber", "SoftwareVersions", "SeriesNumber")  # fmt: skip
TYPE_2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
          "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
          "PerformedProcedureCodeSequence")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    """One template row: (scheme, value) concept, value type, relationship, VM, required."""

    concept: tuple[str, str]
    value_type: str
    relationship: str
    many: bool  # VM 1-n
    required: bool


def _concept(item: Dataset) -> tuple[str, str]:
    seq = item.get("ConceptNameCodeSequence")
    if not seq:
        return ("", "")
    return (str(seq[0].get("CodingSchemeDesignator", "")), str(seq[0].get("CodeValue", "")))


def _code_value(item: Dataset) -> tuple[str, str]:
    seq = item.get("ConceptCodeSequence")
    if not seq:
        return ("", "")
    return (str(seq[0].get("CodingSchemeDesignator", "")), str(seq[0].get("CodeValue", "")))


def _unit(item: Dataset) -> str:
    mv = item.get("MeasuredValueSequence")
    if not mv or not mv[0].get("MeasurementUnitsCodeSequence"):
        return ""
    return str(mv[0].MeasurementUnitsCodeSequence[0].get("CodeValue", ""))


def _children(item: Dataset) -> list[Dataset]:
    return list(item.get("ContentSequence") or [])


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def rows(self, parent: Dataset, where: str, rows: tuple[Row, ...]) -> dict[Row, list[Dataset]]:
        """Match the children of ``parent`` against ``rows``; check VM, type, relationship."""
        found: dict[Row, list[Dataset]] = {row: [] for row in rows}
        for child in _children(parent):
            concept = _concept(child)
            for row in rows:
                if row.concept == concept and row.value_type == child.get("ValueType"):
                    found[row].append(child)
                    if child.get("RelationshipType") != row.relationship:
                        self.fail(
                            where,
                            f"{concept} has relationship {child.get('RelationshipType')}, "
                            f"expected {row.relationship}",
                        )
                    break
        for row, items in found.items():
            if row.required and not items:
                self.fail(where, f"mandatory {row.value_type} {row.concept} missing")
            if not row.many and len(items) > 1:
                self.fail(where, f"{row.concept} present {len(items)} times, VM 1")
        return found


def _r(value: str, vt: str, rel: str, *, many: bool = False, required: bool = True) -> Row:
    scheme = "SCT" if value.isdigit() and len(value) > 6 else "DCM"
    return Row((scheme, value), vt, rel, many, required)


ROOT_ROWS = (
    _r("121049", "CODE", "HAS CONCEPT MOD"),  # TID 1204 Language of Content Item
    _r("121005", "CODE", "HAS OBS CONTEXT", many=True),  # TID 1002 Observer Type
    _r("128402", "CONTAINER", "CONTAINS"),  # TID 10031
    _r("121106", "TEXT", "CONTAINS", required=False),
)
METHODOLOGY_ROWS = (
    _r("128416", "COMPOSITE", "CONTAINS", many=True),
    _r("128500", "CONTAINER", "CONTAINS"),
)
MODEL_ROWS = (
    _r("128417", "CODE", "CONTAINS"),
    _r("128420", "CODE", "CONTAINS"),
    _r("128426", "TEXT", "CONTAINS", required=False),
    _r("121106", "TEXT", "CONTAINS", required=False),
    _r("128427", "CONTAINER", "CONTAINS"),
)
ESTIMATE_ROWS = (
    _r("128403", "TEXT", "CONTAINS", required=False),
    _r("128415", "CONTAINER", "CONTAINS"),
)
DOSE_ROWS = (
    _r("363698007", "CODE", "HAS CONCEPT MOD"),
    _r("272741003", "CODE", "HAS CONCEPT MOD", required=False),
)


def validate_prdsr(ds: Dataset) -> list[str]:
    """Every structural problem of ``ds`` as one line each; [] when it conforms."""
    check = _Checker()
    if ds.get("SOPClassUID") != PATIENT_RADIATION_DOSE_SR:
        check.fail("SOP Common", f"SOP Class UID {ds.get('SOPClassUID')} is not …88.73")
    if ds.get("Modality") != "SR":
        check.fail("SR Document Series", f"Modality {ds.get('Modality')!r}, expected SR")
    for keyword in TYPE_1:
        if keyword not in ds or ds[keyword].is_empty:
            check.fail("header", f"Type 1 attribute {keyword} missing or empty")
    for keyword in TYPE_2:
        if keyword not in ds:
            check.fail("header", f"Type 2 attribute {keyword} missing")
    if ds.get("ValueType") != "CONTAINER" or _concept(ds) != ("DCM", "128401"):
        check.fail("root", "root is not CONTAINER (128401, DCM, Patient Radiation Dose Report)")
    templates = ds.get("ContentTemplateSequence") or []
    if not templates or (
        templates[0].get("TemplateIdentifier"),
        templates[0].get("MappingResource"),
    ) != ("10030", "DCMR"):
        check.fail("root", "Content Template Sequence is not TID 10030 / DCMR")
    _no_legacy_codes(ds, check)
    root = check.rows(ds, "TID 10030", ROOT_ROWS)
    for estimate in root[ROOT_ROWS[2]]:
        _estimate(estimate, check)
    return check.problems


def _estimate(estimate: Dataset, check: _Checker) -> None:
    found = check.rows(estimate, "TID 10031", ESTIMATE_ROWS)
    for methodology in found[ESTIMATE_ROWS[1]]:
        _methodology(methodology, check)
    doses = [c for c in _children(estimate) if c.get("ValueType") == "NUM"]
    if not doses:
        check.fail("TID 10031", "no dose NUM (CID 10061 / 10062) present")
    for position, num in enumerate(doses, start=1):
        where = f"TID 10031 NUM {position} {_concept(num)}"
        scheme, value = _concept(num)
        unit = _unit(num)
        if scheme == "DCM" and value in CID_10061:
            expected = "Gy"
        elif scheme == "DCM" and value in CID_10062 | {EFFECTIVE_DOSE}:
            expected = "Sv"
        else:
            check.fail(where, "concept not in CID 10061 / 10062 nor Effective Dose")
            continue
        if unit != expected:
            check.fail(where, f"unit {unit!r}, CID 10071 requires {expected}")
        if num.get("RelationshipType") != "CONTAINS":
            check.fail(where, "relationship is not CONTAINS")
        if value == EFFECTIVE_DOSE:
            authorities = [c for c in _children(num) if _concept(c) == ("DCM", "121406")]
            if len(authorities) != 1 or _code_value(authorities[0]) not in {
                ("DCM", "113841"),
                ("DCM", "113808"),
            }:
                check.fail(where, "effective dose needs one Reference Authority (ICRP 103 / 60)")
            continue
        rows = check.rows(num, where, DOSE_ROWS)
        for site in rows[DOSE_ROWS[0]]:
            if _code_value(site)[0] != "SCT":
                check.fail(where, f"Finding Site {_code_value(site)} is not an SCT code")


def _methodology(methodology: Dataset, check: _Checker) -> None:
    found = check.rows(methodology, "TID 10033", METHODOLOGY_ROWS)
    for position, used in enumerate(found[METHODOLOGY_ROWS[0]], start=1):
        refs = used.get("ReferencedSOPSequence") or []
        if len(refs) != 1 or not refs[0].get("ReferencedSOPInstanceUID"):
            check.fail(f"TID 10033 SR Instance Used {position}", "no Referenced SOP Sequence")
        for event in _children(used):
            if _concept(event) == ("DCM", "128429") and (
                event.get("ValueType") != "UIDREF"
                or event.get("RelationshipType") != "HAS PROPERTIES"
            ):
                check.fail(f"TID 10033 SR Instance Used {position}", "Event UID Used is not a "
                           "HAS PROPERTIES UIDREF")  # fmt: skip
    for model in found[METHODOLOGY_ROWS[1]]:
        rows = check.rows(model, "TID 10033 Patient Radiation Dose Model", MODEL_ROWS)
        for item in rows[MODEL_ROWS[0]]:
            if _code_value(item) not in {("DCM", v) for v in CID_10064}:
                check.fail("TID 10033", f"Patient Model Type {_code_value(item)} not in CID 10064")
        for item in rows[MODEL_ROWS[1]]:
            if _code_value(item) not in {("DCM", v) for v in CID_10065}:
                check.fail(
                    "TID 10033", f"Transport Model Type {_code_value(item)} not in CID 10065"
                )
        data = [c for c in _children(model) if _concept(c) == ("DCM", "128425")]
        if len(data) > 1:
            check.fail("TID 10033", "Patient Radiation Dose Model Data present more than once")


def _no_legacy_codes(ds: Dataset, check: _Checker) -> None:
    """SNOMED-RT (SRT) is deprecated: no code of the document may use it."""
    stack = [ds]
    while stack:
        item = stack.pop()
        for keyword in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            for code in item.get(keyword) or []:
                if code.get("CodingSchemeDesignator") in {"SRT", "SNM3"}:
                    check.fail("content", f"deprecated code ({code.CodeValue}, SRT)")
        stack.extend(_children(item))
