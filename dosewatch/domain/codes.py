"""Concept-code constants of dosewatch (DICOM PS3.16), compared by scheme + value.

One module holds every code the parsers and models look for. Codes are pydicom
:class:`~pydicom.sr.coding.Code` objects in their current scheme (SCT, not the
retired SRT); :func:`code_key` gives the normalised ``(scheme, value)`` key that
all comparisons use, mapping legacy SNOMED-RT (SRT/SNM3) values to SCT.
Never compare codes by their meaning.

Sections are per template so that parsers of different templates add codes
without stepping on each other.
"""

from __future__ import annotations

from typing import Final

from pydicom.sr._snomed_dict import mapping as snomed_mapping
from pydicom.sr.coding import Code as Code

CodeKey = tuple[str, str]

_SRT_TO_SCT: Final[dict[str, str]] = snomed_mapping["SRT"]
#: SNOMED-RT values missing from pydicom's map, with the SCT concept of the same meaning
#: (DICOM PS3.16 Annex O; each checked against the CID where the code is used)
_SRT_SUPPLEMENT: Final[dict[str, str]] = {
    "F-61FDB": "349358000",  # Radiopharmaceutical agent (TID 10022)
}
#: scheme designators that carry SNOMED-RT values (SNM3 is the older spelling)
_LEGACY_SNOMED: Final = frozenset({"SRT", "SNM3"})


def normalise_key(scheme: str, value: str) -> CodeKey:
    """(scheme, value) with legacy SNOMED-RT mapped to SCT; whitespace stripped."""
    scheme = scheme.strip()
    value = value.strip()
    if scheme in _LEGACY_SNOMED:
        mapped = _SRT_TO_SCT.get(value) or _SRT_SUPPLEMENT.get(value)
        if mapped is not None:
            return ("SCT", mapped)
        # DCM values sometimes sent under SRT (e.g. "SRT 111642"): keep them comparable
        if value.isdigit() and len(value) == 6 and value.startswith("1"):
            return ("DCM", value)
    if scheme == "SNM3":
        return ("SRT", value)
    return (scheme, value)


def code_key(code: Code) -> CodeKey:
    """The normalised comparison key of a Code."""
    return normalise_key(code.scheme_designator, code.value)


def normalise_code(code: Code) -> Code:
    """A Code in its current scheme (SRT -> SCT), keeping its meaning."""
    scheme, value = code_key(code)
    if (scheme, value) == (code.scheme_designator, code.value):
        return code
    return Code(value, scheme, code.meaning)


def same(a: Code | None, b: Code | None) -> bool:
    """True when two codes denote the same concept (scheme + value, SRT normalised)."""
    if a is None or b is None:
        return False
    return code_key(a) == code_key(b)


def code_str(code: Code | None) -> str | None:
    """``SCHEME:VALUE`` for messages and storage keys."""
    if code is None:
        return None
    scheme, value = code_key(code)
    return f"{scheme}:{value}"


def _dcm(value: str, meaning: str) -> Code:
    return Code(value, "DCM", meaning)


def _sct(value: str, meaning: str) -> Code:
    return Code(value, "SCT", meaning)


def _ln(value: str, meaning: str) -> Code:
    return Code(value, "LN", meaning)


# --------------------------------------------------------------------------- report roots
X_RAY_RADIATION_DOSE_REPORT: Final = _dcm("113701", "X-Ray Radiation Dose Report")
RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT: Final = _dcm(
    "113500", "Radiopharmaceutical Radiation Dose Report"
)
PATIENT_RADIATION_DOSE_REPORT: Final = _dcm("128401", "Patient Radiation Dose Report")

# ------------------------------------------- Siemens Radiation Summary Report (private)
# Document title and NUM items of the Siemens "Radiation Summary Report" sent in Enhanced SR
# by fluoroscopy systems (e.g. Arcadis Varic, software VC10A). Scheme and values as named
# publicly (OpenREM issue #433 quoting the VC10A conformance statement; OpenREM's importer).
# The meanings of the NUM items are ours: only scheme + value are compared.
SIEMENS_RADSUM_SCHEME: Final = "99SMS_RADSUM"
SIEMENS_RADIATION_SUMMARY_REPORT: Final = Code(
    "C-10", SIEMENS_RADSUM_SCHEME, "Radiation Summary Report"
)
SIEMENS_RADSUM_EXPOSURES: Final = Code("C-200", SIEMENS_RADSUM_SCHEME, "Total number of exposures")
SIEMENS_RADSUM_FLUORO_TIME: Final = Code(
    "C-202", SIEMENS_RADSUM_SCHEME, "Cumulative fluoroscopy time"
)
SIEMENS_RADSUM_DAP: Final = Code("C-204", SIEMENS_RADSUM_SCHEME, "Cumulative dose area product")

# --------------------------------------------------------------- TID 10001/10011 common
PROCEDURE_REPORTED: Final = _dcm("121058", "Procedure reported")
PROJECTION_X_RAY: Final = _dcm("113704", "Projection X-Ray")
MAMMOGRAPHY: Final = _sct("71651007", "Mammography")
COMPUTED_TOMOGRAPHY_X_RAY: Final = _sct("77477000", "Computed Tomography X-Ray")
HAS_INTENT: Final = _sct("363703001", "Has Intent")
DIAGNOSTIC_INTENT: Final = _sct("261004008", "Diagnostic Intent")
THERAPEUTIC_INTENT: Final = _sct("262202000", "Therapeutic Intent")
OBSERVER_TYPE: Final = _dcm("121005", "Observer Type")
DEVICE_OBSERVER_UID: Final = _dcm("121012", "Device Observer UID")
DEVICE_OBSERVER_NAME: Final = _dcm("121013", "Device Observer Name")
DEVICE_OBSERVER_MANUFACTURER: Final = _dcm("121014", "Device Observer Manufacturer")
DEVICE_OBSERVER_MODEL_NAME: Final = _dcm("121015", "Device Observer Model Name")
DEVICE_OBSERVER_SERIAL_NUMBER: Final = _dcm("121016", "Device Observer Serial Number")
SCOPE_OF_ACCUMULATION: Final = _dcm("113705", "Scope of Accumulation")
SCOPE_STUDY: Final = _dcm("113014", "Study")
SCOPE_SERIES: Final = _dcm("113015", "Series")
SCOPE_PERFORMED_PROCEDURE_STEP: Final = _dcm("113016", "Performed Procedure Step")
STUDY_INSTANCE_UID: Final = _dcm("110180", "Study Instance UID")
SERIES_INSTANCE_UID: Final = _dcm("112002", "Series Instance UID")
PERFORMED_PROCEDURE_STEP_SOP_INSTANCE_UID: Final = _dcm(
    "121126", "Performed Procedure Step SOP Instance UID"
)
SOURCE_OF_DOSE_INFORMATION: Final = _dcm("113854", "Source of Dose Information")
AUTOMATED_DATA_COLLECTION: Final = _dcm("113856", "Automated Data Collection")
MANUAL_ENTRY: Final = _dcm("113857", "Manual Entry")
COPIED_FROM_IMAGE_ATTRIBUTES: Final = _dcm("113866", "Copied From Image Attributes")
COMPUTED_FROM_IMAGE_ATTRIBUTES: Final = _dcm("113867", "Computed From Image Attributes")
DERIVED_FROM_HUMAN_READABLE_REPORTS: Final = _dcm("113868", "Derived From Human-Readable Reports")
COMMENT: Final = _dcm("121106", "Comment")
IRRADIATION_EVENT_UID: Final = _dcm("113769", "Irradiation Event UID")
ACQUISITION_PROTOCOL: Final = _dcm("125203", "Acquisition Protocol")
TARGET_REGION: Final = _dcm("123014", "Target Region")
DEVICE_ROLE_IN_PROCEDURE: Final = _dcm("113876", "Device Role in Procedure")
IRRADIATING_DEVICE: Final = _dcm("113859", "Irradiating Device")
DEVICE_MANUFACTURER: Final = _dcm("113878", "Device Manufacturer")
DEVICE_MODEL_NAME: Final = _dcm("113879", "Device Model Name")
DEVICE_SERIAL_NUMBER: Final = _dcm("113880", "Device Serial Number")
DEVICE_NAME: Final = _dcm("113877", "Device Name")
DATETIME_STARTED: Final = _dcm("111526", "DateTime Started")
START_OF_XRAY_IRRADIATION: Final = _dcm("113809", "Start of X-Ray Irradiation")
END_OF_XRAY_IRRADIATION: Final = _dcm("113810", "End of X-Ray Irradiation")
LATERALITY: Final = _sct("272741003", "Laterality")
RIGHT: Final = _sct("24028007", "Right")
LEFT: Final = _sct("7771000", "Left")
RIGHT_AND_LEFT: Final = _sct("51440002", "Right and left")
UNPAIRED: Final = _sct("66459002", "Unpaired")
PATIENT_CHARACTERISTICS: Final = _dcm("121118", "Patient Characteristics")
SUBJECT_AGE: Final = _dcm("121033", "Subject Age")
SUBJECT_SEX: Final = _dcm("121032", "Subject Sex")
BODY_HEIGHT: Final = _ln("8302-2", "Patient Height")
BODY_WEIGHT: Final = _ln("29463-7", "Patient Weight")
MEASUREMENT_METHOD: Final = _sct("370129005", "Measurement Method")
REFERENCE_AUTHORITY: Final = _dcm("121406", "Reference Authority")
EFFECTIVE_DOSE: Final = _dcm("113839", "Effective Dose")

# -------------------------------------------------- TID 10001-10008 projection / mammography
ACCUMULATED_X_RAY_DOSE_DATA: Final = _dcm("113702", "Accumulated X-Ray Dose Data")
ACQUISITION_PLANE: Final = _dcm("113764", "Acquisition Plane")
SINGLE_PLANE: Final = _dcm("113622", "Single Plane")
PLANE_A: Final = _dcm("113620", "Plane A")
PLANE_B: Final = _dcm("113621", "Plane B")
REFERENCE_POINT_DEFINITION: Final = _dcm("113780", "Reference Point Definition")
DOSE_AREA_PRODUCT_TOTAL: Final = _dcm("113722", "Dose Area Product Total")
DOSE_RP_TOTAL: Final = _dcm("113725", "Dose (RP) Total")
FLUORO_DOSE_AREA_PRODUCT_TOTAL: Final = _dcm("113726", "Fluoro Dose Area Product Total")
ACQUISITION_DOSE_AREA_PRODUCT_TOTAL: Final = _dcm("113727", "Acquisition Dose Area Product Total")
FLUORO_DOSE_RP_TOTAL: Final = _dcm("113728", "Fluoro Dose (RP) Total")
ACQUISITION_DOSE_RP_TOTAL: Final = _dcm("113729", "Acquisition Dose (RP) Total")
TOTAL_FLUORO_TIME: Final = _dcm("113730", "Total Fluoro Time")
TOTAL_ACQUISITION_TIME: Final = _dcm("113855", "Total Acquisition Time")
TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES: Final = _dcm("113731", "Total Number of Radiographic Frames")
IRRADIATION_EVENT_X_RAY_DATA: Final = _dcm("113706", "Irradiation Event X-Ray Data")
IRRADIATION_EVENT_TYPE: Final = _dcm("113721", "Irradiation Event Type")
FLUOROSCOPY: Final = _sct("44491008", "Fluoroscopy")
STATIONARY_ACQUISITION: Final = _dcm("113611", "Stationary Acquisition")
STEPPING_ACQUISITION: Final = _dcm("113612", "Stepping Acquisition")
ROTATIONAL_ACQUISITION: Final = _dcm("113613", "Rotational Acquisition")
DOSE_AREA_PRODUCT: Final = _dcm("122130", "Dose Area Product")
DOSE_RP: Final = _dcm("113738", "Dose (RP)")
POSITIONER_PRIMARY_ANGLE: Final = _dcm("112011", "Positioner Primary Angle")
POSITIONER_SECONDARY_ANGLE: Final = _dcm("112012", "Positioner Secondary Angle")
POSITIONER_PRIMARY_END_ANGLE: Final = _dcm("113739", "Positioner Primary End Angle")
POSITIONER_SECONDARY_END_ANGLE: Final = _dcm("113740", "Positioner Secondary End Angle")
COLUMN_ANGULATION: Final = _dcm("113770", "Column Angulation")
COLLIMATED_FIELD_AREA: Final = _dcm("113790", "Collimated Field Area")
COLLIMATED_FIELD_HEIGHT: Final = _dcm("113788", "Collimated Field Height")
COLLIMATED_FIELD_WIDTH: Final = _dcm("113789", "Collimated Field Width")
X_RAY_FILTERS: Final = _dcm("113771", "X-Ray Filters")
X_RAY_FILTER_TYPE: Final = _dcm("113772", "X-Ray Filter Type")
X_RAY_FILTER_MATERIAL: Final = _dcm("113757", "X-Ray Filter Material")
X_RAY_FILTER_THICKNESS_MINIMUM: Final = _dcm("113758", "X-Ray Filter Thickness Minimum")
X_RAY_FILTER_THICKNESS_MAXIMUM: Final = _dcm("113773", "X-Ray Filter Thickness Maximum")
NO_FILTER: Final = _dcm("111609", "No Filter")
#: X-ray filter materials (CID 10006): legacy "X or X compound" SRT codes and the SCT elements
COPPER_KEYS: Final[frozenset[CodeKey]] = frozenset({("SRT", "C-127F9"), ("SCT", "66925006")})
ALUMINUM_KEYS: Final[frozenset[CodeKey]] = frozenset(
    {("SRT", "C-120F9"), ("SCT", "105830007"), ("SCT", "12503006")}
)
MOLYBDENUM_KEYS: Final[frozenset[CodeKey]] = frozenset({("SRT", "C-150F9"), ("SCT", "71128006")})
RHODIUM_KEYS: Final[frozenset[CodeKey]] = frozenset({("SRT", "C-167F9"), ("SCT", "59801003")})
TUNGSTEN_KEYS: Final[frozenset[CodeKey]] = frozenset({("SRT", "C-164F9"), ("SCT", "26194003")})
SILVER_KEYS: Final[frozenset[CodeKey]] = frozenset({("SRT", "C-137F9"), ("SCT", "41967008")})
FLUORO_MODE: Final = _dcm("113732", "Fluoro Mode")
PULSED: Final = _dcm("113631", "Pulsed")
CONTINUOUS: Final = _dcm("113630", "Continuous")
PULSE_RATE: Final = _dcm("113791", "Pulse Rate")
NUMBER_OF_PULSES: Final = _dcm("113768", "Number of Pulses")
KVP: Final = _dcm("113733", "KVP")
X_RAY_TUBE_CURRENT: Final = _dcm("113734", "X-Ray Tube Current")
AVERAGE_X_RAY_TUBE_CURRENT: Final = _dcm("113767", "Average X-Ray Tube Current")
PROJECTION_EXPOSURE_TIME: Final = _dcm("113735", "Exposure Time")
PULSE_WIDTH: Final = _dcm("113793", "Pulse Width")
EXPOSURE: Final = _dcm("113736", "Exposure")
IRRADIATION_DURATION: Final = _dcm("113742", "Irradiation Duration")
FOCAL_SPOT_SIZE: Final = _dcm("113766", "Focal Spot Size")
DISTANCE_SOURCE_TO_ISOCENTER: Final = _dcm("113748", "Distance Source to Isocenter")
DISTANCE_SOURCE_TO_DETECTOR: Final = _dcm("113750", "Distance Source to Detector")
DISTANCE_SOURCE_TO_REFERENCE_POINT: Final = _dcm("113737", "Distance Source to Reference Point")
DISTANCE_SOURCE_TO_TABLE_PLANE: Final = _dcm("113792", "Distance Source to Table Plane")
TABLE_LONGITUDINAL_POSITION: Final = _dcm("113751", "Table Longitudinal Position")
TABLE_LATERAL_POSITION: Final = _dcm("113752", "Table Lateral Position")
TABLE_HEIGHT_POSITION: Final = _dcm("113753", "Table Height Position")
TABLE_HEAD_TILT_ANGLE: Final = _dcm("113754", "Table Head Tilt Angle")
TABLE_HORIZONTAL_ROTATION_ANGLE: Final = _dcm("113755", "Table Horizontal Rotation Angle")
TABLE_CRADLE_TILT_ANGLE: Final = _dcm("113756", "Table Cradle Tilt Angle")
PATIENT_TABLE_RELATIONSHIP: Final = _dcm("113745", "Patient Table Relationship")
PATIENT_ORIENTATION: Final = _dcm("113743", "Patient Orientation")
PATIENT_ORIENTATION_MODIFIER: Final = _dcm("113744", "Patient Orientation Modifier")
PATIENT_EQUIVALENT_THICKNESS: Final = _dcm("111638", "Patient Equivalent Thickness")
EXPOSURE_INDEX: Final = _dcm("113845", "Exposure Index")
TARGET_EXPOSURE_INDEX: Final = _dcm("113846", "Target Exposure Index")
DEVIATION_INDEX: Final = _dcm("113847", "Deviation Index")
ANATOMICAL_STRUCTURE: Final = _sct("91723000", "Anatomical structure")
IMAGE_VIEW: Final = _dcm("111031", "Image View")
ACQUISITION_DEVICE_TYPE: Final = _dcm("122142", "Acquisition Device Type")
X_RAY_GRID: Final = _dcm("111635", "X-Ray Grid")
# mammography (TID 10003 mammography items, TID 10005)
AVERAGE_GLANDULAR_DOSE: Final = _dcm("111631", "Average Glandular Dose")
ACCUMULATED_AVERAGE_GLANDULAR_DOSE: Final = _dcm("111637", "Accumulated Average Glandular Dose")
ENTRANCE_EXPOSURE_AT_RP: Final = _dcm("111636", "Entrance Exposure at RP")
COMPRESSION_THICKNESS: Final = _dcm("111633", "Compression Thickness")
HALF_VALUE_LAYER: Final = _dcm("111634", "Half Value Layer")
ANODE_TARGET_MATERIAL: Final = _dcm("111632", "Anode Target Material")
BREAST: Final = _sct("76752008", "Breast")
RIGHT_BREAST: Final = _sct("73056007", "Right breast")
LEFT_BREAST: Final = _sct("80248007", "Left breast")
# (projection parser may add codes below this line)
#: TID 10003B Exposure Time (ms); 113735 (PROJECTION_EXPOSURE_TIME) is its retired variant
X_RAY_SOURCE_EXPOSURE_TIME: Final = _dcm("113824", "Exposure Time")
#: CID 10032 Projection X-Ray Acquisition Device Types (value of ACQUISITION_DEVICE_TYPE)
FLUOROSCOPY_GUIDED_PROJECTION_RADIOGRAPHY_SYSTEM: Final = _dcm(
    "113957", "Fluoroscopy-Guided Projection Radiography System"
)
INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM: Final = _dcm(
    "113958", "Integrated Projection Radiography System"
)
CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM: Final = _dcm(
    "113959", "Cassette-based Projection Radiography System"
)
IRRADIATION_EVENT_LABEL: Final = _dcm("113605", "Irradiation Event Label")
CALIBRATION: Final = _dcm("122505", "Calibration")
DETECTOR_TYPE: Final = _dcm("113947", "Detector Type")

# --------------------------------------------------------------------- TID 10011-10016 CT
CT_ACCUMULATED_DOSE_DATA: Final = _dcm("113811", "CT Accumulated Dose Data")
TOTAL_NUMBER_OF_IRRADIATION_EVENTS: Final = _dcm("113812", "Total Number of Irradiation Events")
CT_DOSE_LENGTH_PRODUCT_TOTAL: Final = _dcm("113813", "CT Dose Length Product Total")
CT_EFFECTIVE_DOSE_TOTAL: Final = _dcm("113814", "CT Effective Dose Total")
CT_ACQUISITION: Final = _dcm("113819", "CT Acquisition")
CT_ACQUISITION_TYPE: Final = _dcm("113820", "CT Acquisition Type")
CT_ACQUISITION_PARAMETERS: Final = _dcm("113822", "CT Acquisition Parameters")
SPIRAL_ACQUISITION: Final = _sct("116152004", "Spiral Acquisition")
SEQUENCED_ACQUISITION: Final = _dcm("113804", "Sequenced Acquisition")
CONSTANT_ANGLE_ACQUISITION: Final = _dcm("113805", "Constant Angle Acquisition")
CT_STATIONARY_ACQUISITION: Final = _dcm("113806", "Stationary Acquisition")
FREE_ACQUISITION: Final = _dcm("113807", "Free Acquisition")
CONE_BEAM_ACQUISITION: Final = _sct("702569007", "Cone Beam Acquisition")
CT_EXPOSURE_TIME: Final = _dcm("113824", "Exposure Time")
SCANNING_LENGTH: Final = _dcm("113825", "Scanning Length")
NOMINAL_SINGLE_COLLIMATION_WIDTH: Final = _dcm("113826", "Nominal Single Collimation Width")
NOMINAL_TOTAL_COLLIMATION_WIDTH: Final = _dcm("113827", "Nominal Total Collimation Width")
PITCH_FACTOR: Final = _dcm("113828", "Pitch Factor")
NUMBER_OF_X_RAY_SOURCES: Final = _dcm("113823", "Number of X-Ray Sources")
CT_X_RAY_SOURCE_PARAMETERS: Final = _dcm("113831", "CT X-Ray Source Parameters")
IDENTIFICATION_OF_THE_X_RAY_SOURCE: Final = _dcm("113832", "Identification of the X-Ray Source")
MAXIMUM_X_RAY_TUBE_CURRENT: Final = _dcm("113833", "Maximum X-Ray Tube Current")
EXPOSURE_TIME_PER_ROTATION: Final = _dcm("113834", "Exposure Time per Rotation")
X_RAY_MODULATION_TYPE: Final = _dcm("113842", "X-Ray Modulation Type")
CT_DOSE: Final = _dcm("113829", "CT Dose")
MEAN_CTDIVOL: Final = _dcm("113830", "Mean CTDIvol")
CTDIW_PHANTOM_TYPE: Final = _dcm("113835", "CTDIw Phantom Type")
IEC_HEAD_DOSIMETRY_PHANTOM: Final = _dcm("113690", "IEC Head Dosimetry Phantom")
IEC_BODY_DOSIMETRY_PHANTOM: Final = _dcm("113691", "IEC Body Dosimetry Phantom")
CTDIFREEAIR_CALCULATION_FACTOR: Final = _dcm("113836", "CTDIfreeair Calculation Factor")
MEAN_CTDIFREEAIR: Final = _dcm("113837", "Mean CTDIfreeair")
DLP: Final = _dcm("113838", "DLP")
EFFECTIVE_DOSE_CONVERSION_FACTOR: Final = _dcm("113840", "Effective Dose Conversion Factor")
DOSE_CHECK_ALERT_DETAILS: Final = _dcm("113900", "Dose Check Alert Details")
DOSE_CHECK_NOTIFICATION_DETAILS: Final = _dcm("113908", "Dose Check Notification Details")
REASON_FOR_PROCEEDING: Final = _dcm("113907", "Reason for Proceeding")
SIZE_SPECIFIC_DOSE_ESTIMATE: Final = _dcm("113930", "Size Specific Dose Estimate")
WATER_EQUIVALENT_DIAMETER: Final = _dcm("113980", "Water Equivalent Diameter")
DERIVED_EFFECTIVE_DIAMETER: Final = _dcm("113933", "Derived Effective Diameter")
AAPM_220: Final = _dcm("113987", "AAPM 220")
# (CT parser may add codes below this line)
EXPOSED_RANGE: Final = _dcm("113899", "Exposed Range")
# TID 10015 CT Dose Check Details (NEMA XR 25)
DLP_ALERT_VALUE_CONFIGURED: Final = _dcm("113901", "DLP Alert Value Configured")
CTDIVOL_ALERT_VALUE_CONFIGURED: Final = _dcm("113902", "CTDIvol Alert Value Configured")
DLP_ALERT_VALUE: Final = _dcm("113903", "DLP Alert Value")
CTDIVOL_ALERT_VALUE: Final = _dcm("113904", "CTDIvol Alert Value")
ACCUMULATED_DLP_FORWARD_ESTIMATE: Final = _dcm("113905", "Accumulated DLP Forward Estimate")
ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE: Final = _dcm("113906", "Accumulated CTDIvol Forward Estimate")
DLP_NOTIFICATION_VALUE_CONFIGURED: Final = _dcm("113909", "DLP Notification Value Configured")
CTDIVOL_NOTIFICATION_VALUE_CONFIGURED: Final = _dcm(
    "113910", "CTDIvol Notification Value Configured"
)
DLP_NOTIFICATION_VALUE: Final = _dcm("113911", "DLP Notification Value")
CTDIVOL_NOTIFICATION_VALUE: Final = _dcm("113912", "CTDIvol Notification Value")
DLP_FORWARD_ESTIMATE: Final = _dcm("113913", "DLP Forward Estimate")
CTDIVOL_FORWARD_ESTIMATE: Final = _dcm("113914", "CTDIvol Forward Estimate")
PERSON_NAME: Final = _dcm("113870", "Person Name")
PERSON_ROLE_IN_PROCEDURE: Final = _dcm("113875", "Person Role in Procedure")
IRRADIATION_AUTHORIZING: Final = _dcm("113850", "Irradiation Authorizing")
#: CID 230 Yes-No (legacy SRT R-0038D / R-00339)
YES: Final = _sct("373066001", "Yes")
NO: Final = _sct("373067005", "No")

# --------------------------------------------------- TID 10021-10023 radiopharmaceutical
RADIOPHARMACEUTICAL_ADMINISTRATION: Final = _dcm("113502", "Radiopharmaceutical Administration")
RADIOPHARMACEUTICAL_ADMINISTRATION_EVENT_UID: Final = _dcm(
    "113503", "Radiopharmaceutical Administration Event UID"
)
RADIOPHARMACEUTICAL_AGENT: Final = _sct("349358000", "Radiopharmaceutical agent")
RADIONUCLIDE: Final = _sct("89457008", "Radionuclide")
RADIONUCLIDE_HALF_LIFE: Final = _sct("304283002", "Radionuclide Half Life")
ADMINISTERED_ACTIVITY: Final = _dcm("113507", "Administered activity")
PRE_ADMINISTRATION_MEASURED_ACTIVITY: Final = _dcm("113508", "Pre-Administration Measured Activity")
POST_ADMINISTRATION_MEASURED_ACTIVITY: Final = _dcm(
    "113509", "Post-Administration Measured Activity"
)
ROUTE_OF_ADMINISTRATION: Final = _sct("410675002", "Route of administration")
RADIOPHARMACEUTICAL_START_DATETIME: Final = _dcm("123003", "Radiopharmaceutical Start DateTime")
RADIOPHARMACEUTICAL_STOP_DATETIME: Final = _dcm("123004", "Radiopharmaceutical Stop DateTime")
INTRAVENOUS_EXTRAVASATION_SYMPTOMS: Final = _dcm("113505", "Intravenous Extravasation Symptoms")
ESTIMATED_EXTRAVASATION_ACTIVITY: Final = _dcm("113506", "Estimated Extravasation Activity")
ORGAN_DOSE_INFORMATION: Final = _dcm("113517", "Organ Dose Information")
FINDING_SITE: Final = _sct("363698007", "Finding Site")
ORGAN_DOSE: Final = _dcm("113518", "Organ Dose")
ICRP_PUBLICATION_106: Final = _dcm("113523", "ICRP Publication 106")
# (radiopharmaceutical parser may add codes below this line)
#: TID 10021 row "Associated Procedure" (SRT G-C2D0), the RRDSR's procedure reported
ASSOCIATED_PROCEDURE: Final = _sct("363589002", "Associated Procedure")
SITE_OF: Final = _sct("272737002", "Site of")  # TID 10022 child of Route of administration
MASS: Final = _sct("118538004", "Mass")  # TID 10023 organ mass (g)
RADIOPHARMACEUTICAL_SPECIFIC_ACTIVITY: Final = _dcm(
    "123007", "Radiopharmaceutical Specific Activity"
)
RADIOPHARMACEUTICAL_VOLUME: Final = _dcm("123005", "Radiopharmaceutical Volume")
#: CID 7455 Sex (DCM values and their SCT equivalents)
SEX_MALE_KEYS: Final[frozenset[CodeKey]] = frozenset({("DCM", "M"), ("SCT", "248153007")})
SEX_FEMALE_KEYS: Final[frozenset[CodeKey]] = frozenset({("DCM", "F"), ("SCT", "248152002")})
SEX_OTHER_KEYS: Final[frozenset[CodeKey]] = frozenset({("DCM", "O")})
# image headers (DX/CR/PX/IO, MG, NM/PT, CT): coded values built from attribute text
ALUMINUM: Final = _sct("12503006", "Aluminum")
COPPER: Final = _sct("66925006", "Copper")
MOLYBDENUM: Final = _sct("71128006", "Molybdenum")
RHODIUM: Final = _sct("59801003", "Rhodium")
TUNGSTEN: Final = _sct("26194003", "Tungsten")
SILVER: Final = _sct("41967008", "Silver")
#: CID 10007 Radiation Filter Types (from Filter Type (0018,1160) defined terms)
STRIP_FILTER: Final = _dcm("113650", "Strip filter")
WEDGE_FILTER: Final = _dcm("113651", "Wedge filter")
BUTTERFLY_FILTER: Final = _dcm("113652", "Butterfly filter")
FLAT_FILTER: Final = _dcm("113653", "Flat filter")
