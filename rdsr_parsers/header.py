"""Patient, study and device facts from the DICOM header (any IOD)."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain.codes import normalise_key
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import DeviceFacts, PatientFacts, PatientIdentifier, StudyFacts
from dosewatch.domain.units import Quantity
from rdsr_parsers.context import ParseContext
from rdsr_parsers.values import (
    combine,
    first_decimal,
    parse_age,
    parse_date,
    parse_datetime,
    parse_time,
)

_WEIGHT_RANGE_KG = (0.2, 650.0)
_HEIGHT_RANGE_M = (0.2, 2.8)


def text(ds: Dataset, keyword: str) -> str | None:
    """A string attribute, stripped; '' -> None. Decoding per Specific Character Set."""
    try:
        value = ds.get(keyword)
    except (ValueError, LookupError, UnicodeDecodeError):
        return None
    if value is None:
        return None
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        parts = [str(v).strip() for v in value if str(v).strip()]
        return "\\".join(parts) or None
    return str(value).strip() or None


def raw(ds: Dataset, keyword: str) -> object:
    """The undecoded value of a numeric attribute (bytes for raw elements)."""
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        return None
    elem = ds.get_item(tag)
    return None if elem is None else elem.value


def _identifier(item: Dataset) -> PatientIdentifier | None:
    value = text(item, "PatientID")
    if value is None:
        return None
    universal_id = universal_type = None
    qualifiers = item.get("IssuerOfPatientIDQualifiersSequence")
    if qualifiers:
        universal_id = text(qualifiers[0], "UniversalEntityID")
        universal_type = text(qualifiers[0], "UniversalEntityIDType")
    return PatientIdentifier(
        value=value,
        issuer=text(item, "IssuerOfPatientID"),
        issuer_universal_id=universal_id,
        issuer_universal_id_type=universal_type,
        type_of_id=text(item, "TypeOfPatientID"),
    )


def patient_facts(ds: Dataset, ctx: ParseContext) -> PatientFacts:
    others = tuple(
        ident
        for item in (ds.get("OtherPatientIDsSequence") or ())
        if (ident := _identifier(item)) is not None
    )
    legacy_other = text(ds, "OtherPatientIDs")
    if legacy_other and not others:
        ctx.add(
            FindingCode.IDENTITY_RETIRED_OTHER_IDS,
            "retired Other Patient IDs (0010,1000) present without issuers; not used for identity",
            path="(0010,1000)",
        )
    age = parse_age(ds.get("PatientAge"), ctx, path="(0010,1010)")
    sex = text(ds, "PatientSex")
    if sex is not None and sex.upper() not in {"M", "F", "O"}:
        ctx.add(
            FindingCode.VALUE_INVALID_SEX,
            f"Patient's Sex {sex[:4]!r} is not M, F or O",
            path="(0010,0040)",
        )
        sex = None
    weight = first_decimal(raw(ds, "PatientWeight"), ctx, path="(0010,1030)", concept=None)
    if weight is not None and not (_WEIGHT_RANGE_KG[0] <= weight <= _WEIGHT_RANGE_KG[1]):
        if weight != 0:
            ctx.add(
                FindingCode.VALUE_IMPLAUSIBLE_WEIGHT,
                f"patient weight {weight:g} kg ignored",
                path="(0010,1030)",
            )
        weight = None
    height = first_decimal(raw(ds, "PatientSize"), ctx, path="(0010,1020)", concept=None)
    if height is not None and not (_HEIGHT_RANGE_M[0] <= height <= _HEIGHT_RANGE_M[1]):
        if _HEIGHT_RANGE_M[0] * 100 <= height <= _HEIGHT_RANGE_M[1] * 100:
            ctx.add(
                FindingCode.UNIT_HEIGHT_IN_CM,
                f"Patient's Size {height:g} looks like cm, not m; read as {height / 100:g} m",
                path="(0010,1020)",
            )
            height = height / 100
        else:
            if height != 0:
                ctx.add(
                    FindingCode.VALUE_IMPLAUSIBLE_HEIGHT,
                    f"patient size {height:g} m ignored",
                    path="(0010,1020)",
                )
            height = None
    return PatientFacts(
        patient_id=_identifier(ds),
        other_ids=others,
        name=text(ds, "PatientName"),
        birth_date=parse_date(ds.get("PatientBirthDate"), ctx, path="(0010,0030)"),
        sex=None if sex is None else sex.upper(),
        age=None if age is None else Quantity(age[0], age[1]),
        weight=None if weight is None else Quantity(weight, "kg"),
        height=None if height is None else Quantity(height, "m"),
    )


def _code(item: Dataset) -> Code | None:
    scheme = text(item, "CodingSchemeDesignator")
    value = text(item, "CodeValue")
    if not scheme or not value:
        return None
    key = normalise_key(scheme, value)
    return Code(key[1], key[0], text(item, "CodeMeaning") or key[1])


def study_facts(ds: Dataset, ctx: ParseContext) -> StudyFacts:
    requested = text(ds, "RequestedProcedureDescription")
    requested_code = None
    for request in ds.get("RequestAttributesSequence") or ():
        requested = requested or text(request, "RequestedProcedureDescription")
        codes = request.get("RequestedProcedureCodeSequence")
        if codes and requested_code is None:
            requested_code = _code(codes[0])
    procedure_codes = tuple(
        code for item in (ds.get("ProcedureCodeSequence") or ()) if (code := _code(item))
    )
    study_date = parse_date(ds.get("StudyDate"), ctx, path="(0008,0020)")
    study_time = parse_time(ds.get("StudyTime"), ctx, path="(0008,0030)")
    content_dt = combine(
        parse_date(ds.get("ContentDate"), ctx, path="(0008,0023)"),
        parse_time(ds.get("ContentTime"), ctx, path="(0008,0033)"),
    )
    acquisition_dt = parse_datetime(ds.get("AcquisitionDateTime"), ctx, path="(0008,002A)")
    if acquisition_dt is None:
        acquisition_dt = combine(
            parse_date(ds.get("AcquisitionDate"), ctx, path="(0008,0022)"),
            parse_time(ds.get("AcquisitionTime"), ctx, path="(0008,0032)"),
        )
    if study_date is None:
        ctx.add(
            FindingCode.STUDY_DATE_MISSING, "Study Date is absent or invalid", path="(0008,0020)"
        )
    return StudyFacts(
        study_instance_uid=text(ds, "StudyInstanceUID") or "",
        series_instance_uid=text(ds, "SeriesInstanceUID"),
        sop_instance_uid=text(ds, "SOPInstanceUID") or "",
        sop_class_uid=text(ds, "SOPClassUID") or "",
        study_date=study_date,
        study_time=study_time,
        accession_number=text(ds, "AccessionNumber"),
        study_description=text(ds, "StudyDescription"),
        series_description=text(ds, "SeriesDescription"),
        requested_procedure_description=requested,
        requested_procedure_code=requested_code,
        procedure_codes=procedure_codes,
        modality=text(ds, "Modality"),
        content_datetime=content_dt,
        acquisition_datetime=acquisition_dt,
    )


def device_facts(ds: Dataset) -> DeviceFacts:
    software = ds.get("SoftwareVersions")
    if software is None:
        versions: tuple[str, ...] = ()
    elif isinstance(software, str):
        versions = (software.strip(),) if software.strip() else ()
    else:
        versions = tuple(str(v).strip() for v in software if str(v).strip())
    return DeviceFacts(
        manufacturer=text(ds, "Manufacturer"),
        model=text(ds, "ManufacturerModelName"),
        serial_number=text(ds, "DeviceSerialNumber"),
        station_name=text(ds, "StationName"),
        institution_name=text(ds, "InstitutionName"),
        institution_address=text(ds, "InstitutionAddress"),
        institutional_department=text(ds, "InstitutionalDepartmentName"),
        software_versions=versions,
    )


_DEVICE_KEYWORDS = (
    "SpecificCharacterSet",
    "Manufacturer",
    "InstitutionName",
    "InstitutionAddress",
    "StationName",
    "InstitutionalDepartmentName",
    "ManufacturerModelName",
    "DeviceSerialNumber",
    "SoftwareVersions",
)


def peek_device(data: bytes) -> DeviceFacts | None:
    """The device a DICOM object's header names, read on its own (for rejected objects).

    Best effort: the object may be damaged, truncated or not DICOM at all — then None.
    Only General Equipment attributes are read (never patient data).
    """
    import io
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True, specific_tags=list(_DEVICE_KEYWORDS))
            facts = device_facts(ds)
    except Exception:  # a damaged object: its device is simply unknown
        return None
    if facts.manufacturer is None and facts.model is None:
        return None
    return facts
