"""The finding catalogue: every finding code, defined once, with its fixed severity.

A :class:`FindingCode` member is its dotted code string (a ``StrEnum``: it compares equal
to, stores and prints as ``"unit.nonstandard"``) and carries

* ``severity`` — fixed per code, never chosen at the call site: INFO = harmless
  normalisation or a decision worth knowing; WARNING = a deviation repaired or a value
  dropped; ERROR = mandatory dose content lost;
* ``meaning`` — what the object did;
* ``action`` — what the reader (parser, model or ledger) did about it.

``docs/FINDINGS.md`` is generated from this table (:func:`catalogue_markdown`) and a test
keeps the two equal. Quarantine reasons are not findings: they are the ``code`` of the
:class:`~dosewatch.domain.errors.DoseWatchError` subclasses.
"""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """How much a finding matters. Ordered: INFO < WARNING < ERROR."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    def __str__(self) -> str:
        return self.name.lower()


_I, _W, _E = Severity.INFO, Severity.WARNING, Severity.ERROR


class FindingCode(enum.StrEnum):
    """Every finding code with its severity, meaning and the reader's action."""

    severity: Severity
    meaning: str
    action: str

    def __new__(cls, code: str, severity: Severity, meaning: str, action: str) -> FindingCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.severity = severity
        member.meaning = meaning
        member.action = action
        return member

    @classmethod
    def from_code(cls, code: str) -> FindingCode:
        """The member of a stored code string; ``ValueError`` if it is not in the catalogue."""
        for member in cls:
            if member.value == code:
                return member
        raise ValueError(f"{code!r} is not a finding code of the catalogue")

    @property
    def code(self) -> str:
        """The dotted code string (``unit.nonstandard``)."""
        return str(self.value)

    @property
    def family(self) -> str:
        """The part before the first dot (``unit``, ``value``, ``model``...)."""
        return self.code.split(".", 1)[0]

    # ------------------------------------------------------------------ object class, SOP
    SOP_DOSE_REPORT_IN_GENERIC_SR = (
        "sop.dose_report_in_generic_sr",
        _W,
        "a dose report (TID 10001/10011/10021) sent under a generic SR SOP Class",
        "read with the dose templates",
    )
    SOP_ENHANCED_XRAY_RDSR = (
        "sop.enhanced_xray_rdsr",
        _I,
        "Enhanced X-Ray Radiation Dose SR (88.76) object",
        "read with the TID 10001/10011 readers",
    )
    VENDOR_SUMMARY_NO_EVENTS = (
        "vendor.summary_no_events",
        _W,
        "a vendor-private radiation summary (e.g. Siemens 99SMS_RADSUM C-10) with totals only, "
        "no irradiation events",
        "totals read; recorded as a vendor summary, counted only when no RDSR of the study "
        "accounts for the procedure",
    )
    VENDOR_SUMMARY_ITEM_NOT_READ = (
        "vendor.summary_item_not_read",
        _W,
        "an item of a vendor-private radiation summary that the reader does not know",
        "not used (named in the message)",
    )
    TEMPLATE_UNEXPECTED_TITLE = (
        "template.unexpected_title",
        _W,
        "document title differs from the one the SOP Class and template prescribe",
        "read with the template the content matches",
    )
    PRDSR_VALUE_NOT_READ = (
        "prdsr.value_not_read",
        _W,
        "a NUM of a Patient Radiation Dose SR outside CID 10061/10062 and Effective Dose",
        "not read (reported by name and path)",
    )
    TEMPLATE_MISSING = (
        "template.missing",
        _I,
        "Content Template Sequence absent from the SR root",
        "template inferred from the document title",
    )
    REPORT_MODALITY = (
        "report.modality",
        _I,
        "the modality of a projection report decided from its content",
        "modality recorded with the evidence used",
    )
    DEVICE_TYPE_MISMATCH = (
        "device.type_mismatch",
        _W,
        "Acquisition Device Type contradicts the irradiation events the report holds",
        "modality decided from the content",
    )
    RECOGNITION_BY_CONTENT = (
        "recognition.by_content",
        _W,
        "an object whose SOP Class (or Modality) leads elsewhere than the dose content it "
        "carries, or whose SOP Class is not a known image class",
        "read with the reader its dose content calls for; the evidence named",
    )
    RECOGNITION_MODALITY_MISMATCH = (
        "recognition.modality_mismatch",
        _I,
        "Modality (0008,0060) outside those of the IODs whose dose content the object carries",
        "the report's modality follows the content",
    )
    DEVICE_MANUFACTURER_MISSING = (
        "device.manufacturer_missing",
        _I,
        "Manufacturer (0008,0070) empty or absent",
        "read without vendor quirks; listed under an unknown manufacturer",
    )
    # ------------------------------------------------------------------ encoding
    ENCODING_NO_PREAMBLE = (
        "encoding.no_preamble",
        _W,
        "file without the 128-byte preamble and DICM prefix",
        "read as a bare dataset",
    )
    ENCODING_TRUNCATED = (
        "encoding.truncated",
        _E,
        "file ends inside data no reader reads (Pixel Data, or past the SR Content Sequence)",
        "kept: the content before the cut is whole; the message names the byte offset; a "
        "later complete copy supersedes it in the ledger",
    )
    ENCODING_MAYBE_TRUNCATED = (
        "encoding.maybe_truncated",
        _I,
        "image object that ends without Pixel Data: possibly cut at an element boundary",
        "header read as far as it goes; a later complete copy supersedes it in the ledger",
    )
    ENCODING_IMPLICIT_VR = (
        "encoding.implicit_vr",
        _I,
        "Implicit VR Little Endian transfer syntax",
        "decoded",
    )
    ENCODING_BIG_ENDIAN = (
        "encoding.big_endian",
        _I,
        "Explicit VR Big Endian transfer syntax (retired)",
        "decoded",
    )
    ENCODING_DECIMAL_COMMA = (
        "encoding.decimal_comma",
        _W,
        "decimal comma inside a DS value",
        "read with a decimal point",
    )
    ENCODING_DECIMAL_IN_IS = (
        "encoding.decimal_in_is",
        _W,
        "decimal value in an integer string (IS) element",
        "kept as a decimal",
    )
    ENCODING_SEPARATOR_IN_VALUE = (
        "encoding.separator_in_value",
        _W,
        "a character other than backslash used as value separator inside one value",
        "split into several values",
    )
    ENCODING_NOT_A_NUMBER = (
        "encoding.not_a_number",
        _W,
        "a numeric element holds text that is not a number",
        "value dropped",
    )
    ENCODING_MOJIBAKE = (
        "encoding.mojibake",
        _W,
        "text decoded with the wrong character set (UTF-8 bytes declared as Latin-1 or "
        "Windows-1252)",
        "kept as sent; the attributes are named, never their values",
    )
    ENCODING_DATE_SEPARATOR = (
        "encoding.date_separator",
        _I,
        "date written with separators (YYYY-MM-DD, YYYY.MM.DD)",
        "read as the date",
    )
    ENCODING_INVALID_DATE = (
        "encoding.invalid_date",
        _W,
        "DA value that is not a valid date",
        "value ignored",
    )
    ENCODING_INVALID_TIME = (
        "encoding.invalid_time",
        _W,
        "TM value that is not a valid time",
        "value ignored",
    )
    ENCODING_INVALID_DATETIME = (
        "encoding.invalid_datetime",
        _W,
        "DT value that is not a valid date-time",
        "value ignored",
    )
    ENCODING_INVALID_AGE = (
        "encoding.invalid_age",
        _W,
        "AS value that is not an age string",
        "value ignored",
    )
    ENCODING_AGE_FORMAT = (
        "encoding.age_format",
        _I,
        "age string not in the nnnD/W/M/Y form",
        "read as the age",
    )
    # ------------------------------------------------------------------ codes
    CODE_LEGACY_SCHEME = (
        "code.legacy_scheme",
        _I,
        "SNOMED-RT (SRT/SNM3) codes where SNOMED CT is current",
        "mapped to SCT; tallied into one finding per report",
    )
    CODE_NONSTANDARD_VALUE = (
        "code.nonstandard_value",
        _I,
        "a code outside the context group the template prescribes, with a known equivalent",
        "read as the equivalent code of the context group",
    )
    CODE_RETIRED = (
        "code.retired",
        _I,
        "a retired code used in place of its successor",
        "read the same way as its successor",
    )
    CODE_UNMAPPED_TEXT = (
        "code.unmapped_text",
        _I,
        "a defined term or text with no code in the context group",
        "kept uncoded",
    )
    CODE_WRONG_SCHEME = (
        "code.wrong_scheme",
        _W,
        "a code value sent under the wrong coding scheme designator",
        "read under the scheme the value belongs to",
    )
    CODE_PRIVATE_SCHEME = (
        "code.private_scheme",
        _I,
        "a private coding scheme holding values of a standard scheme",
        "read under the standard scheme (vendor quirk table)",
    )
    # ------------------------------------------------------------------ units
    UNIT_NONSTANDARD = (
        "unit.nonstandard",
        _W,
        "a dose or exposure unit misspelt (Gym2, mGycm, uAs)",
        "read as the UCUM unit the vendor meant (vendor quirk table)",
    )
    UNIT_NORMALISED = (
        "unit.normalised",
        _I,
        "a unit written in a harmless non-UCUM spelling (case of litre, annotation braces)",
        "normalised to UCUM (vendor quirk table)",
    )
    UNIT_SCHEME_NONSTANDARD = (
        "unit.scheme_nonstandard",
        _I,
        "units coded with a scheme other than UCUM (e.g. UCM)",
        "read as UCUM (vendor quirk table)",
    )
    UNIT_MISSING = (
        "unit.missing",
        _W,
        "a numeric value without Measurement Units Code Sequence",
        "value not used",
    )
    UNIT_UNKNOWN = (
        "unit.unknown",
        _W,
        "a unit that is neither UCUM nor a known vendor spelling",
        "value not used",
    )
    UNIT_UNEXPECTED = (
        "unit.unexpected",
        _W,
        "a valid unit other than the one the template prescribes (DAP in dGy.cm2)",
        "converted to the canonical unit",
    )
    UNIT_INCONVERTIBLE = (
        "unit.inconvertible",
        _W,
        "a unit of the wrong dimension for the concept",
        "value not used",
    )
    UNIT_IOD_CONVENTION = (
        "unit.iod_convention",
        _I,
        "an image attribute in the unit its IOD defines (dGy, dGy.cm2, MBq or Bq)",
        "converted to the canonical unit",
    )
    UNIT_HEIGHT_IN_CM = (
        "unit.height_in_cm",
        _W,
        "Patient's Size that is plausible only in cm",
        "read as cm and converted to m",
    )
    # ------------------------------------------------------------------ values
    VALUE_EMPTY = (
        "value.empty",
        _I,
        "a NUM item with an empty Measured Value Sequence",
        "no value",
    )
    VALUE_QUALIFIED = (
        "value.qualified",
        _I,
        "a numeric value replaced by a Numeric Value Qualifier",
        "no value",
    )
    VALUE_EMPTY_CODE = (
        "value.empty_code",
        _W,
        "a CODE item or code sequence item without code value or scheme",
        "concept left unknown",
    )
    VALUE_TEXT_IN_CODE_ITEM = (
        "value.text_in_code_item",
        _W,
        "a CODE item carrying a Text Value instead of a Concept Code Sequence",
        "code left unknown",
    )
    VALUE_TEXT_FOR_CODE = (
        "value.text_for_code",
        _I,
        "a TEXT item where the template allows TEXT only when no code exists "
        "(Reference Point Definition)",
        "text kept; one finding per report",
    )
    VALUE_TEXT_FOR_UID = (
        "value.text_for_uid",
        _I,
        "a UID sent as a TEXT item",
        "read as the UID",
    )
    VALUE_EMPTY_UID = (
        "value.empty_uid",
        _W,
        "a UIDREF item without a UID",
        "no UID",
    )
    VALUE_MULTIPLE = (
        "value.multiple",
        _W,
        "several values where the template expects one",
        "the first is used",
    )
    VALUE_PER_PULSE = (
        "value.per_pulse",
        _I,
        "one value per pulse in a multi-valued Numeric Value",
        "all values kept in order",
    )
    VALUE_NOT_INTEGER = (
        "value.not_integer",
        _W,
        "a count that is not an integer",
        "rounded",
    )
    VALUE_NOT_FINITE = (
        "value.not_finite",
        _W,
        "a non-finite number (NaN, infinity)",
        "dropped",
    )
    VALUE_IMPLAUSIBLE = (
        "value.implausible",
        _W,
        "a value outside its physical range (negative dose, ms sent as s)",
        "kept as sent",
    )
    VALUE_IMPLAUSIBLE_AGE = (
        "value.implausible_age",
        _W,
        "Patient's Age over the plausible limit (de-identification artefact)",
        "ignored",
    )
    VALUE_IMPLAUSIBLE_WEIGHT = (
        "value.implausible_weight",
        _W,
        "Patient's Weight outside the plausible range",
        "ignored",
    )
    VALUE_IMPLAUSIBLE_HEIGHT = (
        "value.implausible_height",
        _W,
        "Patient's Size outside the plausible range",
        "ignored",
    )
    VALUE_INVALID_SEX = (
        "value.invalid_sex",
        _W,
        "Patient's Sex outside M/F/O",
        "ignored",
    )
    VALUE_UNAVAILABLE = (
        "value.unavailable",
        _W,
        "a dose item present without a usable value",
        "the event keeps no such value",
    )
    VALUE_ZERO_IGNORED = (
        "value.zero_ignored",
        _I,
        "a zero dose in an integer attribute that means 'not measured'",
        "not used",
    )
    VALUE_DERIVED = (
        "value.derived",
        _I,
        "a value derived from other attributes (date-time from date and time)",
        "derived value used",
    )
    VALUE_DROPPED = (
        "value.dropped",
        _W,
        "an incomplete item (organ dose without organ or value)",
        "not used",
    )
    VALUE_UNEXPECTED_CODE = (
        "value.unexpected_code",
        _W,
        "a code outside the context group of the concept",
        "value unknown",
    )
    VALUE_UNEXPECTED_ORGAN = (
        "value.unexpected_organ",
        _W,
        "Organ Exposed other than breast on a mammography image",
        "Organ Dose not read as average glandular dose",
    )
    # ------------------------------------------------------------------ template
    TEMPLATE_MISSING_MANDATORY = (
        "template.missing_mandatory",
        _E,
        "mandatory dose content missing (dose value, accumulated dose container)",
        "report or event kept without it",
    )
    TEMPLATE_MISSING_ITEM = (
        "template.missing_item",
        _W,
        "a mandatory item that carries no dose value is missing (plane, laterality, "
        "intent, technique)",
        "left empty",
    )
    TEMPLATE_MISSING_PARAMETER = (
        "template.missing_parameter",
        _I,
        "an optional acquisition parameter absent",
        "left empty",
    )
    TEMPLATE_MISPLACED_ITEM = (
        "template.misplaced_item",
        _W,
        "an item sent at the wrong level of the content tree",
        "read where the template places it",
    )
    TEMPLATE_NONSTANDARD_CONTAINER = (
        "template.nonstandard_container",
        _I,
        "standard items nested in a private container",
        "read by concept at any depth",
    )
    # ------------------------------------------------------------------ events, totals
    EVENT_UID_MISSING = (
        "event.uid_missing",
        _W,
        "an irradiation or administration event without its event UID",
        "event kept without identity",
    )
    EVENT_REPEATED_IN_OBJECT = (
        "event.repeated_in_object",
        _W,
        "one event key repeated within one object",
        "the first occurrence is kept (ledger)",
    )
    EVENT_CONFLICTING_VALUES = (
        "event.conflicting_values",
        _W,
        "an event sent before with different values",
        "the higher-ranked values count; both recorded (ledger)",
    )
    CT_DUPLICATE_EVENT_UID = (
        "ct.duplicate_event_uid",
        _W,
        "an Irradiation Event UID repeated within a CT report",
        "both events kept",
    )
    CT_NO_ACQUISITIONS = (
        "ct.no_acquisitions",
        _I,
        "CT Accumulated Dose Data without any CT Acquisition",
        "totals only",
    )
    CT_LOCALIZER_WITHOUT_DOSE = (
        "ct.localizer_without_dose",
        _I,
        "localizer events without CT Dose, as TID 10013 allows",
        "kept without dose",
    )
    CT_SOURCE_COUNT_MISMATCH = (
        "ct.source_count_mismatch",
        _W,
        "Number of X-Ray Sources differs from the source containers present",
        "both kept",
    )
    TOTALS_DIFFER_FROM_EVENTS = (
        "totals.differ_from_events",
        _I,
        "the object's accumulated total differs from the sum of its events",
        "both kept; the object's own total is the total",
    )
    TOTALS_EVENT_COUNT_DIFFERS = (
        "totals.event_count_differs",
        _I,
        "Total Number of Irradiation Events differs from the events present",
        "both kept",
    )
    # ------------------------------------------------------------------ image headers
    IDENTITY_SOP_AS_EVENT_UID = (
        "identity.sop_as_event_uid",
        _I,
        "an image without Irradiation Event UID (0008,3010)",
        "the SOP Instance UID identifies the exposure",
    )
    IDENTITY_DERIVED_EVENT_UID = (
        "identity.derived_event_uid",
        _I,
        "an event without event UID",
        "a deterministic UID derived from the exposure's facts (never patient identifiers)",
    )
    VENDOR_PRIVATE_DOSE_ELEMENT = (
        "vendor.private_dose_element",
        _I,
        "dose only in a private element",
        "read from the private element (vendor quirk table)",
    )
    FILTER_FROM_FILTER_TYPE = (
        "filter.from_filter_type",
        _I,
        "filter material and thickness only encoded in Filter Type text",
        "read from the text (vendor quirk table)",
    )
    # ------------------------------------------------------------------ patient, study
    IDENTITY_RETIRED_OTHER_IDS = (
        "identity.retired_other_ids",
        _I,
        "retired Other Patient IDs without issuers",
        "not used for identity",
    )
    STUDY_DATE_MISSING = (
        "study.date_missing",
        _W,
        "Study Date absent or invalid",
        "study kept without a date",
    )
    PATIENT_FROM_TEMPLATE = (
        "patient.from_template",
        _I,
        "patient facts absent from the header but present in the SR content",
        "taken from the content",
    )
    # ------------------------------------------------------------------ ledger identity
    IDENTITY_CONFLICT = (
        "identity.conflict",
        _W,
        "the object's patient identifiers belong to different persons",
        "recorded under the person of the INS or first identifier; link manually if the same",
    )
    IDENTITY_ESTABLISHMENT_UNKNOWN = (
        "identity.establishment_unknown",
        _W,
        "nothing identifies the sending establishment",
        "recorded under the unknown establishment",
    )
    IDENTITY_NO_PATIENT_ID = (
        "identity.no_patient_id",
        _W,
        "an object without Patient ID",
        "the study is recorded as its own person",
    )
    IDENTITY_STUDY_PERSON_MISMATCH = (
        "identity.study_person_mismatch",
        _W,
        "a study already recorded under another person",
        "the report is attached to the study",
    )
    # ------------------------------------------------------------------ models
    MODEL_FAILED = (
        "model.failed",
        _W,
        "an organ-dose model raised instead of refusing",
        "no estimate for the report; the error recorded",
    )
    MODEL_NOT_ESTIMATED = (
        "model.not_estimated",
        _I,
        "an organ-dose model could not estimate a quantity (the message says which and why)",
        "no estimate; the reason kept for the completeness of cumulative sums",
    )
    MODEL_DLP_DERIVED = (
        "model.dlp_derived",
        _W,
        "event DLP absent",
        "CTDIvol x scanning length used",
    )
    MODEL_BASIS_FALLBACK = (
        "model.basis_fallback",
        _W,
        "the preferred tissue-weighting basis has no coefficient",
        "the other basis used and labelled",
    )
    MODEL_AGE_BAND = (
        "model.age_band",
        _W,
        "the patient's age falls between tabulated age columns",
        "the nearest tabulated column used",
    )
    MODEL_REGION_FROM_TEXT = (
        "model.region_from_text",
        _W,
        "the scanned region not coded",
        "region taken from free text",
    )
    MODEL_DEFAULT_ASSUMED = (
        "model.default_assumed",
        _W,
        "a model input not reported (phantom, size)",
        "the documented default assumed",
    )
    MODEL_REPORTED_DIFFERS = (
        "model.reported_differs",
        _W,
        "a value reported by the device differs from the model's",
        "both kept",
    )
    MODEL_AGENT_FROM_TEXT = (
        "model.agent_from_text",
        _W,
        "the radiopharmaceutical only named in free text",
        "agent taken from free text",
    )
    MODEL_ORGAN_SET_INCOMPLETE = (
        "model.organ_set_incomplete",
        _W,
        "reported organ doses do not cover the tissues of the effective dose",
        "no effective dose from organ doses",
    )
    MODEL_INCONSISTENT = (
        "model.inconsistent",
        _W,
        "E from reported organ doses differs from coefficient x activity",
        "both kept",
    )
    MODEL_REPORTED_ORGAN_COUNTED = (
        "model.reported_organ_counted",
        _I,
        "the report gives an organ dose that a coefficient also estimates",
        "both kept; the reported value is the one counted",
    )
    MODEL_AGD_DANCE_DISAGREES = (
        "model.agd_dance_disagrees",
        _W,
        "the reported AGD and the Dance AGD from the exposure factors differ by more than 25 %",
        "the reported AGD kept; both values named",
    )
    MODEL_KV_ABOVE_TABLE = (
        "model.kv_above_table",
        _W,
        "tube voltage above the highest tabulated kV of the k table",
        "the highest tabulated kV used; uncertainty widened",
    )
    MODEL_CARDIAC_CHEST_K = (
        "model.cardiac_chest_k",
        _W,
        "cardiac CT without a verified cardiac k",
        "the chest k used; uncertainty widened",
    )
    MODEL_PHANTOM_CONVENTION_UNCONFIRMED = (
        "model.phantom_convention_unconfirmed",
        _W,
        "the CTDI phantom of the k factor is not confirmed by its source",
        "the DLP converted to the assumed phantom; uncertainty widened",
    )
    MODEL_REFERENCE_POINT_UNSTATED = (
        "model.reference_point_unstated",
        _W,
        "Dose (RP) without a reference point definition",
        "taken as the skin entrance; uncertainty widened",
    )
    MODEL_PROCEDURE_FROM_DEVICE = (
        "model.procedure_from_device",
        _W,
        "the fluoroscopic procedure neither coded nor described; the device's department names "
        "a cardiac laboratory",
        "a generic cardiac E/KAP used; uncertainty widened",
    )
    MODEL_SOURCES_DISAGREE = (
        "model.sources_disagree",
        _W,
        "two published coefficients for the same case differ by more than 25 %",
        "the primary one used; the difference added to the uncertainty",
    )
    PATIENT_IMPLAUSIBLE = (
        "patient.implausible",
        _W,
        "a patient fact outside its plausible range for a model",
        "ignored by the model",
    )


def catalogue_markdown() -> str:
    """The catalogue as the markdown table of ``docs/FINDINGS.md``."""
    lines = [
        "# Finding catalogue",
        "",
        "Generated from `dosewatch.domain.finding_codes.FindingCode` by",
        "`python -m dosewatch.domain.finding_catalogue`; `tests/domain/test_finding_codes.py`",
        "keeps this page equal to the enum. Severity is fixed per code: INFO = harmless",
        "normalisation or a decision worth knowing; WARNING = a deviation repaired or a value",
        "dropped; ERROR = mandatory dose content lost. `Strictness.STANDARD` raises on ERROR,",
        "`STRICT` on WARNING.",
        "",
        "| code | severity | meaning | what the reader did |",
        "|---|---|---|---|",
    ]
    for member in FindingCode:
        lines.append(
            f"| `{member.code}` | {member.severity} | {member.meaning} | {member.action} |"
        )
    return "\n".join(lines) + "\n"
