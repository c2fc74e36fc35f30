"""Shared pieces of the synthetic dose-object builders.

* :class:`UidFactory` — deterministic UIDs (``2.25.<int>``) from a seed and a counter.
* :class:`Deviation` — the vendor deviations of DOMAIN.md "Known vendor deviations" that a
  builder can inject on request.
* :class:`PatientSpec`, :class:`DeviceSpec`, :class:`StudySpec` — Patient, General Study,
  General Series/Equipment facts of the header.
* :class:`SrWriter` — encodes SR content items (PS3.3 C.17.3) with the fast
  :mod:`dosewatch.synth.encoder`, applying the deviations that act on single items (SRT
  codes, broken DS strings, ...).
* :func:`sr_document` — the SR Document (Patient, Study, Series, Equipment, SR Document
  General and Content modules) with file meta information, as Part 10 bytes.
* :func:`read_dataset` / :func:`to_bytes` — the pydicom view of those bytes and back.

Nothing here configures pydicom globally.
"""

from __future__ import annotations

import enum
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

import pydicom
from pydicom.dataset import Dataset
from pydicom.sr._snomed_dict import mapping as _snomed_mapping
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth.encoder import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    Element,
    Encoder,
    file_meta,
)

# ----------------------------------------------------------------------------- constants

XRAY_RDSR_SOP_CLASS: Final = "1.2.840.10008.5.1.4.1.1.88.67"
RADIOPHARMACEUTICAL_RDSR_SOP_CLASS: Final = "1.2.840.10008.5.1.4.1.1.88.68"
ENHANCED_SR_SOP_CLASS: Final = "1.2.840.10008.5.1.4.1.1.88.22"
#: Implementation Class UID of the synthetic writer (a fixed 2.25 UUID-derived root)
IMPLEMENTATION_CLASS_UID: Final = "2.25.229385146726353410531036311370937366417"
IMPLEMENTATION_VERSION_NAME: Final = "DOSEWATCH_SYN1"
#: Issuer OID of the NIR-based INS (French national health identifier)
INS_ISSUER_OID: Final = "1.2.250.1.213.1.4.8"

OBSERVER_TYPE_DEVICE: Final = Code("121007", "DCM", "Device")
STRIP_FILTER: Final = Code("113650", "DCM", "Strip filter")
FLAT_FILTER: Final = Code("113653", "DCM", "Flat filter")
WEDGE_FILTER: Final = Code("113651", "DCM", "Wedge filter")
COPPER: Final = Code("66925006", "SCT", "Copper")
ALUMINUM: Final = Code("12503006", "SCT", "Aluminum")
MOLYBDENUM: Final = Code("71128006", "SCT", "Molybdenum")
RHODIUM: Final = Code("59801003", "SCT", "Rhodium")
SILVER: Final = Code("41967008", "SCT", "Silver")
TUNGSTEN: Final = Code("26194003", "SCT", "Tungsten")
FIFTEEN_CM_FROM_ISOCENTER: Final = Code("113860", "DCM", "15cm from Isocenter toward Source")
YES: Final = Code("373066001", "SCT", "Yes")
NO: Final = Code("373067005", "SCT", "No")
MALE: Final = Code("M", "DCM", "Male")
FEMALE: Final = Code("F", "DCM", "Female")

#: SCT -> SRT for the :attr:`Deviation.SRT_CODES` deviation (pydicom's map, reversed, plus
#: the codes that map lacks; the same supplement dosewatch.domain.codes uses on the way in)
_SCT_TO_SRT: Final[dict[str, str]] = {sct: srt for srt, sct in _snomed_mapping["SRT"].items()}
_SCT_TO_SRT.update(
    {
        "349358000": "F-61FDB",
        "66925006": "C-127F9",
        "12503006": "C-120F9",
        "71128006": "C-150F9",
        "59801003": "C-167F9",
        "41967008": "C-137F9",
        "26194003": "C-164F9",
    }
)

# ----------------------------------------------------------------------------------- UIDs


class UidFactory:
    """Deterministic UIDs under ``2.25.``: the integer is a hash of (seed, namespace, n).

    The same seed gives the same sequence of UIDs; at most 44 characters (≤ 64).
    """

    __slots__ = ("_counter", "_prefix")

    def __init__(self, seed: int, namespace: str = "") -> None:
        self._prefix = f"dosewatch-synth/{seed}/{namespace}/".encode()
        self._counter = 0

    def __call__(self) -> str:
        self._counter += 1
        digest = hashlib.sha256(self._prefix + str(self._counter).encode()).digest()
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"

    def child(self, namespace: str) -> UidFactory:
        """An independent factory (its own counter) under a sub-namespace."""
        seed_part = self._prefix.decode().split("/")[1]
        parent_ns = self._prefix.decode().split("/", 2)[2].rstrip("/")
        return UidFactory(int(seed_part), f"{parent_ns}.{namespace}")


# ------------------------------------------------------------------------------ deviations


class Deviation(enum.StrEnum):
    """Known vendor deviations (DOMAIN.md) that builders can inject.

    Not every deviation applies to every template: each builder lists the ones it accepts
    in its ``SUPPORTED_DEVIATIONS`` and raises ``ValueError`` for the others.
    """

    #: DAP unit written "Gym2" (value in Gy.m2)
    UNIT_GYM2 = "unit_gym2"
    #: DAP unit written "Gy.cm^2" (value in Gy.cm2)
    UNIT_GY_CM2_CARET = "unit_gy_cm2_caret"
    #: DAP sent in dGy.cm2 (valid UCUM, not the template's Gy.m2)
    DAP_IN_DGY_CM2 = "dap_in_dgy_cm2"
    #: Dose (RP) sent in mGy instead of Gy
    RP_DOSE_IN_MGY = "rp_dose_in_mgy"
    #: decimal comma inside a DS value ("12,5")
    DS_DECIMAL_COMMA = "ds_decimal_comma"
    #: slash used as a value separator inside one DS value ("120/120")
    DS_SLASH_SEPARATOR = "ds_slash_separator"
    #: decimals in IS values (Series/Instance Number) and a count NUM that is not integral
    IS_DECIMAL = "is_decimal"
    #: text in Patient's Size ("1.75m")
    PATIENT_SIZE_TEXT = "patient_size_text"
    #: Content Template Sequence absent
    MISSING_TEMPLATE_SEQUENCE = "missing_template_sequence"
    #: a NUM item with an empty Measured Value Sequence
    EMPTY_MEASURED_VALUE = "empty_measured_value"
    #: a CODE item with an empty Concept Code Sequence
    EMPTY_CODED_VALUE = "empty_coded_value"
    #: SNOMED-RT (SRT) codes instead of SCT
    SRT_CODES = "srt_codes"
    #: TEXT where the template expects CODE (Reference Point Definition)
    TEXT_FOR_CODE = "text_for_code"
    #: accumulated totals differing from the sum of events
    TOTALS_DIFFER = "totals_differ"
    #: implausible exposure time (milliseconds labelled seconds)
    IMPLAUSIBLE_EXPOSURE_TIME = "implausible_exposure_time"
    #: Patient's Age over 150 years
    AGE_OVER_150 = "age_over_150"
    #: Explicit VR Big Endian transfer syntax (retired)
    BIG_ENDIAN = "big_endian"
    #: Implicit VR Little Endian transfer syntax
    IMPLICIT_VR = "implicit_vr"
    #: ISO_IR 192 (UTF-8) with non-ASCII names
    MULTIBYTE_CHARSET = "multibyte_charset"
    #: Irradiation Event UID (or Administration Event UID) dropped from every event
    MISSING_EVENT_UID = "missing_event_uid"
    #: Mean CTDIvol dropped from every CT event
    MISSING_CTDIVOL = "missing_ctdivol"
    #: the accumulated dose container dropped
    MISSING_ACCUMULATED = "missing_accumulated"
    #: X-Ray Radiation Dose Report sent under the Enhanced SR SOP Class
    GENERIC_SR_CLASS = "generic_sr_class"


#: deviations that every template accepts (header and encoding level)
COMMON_DEVIATIONS: Final = frozenset(
    {
        Deviation.IS_DECIMAL,
        Deviation.PATIENT_SIZE_TEXT,
        Deviation.MISSING_TEMPLATE_SEQUENCE,
        Deviation.SRT_CODES,
        Deviation.AGE_OVER_150,
        Deviation.BIG_ENDIAN,
        Deviation.IMPLICIT_VR,
        Deviation.MULTIBYTE_CHARSET,
        Deviation.EMPTY_MEASURED_VALUE,
        Deviation.EMPTY_CODED_VALUE,
        Deviation.DS_DECIMAL_COMMA,
        Deviation.DS_SLASH_SEPARATOR,
        Deviation.MISSING_EVENT_UID,
        Deviation.MISSING_ACCUMULATED,
        Deviation.TOTALS_DIFFER,
        Deviation.GENERIC_SR_CLASS,
    }
)


def check_deviations(
    deviations: Iterable[Deviation], supported: frozenset[Deviation], template: str
) -> frozenset[Deviation]:
    chosen = frozenset(deviations)
    unsupported = chosen - supported
    if unsupported:
        names = ", ".join(sorted(d.value for d in unsupported))
        raise ValueError(f"{template} builder cannot inject: {names}")
    if Deviation.BIG_ENDIAN in chosen and Deviation.IMPLICIT_VR in chosen:
        raise ValueError("big_endian and implicit_vr are exclusive transfer syntaxes")
    return chosen


# ------------------------------------------------------------------------- header specs


@dataclass(frozen=True, slots=True)
class PatientSpec:
    """Patient module facts (PS3.3 C.7.1.1) and Patient Study facts (C.7.2.2)."""

    name: str = "SYNTHETIC^PATIENT"
    patient_id: str = "SYN0000001"
    #: Issuer of Patient ID (0010,0021): the establishment's assigning authority
    issuer: str = "SYNTH-HOSPITAL"
    #: Universal Entity ID of the local issuer (an OID), optional
    issuer_oid: str | None = None
    #: national INS (NIR-based, 15 digits) carried in Other Patient IDs Sequence
    ins: str | None = None
    birth_date: date | None = date(1970, 1, 1)
    sex: str = "F"
    #: age at the study in years; computed from birth date and study date when None
    age_years: int | None = None
    weight_kg: float | None = 70.0
    height_m: float | None = 1.68


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """General Equipment module facts (C.7.5.1) and the Device Observer (TID 1004)."""

    manufacturer: str = "SYNTH MEDICAL"
    model: str = "SynthScan 64"
    serial_number: str = "SN000001"
    station_name: str = "SYNTH01"
    institution_name: str = "Synthetic General Hospital"
    software_version: str = "1.0"
    #: None: derived from the manufacturer/model/serial (stable per device)
    device_observer_uid: str | None = None

    def observer_uid(self) -> str:
        if self.device_observer_uid:
            return self.device_observer_uid
        key = f"{self.manufacturer}|{self.model}|{self.serial_number}".encode()
        digest = hashlib.sha256(b"dosewatch-synth-device/" + key).digest()
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"


@dataclass(frozen=True, slots=True)
class StudySpec:
    """General Study / Series facts; None UIDs are drawn from the UID factory."""

    study_datetime: datetime = datetime(2024, 3, 14, 9, 30, 0)
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_instance_uid: str | None = None
    accession_number: str = "ACC0000001"
    study_description: str = "SYNTHETIC EXAM"
    series_description: str = "Radiation Dose Information"
    series_number: int = 999
    instance_number: int = 1
    #: content date/time; defaults to the study date/time
    content_datetime: datetime | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """Everything of a dose object that is not its content tree."""

    patient: PatientSpec = field(default_factory=PatientSpec)
    device: DeviceSpec = field(default_factory=DeviceSpec)
    study: StudySpec = field(default_factory=StudySpec)


#: the header used when a builder is given none
DEFAULT_HEADER: Final = Header()

#: non-ASCII identity used by :attr:`Deviation.MULTIBYTE_CHARSET`
MULTIBYTE_NAME: Final = "Lefèvre-Ødegård^Zoé Ånne"
MULTIBYTE_INSTITUTION: Final = "Clinique Sainte-Bérénice (日本語)"


# ------------------------------------------------------------------------------- helpers


def ds_str(value: float) -> str:
    """A DS string of at most 16 characters (PS3.5 6.2)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    for digits in (10, 8, 6, 4):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    return f"{value:.3e}"


def decimal_comma(value: float) -> str:
    """A DS value written with a decimal comma (the :attr:`Deviation.DS_DECIMAL_COMMA` bug)."""
    text = f"{value:.10f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return text[:16].replace(".", ",")


def dicom_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def dicom_time(value: datetime) -> str:
    return value.strftime("%H%M%S")


def dicom_datetime(value: datetime) -> str:
    return value.strftime("%Y%m%d%H%M%S")


# SR content item attributes (PS3.3 C.17.3)
_T_CODE_VALUE: Final = 0x00080100
_T_SCHEME: Final = 0x00080102
_T_MEANING: Final = 0x00080104
_T_UNITS: Final = 0x004008EA
_T_RELATIONSHIP: Final = 0x0040A010
_T_VALUE_TYPE: Final = 0x0040A040
_T_CONCEPT_NAME: Final = 0x0040A043
_T_CONTINUITY: Final = 0x0040A050
_T_DATETIME: Final = 0x0040A120
_T_UID: Final = 0x0040A124
_T_TEXT_VALUE: Final = 0x0040A160
_T_CONCEPT_CODE: Final = 0x0040A168
_T_MEASURED_VALUE: Final = 0x0040A300
_T_NUMERIC_VALUE: Final = 0x0040A30A
_T_CONTENT_SEQ: Final = 0x0040A730


#: (transfer syntax, charset, SRT deviation) → (encoded code items, item prefixes)
_WRITER_CACHES: dict[
    tuple[str, str, bool], tuple[dict[object, bytes], dict[object, tuple[Code, bytes]]]
] = {}


class SrWriter:
    """Encodes SR content items (each call returns one encoded item body).

    Item-level deviations are applied here (SCT written as SRT); the template builders
    apply the others where the template puts the affected item.
    """

    __slots__ = ("_cache", "_prefixes", "_srt", "deviations", "enc", "transfer_syntax")

    def __init__(self, deviations: frozenset[Deviation]) -> None:
        self.deviations = deviations
        if Deviation.BIG_ENDIAN in deviations:
            self.transfer_syntax = EXPLICIT_VR_BIG_ENDIAN
        elif Deviation.IMPLICIT_VR in deviations:
            self.transfer_syntax = IMPLICIT_VR_LITTLE_ENDIAN
        else:
            self.transfer_syntax = EXPLICIT_VR_LITTLE_ENDIAN
        charset = "utf-8" if Deviation.MULTIBYTE_CHARSET in deviations else "latin_1"
        self.enc = Encoder(self.transfer_syntax, charset)
        self._srt = Deviation.SRT_CODES in deviations
        # encoded code items depend on the encoding and on the SRT deviation: shared caches
        caches = _WRITER_CACHES.setdefault((self.transfer_syntax, charset, self._srt), ({}, {}))
        self._cache, self._prefixes = caches

    def has(self, deviation: Deviation) -> bool:
        return deviation in self.deviations

    # ------------------------------------------------------------------ coded entries
    def code_body(self, code: Code) -> bytes:
        """A Code Sequence item body; SCT written as SRT under :attr:`Deviation.SRT_CODES`."""
        key = ("code", code.value, code.scheme_designator, code.meaning)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        value, scheme = code.value, code.scheme_designator
        if scheme == "SCT" and self._srt and value in _SCT_TO_SRT:
            value, scheme = _SCT_TO_SRT[value], "SRT"
        enc = self.enc
        body = enc.body(
            [
                enc.text(_T_CODE_VALUE, "SH", value),
                enc.text(_T_SCHEME, "SH", scheme),
                enc.text(_T_MEANING, "LO", code.meaning),
            ]
        )
        self._cache[key] = body
        return body

    def code_sequence(self, tag: int, code: Code | None) -> Element:
        if code is None:
            return self.enc.sequence(tag, [])
        key = ("seq", tag, code.value, code.scheme_designator, code.meaning)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self.enc.single(tag, self.code_body(code))
        return tag, cached

    def _units(self, unit: str) -> bytes:
        key = ("unit", unit)
        cached = self._cache.get(key)
        if cached is None:
            enc = self.enc
            body = enc.body(
                [
                    enc.text(_T_CODE_VALUE, "SH", unit),
                    enc.text(_T_SCHEME, "SH", "UCUM"),
                    enc.text(_T_MEANING, "LO", unit),
                ]
            )
            cached = self._cache[key] = enc.single(_T_UNITS, body)
        return cached

    # ---------------------------------------------------------------- content items
    def _prefix(self, value_type: str, relationship: str, concept: Code) -> bytes:
        """Relationship Type, Value Type and Concept Name (the lowest tags of an item)."""
        # keyed by identity (codes are long-lived constants); the entry keeps the code alive
        key = (id(concept), value_type, relationship)
        entry = self._prefixes.get(key)
        if entry is not None and entry[0] is concept:
            return entry[1]
        enc = self.enc
        data = (
            enc.const(_T_RELATIONSHIP, "CS", relationship)[1]
            + enc.const(_T_VALUE_TYPE, "CS", value_type)[1]
            + self.code_sequence(_T_CONCEPT_NAME, concept)[1]
        )
        self._prefixes[key] = (concept, data)
        return data

    def _item(
        self,
        value_type: str,
        relationship: str,
        concept: Code,
        value: bytes,
        children: Sequence[bytes],
    ) -> bytes:
        """An item body: prefix, the value element(s) (tags between Concept Name and
        Content Sequence, already in order) and the children."""
        prefix = self._prefix(value_type, relationship, concept)
        if children:
            return prefix + value + self.enc.sequence(_T_CONTENT_SEQ, children)[1]
        return prefix + value

    def container(
        self, concept: Code, children: Sequence[bytes], relationship: str = "CONTAINS"
    ) -> bytes:
        continuity = self.enc.const(_T_CONTINUITY, "CS", "SEPARATE")[1]
        content = self.enc.sequence(_T_CONTENT_SEQ, children)[1]
        return self._prefix("CONTAINER", relationship, concept) + continuity + content

    def num(
        self,
        concept: Code,
        value: float | str | None,
        unit: str,
        relationship: str = "CONTAINS",
        children: Sequence[bytes] = (),
    ) -> bytes:
        """A NUM item. ``value`` None writes an empty Measured Value Sequence; a str is
        written as it is (broken DS encodings of the deviation catalogue)."""
        enc = self.enc
        if value is None:
            measured = enc.sequence(_T_MEASURED_VALUE, [])[1]
        else:
            text = value if isinstance(value, str) else ds_str(value)
            body = self._units(unit) + enc.text(_T_NUMERIC_VALUE, "DS", text)[1]
            measured = enc.single(_T_MEASURED_VALUE, body)
        prefix = self._prefix("NUM", relationship, concept)
        if children:
            return prefix + measured + enc.sequence(_T_CONTENT_SEQ, children)[1]
        return prefix + measured

    def code(
        self,
        concept: Code,
        value: Code | None,
        relationship: str = "CONTAINS",
        children: Sequence[bytes] = (),
    ) -> bytes:
        """A CODE item; ``value`` None writes an empty Concept Code Sequence."""
        return self._item(
            "CODE", relationship, concept, self.code_sequence(_T_CONCEPT_CODE, value)[1], children
        )

    def text(
        self,
        concept: Code,
        value: str,
        relationship: str = "CONTAINS",
        children: Sequence[bytes] = (),
    ) -> bytes:
        element = self.enc.text(_T_TEXT_VALUE, "UT", value)[1]
        return self._item("TEXT", relationship, concept, element, children)

    def uidref(self, concept: Code, value: str, relationship: str = "CONTAINS") -> bytes:
        element = self.enc.text(_T_UID, "UI", value)[1]
        return self._item("UIDREF", relationship, concept, element, ())

    def datetime(self, concept: Code, value: datetime, relationship: str = "CONTAINS") -> bytes:
        element = self.enc.text(_T_DATETIME, "DT", dicom_datetime(value))[1]
        return self._item("DATETIME", relationship, concept, element, ())


# ------------------------------------------------------------- TID 1002/1004 and root


def observer_context(w: SrWriter, device: DeviceSpec) -> list[bytes]:
    """TID 1002 Observer Context with a TID 1004 Device Observer Identifying Attributes."""
    rel = "HAS OBS CONTEXT"
    return [
        w.code(codes.OBSERVER_TYPE, OBSERVER_TYPE_DEVICE, rel),
        w.uidref(codes.DEVICE_OBSERVER_UID, device.observer_uid(), rel),
        w.text(codes.DEVICE_OBSERVER_NAME, device.station_name, rel),
        w.text(codes.DEVICE_OBSERVER_MANUFACTURER, device.manufacturer, rel),
        w.text(codes.DEVICE_OBSERVER_MODEL_NAME, device.model, rel),
        w.text(codes.DEVICE_OBSERVER_SERIAL_NUMBER, device.serial_number, rel),
        w.code(codes.DEVICE_ROLE_IN_PROCEDURE, codes.IRRADIATING_DEVICE, rel),
    ]


def procedure_reported(w: SrWriter, procedure: Code) -> bytes:
    """Procedure reported (121058) with Has Intent = Diagnostic Intent."""
    intent = w.code(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, "HAS CONCEPT MOD")
    return w.code(codes.PROCEDURE_REPORTED, procedure, "HAS CONCEPT MOD", children=[intent])


def scope_of_accumulation(w: SrWriter, study_uid: str) -> bytes:
    """Scope of Accumulation = Study, with the Study Instance UID (TID 10001/10011)."""
    uid = w.uidref(codes.STUDY_INSTANCE_UID, study_uid, "HAS PROPERTIES")
    return w.code(codes.SCOPE_OF_ACCUMULATION, codes.SCOPE_STUDY, "HAS OBS CONTEXT", children=[uid])


def patient_age_years(patient: PatientSpec, at: datetime) -> int | None:
    if patient.age_years is not None:
        return patient.age_years
    if patient.birth_date is None:
        return None
    born = patient.birth_date
    years = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
    return max(years, 0)


def patient_characteristics(w: SrWriter, patient: PatientSpec, at: datetime) -> bytes:
    """Patient Characteristics container (121118): age, sex, height, weight."""
    children: list[bytes] = []
    age = patient_age_years(patient, at)
    if age is not None:
        children.append(w.num(codes.SUBJECT_AGE, age, "a"))
    if patient.sex in {"M", "F"}:
        children.append(w.code(codes.SUBJECT_SEX, MALE if patient.sex == "M" else FEMALE))
    if patient.height_m is not None:
        children.append(w.num(codes.BODY_HEIGHT, round(patient.height_m, 2), "m"))
    if patient.weight_kg is not None:
        children.append(w.num(codes.BODY_WEIGHT, round(patient.weight_kg, 1), "kg"))
    return w.container(codes.PATIENT_CHARACTERISTICS, children)


@dataclass(frozen=True, slots=True)
class DocumentIds:
    """The UIDs a document was written with."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    sop_class_uid: str


def document_ids(header: Header, uids: UidFactory, sop_class_uid: str) -> DocumentIds:
    """Study/series/instance UIDs: the header's, or drawn from the factory."""
    study = header.study
    return DocumentIds(
        study.study_instance_uid or uids(),
        study.series_instance_uid or uids(),
        study.sop_instance_uid or uids(),
        sop_class_uid,
    )


def sr_document(
    w: SrWriter,
    header: Header,
    ids: DocumentIds,
    *,
    title: Code,
    template_id: str,
    content: Sequence[bytes],
) -> bytes:
    """The Part 10 bytes of a dose SR: file meta, header modules, document title, content."""
    patient, device, study = header.patient, header.device, header.study
    enc = w.enc
    content_dt = study.content_datetime or study.study_datetime
    multibyte = w.has(Deviation.MULTIBYTE_CHARSET)
    sop_class_uid = ids.sop_class_uid
    if w.has(Deviation.GENERIC_SR_CLASS):
        sop_class_uid = ENHANCED_SR_SOP_CLASS
    t = enc.text
    e: list[Element] = [
        t(0x00080005, "CS", "ISO_IR 192" if multibyte else "ISO_IR 100"),
        t(0x00080012, "DA", dicom_date(content_dt)),
        t(0x00080013, "TM", dicom_time(content_dt)),
        t(0x00080016, "UI", sop_class_uid),
        t(0x00080018, "UI", ids.sop_instance_uid),
        t(0x00080020, "DA", dicom_date(study.study_datetime)),
        t(0x00080021, "DA", dicom_date(study.study_datetime)),
        t(0x00080023, "DA", dicom_date(content_dt)),
        t(0x00080030, "TM", dicom_time(study.study_datetime)),
        t(0x00080031, "TM", dicom_time(study.study_datetime)),
        t(0x00080033, "TM", dicom_time(content_dt)),
        t(0x00080050, "SH", study.accession_number),
        t(0x00080060, "CS", "SR"),
        t(0x00080070, "LO", device.manufacturer),
        t(0x00080080, "LO", MULTIBYTE_INSTITUTION if multibyte else device.institution_name),
        t(0x00080090, "PN", ""),
        t(0x00081010, "SH", device.station_name),
        t(0x00081030, "LO", study.study_description),
        t(0x0008103E, "LO", study.series_description),
        t(0x00081090, "LO", device.model),
        enc.sequence(0x00081111, []),
        # Patient module
        t(0x00100010, "PN", MULTIBYTE_NAME if multibyte else patient.name),
        t(0x00100020, "LO", patient.patient_id),
        t(0x00100021, "LO", patient.issuer),
        t(0x00100030, "DA", dicom_date(patient.birth_date) if patient.birth_date else ""),
        t(0x00100040, "CS", patient.sex),
        t(0x00181000, "LO", device.serial_number),
        t(0x00181020, "LO", device.software_version),
        t(0x0020000D, "UI", ids.study_instance_uid),
        t(0x0020000E, "UI", ids.series_instance_uid),
        t(0x00200010, "SH", study.accession_number[-16:]),
        # SR Document General / Content
        t(0x0040A040, "CS", "CONTAINER"),
        w.code_sequence(0x0040A043, title),
        t(0x0040A050, "CS", "SEPARATE"),
        t(0x0040A491, "CS", "COMPLETE"),
        t(0x0040A493, "CS", "UNVERIFIED"),
        enc.sequence(0x0040A372, []),
        enc.sequence(0x0040A730, content),
    ]
    if patient.issuer_oid:
        e.append(enc.sequence(0x00100024, [_qualifier(enc, patient.issuer_oid)]))
    if patient.ins:
        ins = enc.body(
            [
                t(0x00100020, "LO", patient.ins),
                t(0x00100021, "LO", "INS-NIR"),
                t(0x00100022, "CS", "TEXT"),
                enc.sequence(0x00100024, [_qualifier(enc, INS_ISSUER_OID)]),
            ]
        )
        e.append(enc.sequence(0x00101002, [ins]))
    age = patient_age_years(patient, study.study_datetime)
    if w.has(Deviation.AGE_OVER_150):
        e.append(t(0x00101010, "AS", "160Y"))
    elif age is not None:
        e.append(t(0x00101010, "AS", _age_string(age)))
    if w.has(Deviation.PATIENT_SIZE_TEXT):
        e.append(t(0x00101020, "DS", f"{patient.height_m or 1.7:.2f}m"))
    elif patient.height_m is not None:
        e.append(t(0x00101020, "DS", ds_str(round(patient.height_m, 2))))
    if patient.weight_kg is not None:
        e.append(t(0x00101030, "DS", ds_str(round(patient.weight_kg, 1))))
    if w.has(Deviation.IS_DECIMAL):
        e.append(t(0x00200011, "IS", f"{study.series_number}.0"))
        e.append(t(0x00200013, "IS", f"{study.instance_number}.5"))
    else:
        e.append(t(0x00200011, "IS", str(study.series_number)))
        e.append(t(0x00200013, "IS", str(study.instance_number)))
    if not w.has(Deviation.MISSING_TEMPLATE_SEQUENCE):
        template = enc.body([t(0x00080105, "CS", "DCMR"), t(0x0040DB00, "CS", template_id)])
        e.append(enc.sequence(0x0040A504, [template]))
    meta = file_meta(
        sop_class_uid=sop_class_uid,
        sop_instance_uid=ids.sop_instance_uid,
        transfer_syntax=w.transfer_syntax,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        implementation_version_name=IMPLEMENTATION_VERSION_NAME,
    )
    return meta + enc.body(e)


def _qualifier(enc: Encoder, oid: str) -> bytes:
    return enc.body([enc.text(0x00400032, "UT", oid), enc.text(0x00400033, "CS", "ISO")])


def _age_string(years: int) -> str:
    return f"{min(years, 999):03d}Y"


def read_dataset(data: bytes) -> Dataset:
    """The pydicom Dataset of Part 10 bytes (with file meta, ready for ``dcmwrite``)."""
    return pydicom.dcmread(io.BytesIO(data))


def to_bytes(ds: Dataset) -> bytes:
    """A Dataset (with file meta) written as a Part 10 file in its transfer syntax."""
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
