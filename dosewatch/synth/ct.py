"""Synthetic CT Radiation Dose reports: X-Ray Radiation Dose SR with TID 10011.

TID 10011 CT Radiation Dose → TID 10012 CT Accumulated Dose Data, one TID 10013 CT
Irradiation Event Data per event (TID 10014 CT X-Ray Source Parameters per source,
optional TID 10015 CT Dose Check Details, optional SSDE 113930 and water equivalent
diameter 113980).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth.common import (
    COMMON_DEVIATIONS,
    DEFAULT_HEADER,
    NO,
    XRAY_RDSR_SOP_CLASS,
    YES,
    Deviation,
    Header,
    SrWriter,
    UidFactory,
    check_deviations,
    decimal_comma,
    document_ids,
    ds_str,
    observer_context,
    patient_characteristics,
    procedure_reported,
    read_dataset,
    scope_of_accumulation,
    sr_document,
)

HEAD: Final = Code("69536005", "SCT", "Head")
CHEST: Final = Code("51185008", "SCT", "Chest")
ABDOMEN: Final = Code("113345001", "SCT", "Abdomen")
PELVIS: Final = Code("12921003", "SCT", "Pelvis")

DLP_ALERT_VALUE_CONFIGURED: Final = Code("113901", "DCM", "DLP Alert Value Configured")
CTDIVOL_ALERT_VALUE_CONFIGURED: Final = Code("113902", "DCM", "CTDIvol Alert Value Configured")
DLP_ALERT_VALUE: Final = Code("113903", "DCM", "DLP Alert Value")
CTDIVOL_ALERT_VALUE: Final = Code("113904", "DCM", "CTDIvol Alert Value")
ACCUMULATED_DLP_FORWARD_ESTIMATE: Final = Code("113905", "DCM", "Accumulated DLP Forward Estimate")
DLP_NOTIFICATION_VALUE_CONFIGURED: Final = Code(
    "113909", "DCM", "DLP Notification Value Configured"
)
CTDIVOL_NOTIFICATION_VALUE_CONFIGURED: Final = Code(
    "113910", "DCM", "CTDIvol Notification Value Configured"
)
DLP_NOTIFICATION_VALUE: Final = Code("113911", "DCM", "DLP Notification Value")
CTDIVOL_NOTIFICATION_VALUE: Final = Code("113912", "DCM", "CTDIvol Notification Value")

SUPPORTED_DEVIATIONS: Final = COMMON_DEVIATIONS | {
    Deviation.IMPLAUSIBLE_EXPOSURE_TIME,
    Deviation.MISSING_CTDIVOL,
}


@dataclass(frozen=True, slots=True)
class CtSourceSpec:
    """One CT X-Ray Source Parameters container (TID 10014)."""

    identification: str = "A"
    kvp: float = 120.0
    maximum_tube_current_ma: float = 300.0
    tube_current_ma: float = 200.0
    exposure_time_per_rotation_s: float = 0.5


@dataclass(frozen=True, slots=True)
class DoseCheckSpec:
    """CT Dose Check Details (TID 10015): alert and notification values."""

    dlp_alert_mgy_cm: float | None = 1000.0
    ctdivol_alert_mgy: float | None = 80.0
    accumulated_dlp_forward_estimate_mgy_cm: float | None = None
    dlp_notification_mgy_cm: float | None = 500.0
    ctdivol_notification_mgy: float | None = 50.0
    reason_for_proceeding: str | None = None


@dataclass(frozen=True, slots=True)
class CtEventSpec:
    """One CT irradiation event (TID 10013). ``dlp_mgy_cm`` None: CTDIvol x length."""

    ctdivol_mgy: float = 10.0
    dlp_mgy_cm: float | None = None
    phantom: Code = codes.IEC_BODY_DOSIMETRY_PHANTOM
    acquisition_type: Code = codes.SPIRAL_ACQUISITION
    protocol: str = "Thorax standard"
    target_region: Code = CHEST
    scanning_length_mm: float = 350.0
    single_collimation_mm: float = 0.625
    total_collimation_mm: float = 40.0
    pitch_factor: float | None = 0.984
    exposure_time_s: float = 4.8
    sources: tuple[CtSourceSpec, ...] = (CtSourceSpec(),)
    ssde_mgy: float | None = None
    water_equivalent_diameter_mm: float | None = None
    dose_check: DoseCheckSpec | None = None
    exposed_range_mm: float | None = None
    xray_modulation_type: str | None = None
    mean_ctdifreeair_mgy: float | None = None
    ctdifreeair_calculation_factor_mgy_per_mas: float | None = None
    #: Effective Dose (113839) in mSv with its conversion factor (mSv/(mGy.cm))
    effective_dose_msv: float | None = None
    effective_dose_conversion_factor: float | None = None
    comment: str | None = None
    #: None: drawn from the UID factory
    irradiation_event_uid: str | None = None
    #: seconds after the study time
    start_offset_s: float = 0.0

    def dlp(self) -> float:
        if self.dlp_mgy_cm is not None:
            return self.dlp_mgy_cm
        return round(self.ctdivol_mgy * self.scanning_length_mm / 10.0, 2)


@dataclass(frozen=True, slots=True)
class CtReportSpec:
    """A CT dose report (TID 10011). ``dlp_total_mgy_cm`` None: the sum of events."""

    events: tuple[CtEventSpec, ...] = field(default=(CtEventSpec(),))
    dlp_total_mgy_cm: float | None = None
    #: CT Effective Dose Total (113814) in mSv with Reference Authority text
    effective_dose_total_msv: float | None = None
    effective_dose_reference_authority: str = "ICRP Publication 103"
    patient_characteristics: bool = True

    def dlp_total(self) -> float:
        if self.dlp_total_mgy_cm is not None:
            return self.dlp_total_mgy_cm
        return round(sum(e.dlp() for e in self.events), 2)


def _dose_check(w: SrWriter, spec: DoseCheckSpec) -> list[bytes]:
    alert: list[bytes] = [
        w.code(DLP_ALERT_VALUE_CONFIGURED, YES if spec.dlp_alert_mgy_cm is not None else NO),
        w.code(CTDIVOL_ALERT_VALUE_CONFIGURED, YES if spec.ctdivol_alert_mgy is not None else NO),
    ]
    if spec.dlp_alert_mgy_cm is not None:
        alert.append(w.num(DLP_ALERT_VALUE, spec.dlp_alert_mgy_cm, "mGy.cm"))
    if spec.ctdivol_alert_mgy is not None:
        alert.append(w.num(CTDIVOL_ALERT_VALUE, spec.ctdivol_alert_mgy, "mGy"))
    if spec.accumulated_dlp_forward_estimate_mgy_cm is not None:
        alert.append(
            w.num(
                ACCUMULATED_DLP_FORWARD_ESTIMATE,
                spec.accumulated_dlp_forward_estimate_mgy_cm,
                "mGy.cm",
            )
        )
    if spec.reason_for_proceeding:
        alert.append(w.text(codes.REASON_FOR_PROCEEDING, spec.reason_for_proceeding))
    notification: list[bytes] = [
        w.code(DLP_NOTIFICATION_VALUE_CONFIGURED, YES if spec.dlp_notification_mgy_cm else NO),
        w.code(CTDIVOL_NOTIFICATION_VALUE_CONFIGURED, YES if spec.ctdivol_notification_mgy else NO),
    ]
    if spec.dlp_notification_mgy_cm is not None:
        notification.append(w.num(DLP_NOTIFICATION_VALUE, spec.dlp_notification_mgy_cm, "mGy.cm"))
    if spec.ctdivol_notification_mgy is not None:
        notification.append(w.num(CTDIVOL_NOTIFICATION_VALUE, spec.ctdivol_notification_mgy, "mGy"))
    return [
        w.container(codes.DOSE_CHECK_ALERT_DETAILS, alert),
        w.container(codes.DOSE_CHECK_NOTIFICATION_DETAILS, notification),
    ]


def _effective_dose_total(w: SrWriter, spec: CtReportSpec) -> list[bytes]:
    if spec.effective_dose_total_msv is None:
        return []
    authority = w.text(
        codes.REFERENCE_AUTHORITY, spec.effective_dose_reference_authority, "HAS PROPERTIES"
    )
    return [
        w.num(
            codes.CT_EFFECTIVE_DOSE_TOTAL,
            spec.effective_dose_total_msv,
            "mSv",
            children=[authority],
        )
    ]


def _event(w: SrWriter, spec: CtEventSpec, header: Header, uids: UidFactory, first: bool) -> bytes:
    start = header.study.study_datetime + timedelta(seconds=spec.start_offset_s)
    items: list[bytes] = [
        w.text(codes.ACQUISITION_PROTOCOL, spec.protocol),
        w.code(codes.TARGET_REGION, spec.target_region),
        w.code(
            codes.CT_ACQUISITION_TYPE,
            None if first and w.has(Deviation.EMPTY_CODED_VALUE) else spec.acquisition_type,
        ),
    ]
    event_uid = spec.irradiation_event_uid or uids()
    if not w.has(Deviation.MISSING_EVENT_UID):
        items.append(w.uidref(codes.IRRADIATION_EVENT_UID, event_uid))
    items.append(w.datetime(codes.DATETIME_STARTED, start))

    exposure_time: float | str | None = spec.exposure_time_s
    if w.has(Deviation.IMPLAUSIBLE_EXPOSURE_TIME):
        exposure_time = spec.exposure_time_s * 1000.0  # milliseconds labelled seconds
    if first and w.has(Deviation.EMPTY_MEASURED_VALUE):
        exposure_time = None
    params: list[bytes] = [
        w.num(codes.CT_EXPOSURE_TIME, exposure_time, "s"),
        w.num(codes.SCANNING_LENGTH, spec.scanning_length_mm, "mm"),
        *(
            [w.num(codes.EXPOSED_RANGE, spec.exposed_range_mm, "mm")]
            if spec.exposed_range_mm is not None
            else []
        ),
        w.num(codes.NOMINAL_SINGLE_COLLIMATION_WIDTH, spec.single_collimation_mm, "mm"),
        w.num(codes.NOMINAL_TOTAL_COLLIMATION_WIDTH, spec.total_collimation_mm, "mm"),
    ]
    if spec.pitch_factor is not None:
        params.append(w.num(codes.PITCH_FACTOR, spec.pitch_factor, "{ratio}"))
    if spec.xray_modulation_type is not None:
        params.append(w.text(codes.X_RAY_MODULATION_TYPE, spec.xray_modulation_type))
    params.append(w.num(codes.NUMBER_OF_X_RAY_SOURCES, len(spec.sources), "{X-Ray sources}"))
    for index, source in enumerate(spec.sources):
        kvp: float | str = source.kvp
        if first and index == 0 and w.has(Deviation.DS_SLASH_SEPARATOR):
            kvp = f"{ds_str(source.kvp)}/{ds_str(source.kvp)}"
        params.append(
            w.container(
                codes.CT_X_RAY_SOURCE_PARAMETERS,
                [
                    w.text(codes.IDENTIFICATION_OF_THE_X_RAY_SOURCE, source.identification),
                    w.num(codes.KVP, kvp, "kV"),
                    w.num(codes.MAXIMUM_X_RAY_TUBE_CURRENT, source.maximum_tube_current_ma, "mA"),
                    w.num(codes.X_RAY_TUBE_CURRENT, source.tube_current_ma, "mA"),
                    w.num(
                        codes.EXPOSURE_TIME_PER_ROTATION, source.exposure_time_per_rotation_s, "s"
                    ),
                ],
            )
        )
    items.append(w.container(codes.CT_ACQUISITION_PARAMETERS, params))

    dose: list[bytes] = []
    if not w.has(Deviation.MISSING_CTDIVOL):
        ctdivol: float | str = spec.ctdivol_mgy
        if first and w.has(Deviation.DS_DECIMAL_COMMA):
            ctdivol = decimal_comma(spec.ctdivol_mgy)
        dose.append(w.num(codes.MEAN_CTDIVOL, ctdivol, "mGy"))
    dose.append(w.code(codes.CTDIW_PHANTOM_TYPE, spec.phantom))
    if spec.ctdifreeair_calculation_factor_mgy_per_mas is not None:
        dose.append(
            w.num(
                codes.CTDIFREEAIR_CALCULATION_FACTOR,
                spec.ctdifreeair_calculation_factor_mgy_per_mas,
                "mGy/mA.s",
            )
        )
    if spec.mean_ctdifreeair_mgy is not None:
        dose.append(w.num(codes.MEAN_CTDIFREEAIR, spec.mean_ctdifreeair_mgy, "mGy"))
    dose.append(w.num(codes.DLP, spec.dlp(), "mGy.cm"))
    if spec.effective_dose_msv is not None:
        factor = []
        if spec.effective_dose_conversion_factor is not None:
            factor.append(
                w.num(
                    codes.EFFECTIVE_DOSE_CONVERSION_FACTOR,
                    spec.effective_dose_conversion_factor,
                    "mSv/(mGy.cm)",
                    "HAS PROPERTIES",
                )
            )
        dose.append(w.num(codes.EFFECTIVE_DOSE, spec.effective_dose_msv, "mSv", children=factor))
    if spec.ssde_mgy is not None:
        method = w.code(codes.MEASUREMENT_METHOD, codes.AAPM_220, "HAS CONCEPT MOD")
        dose.append(
            w.num(codes.SIZE_SPECIFIC_DOSE_ESTIMATE, spec.ssde_mgy, "mGy", children=[method])
        )
    if spec.water_equivalent_diameter_mm is not None:
        dose.append(w.num(codes.WATER_EQUIVALENT_DIAMETER, spec.water_equivalent_diameter_mm, "mm"))
    if spec.dose_check is not None:
        dose.extend(_dose_check(w, spec.dose_check))
    items.append(w.container(codes.CT_DOSE, dose))
    if spec.comment is not None:
        items.append(w.text(codes.COMMENT, spec.comment))
    return w.container(codes.CT_ACQUISITION, items)


def ct_report_bytes(
    spec: CtReportSpec = CtReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> bytes:
    """Part 10 bytes of an X-Ray Radiation Dose SR (SOP Class 1.2.840.10008.5.1.4.1.1.88.67)
    with a TID 10011 CT Radiation Dose content tree."""
    chosen = check_deviations(deviations, SUPPORTED_DEVIATIONS, "CT")
    uids = uids or UidFactory(0, "ct")
    w = SrWriter(chosen)
    ids = document_ids(header, uids, XRAY_RDSR_SOP_CLASS)
    content: list[bytes] = [procedure_reported(w, codes.COMPUTED_TOMOGRAPHY_X_RAY)]
    content.extend(observer_context(w, header.device))
    study_dt = header.study.study_datetime
    last_offset = max((e.start_offset_s for e in spec.events), default=0.0)
    content.append(w.datetime(codes.START_OF_XRAY_IRRADIATION, study_dt, "HAS OBS CONTEXT"))
    content.append(
        w.datetime(
            codes.END_OF_XRAY_IRRADIATION,
            study_dt + timedelta(seconds=last_offset + 60),
            "HAS OBS CONTEXT",
        )
    )
    content.append(scope_of_accumulation(w, ids.study_instance_uid))
    if not w.has(Deviation.MISSING_ACCUMULATED):
        total = spec.dlp_total()
        if w.has(Deviation.TOTALS_DIFFER):
            total = round(total * 1.25 + 10.0, 2)
        count: float | str = len(spec.events)
        if w.has(Deviation.IS_DECIMAL):
            count = f"{len(spec.events)}.5"
        content.append(
            w.container(
                codes.CT_ACCUMULATED_DOSE_DATA,
                [
                    w.num(codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS, count, "{events}"),
                    w.num(codes.CT_DOSE_LENGTH_PRODUCT_TOTAL, total, "mGy.cm"),
                    *_effective_dose_total(w, spec),
                ],
            )
        )
    for index, event in enumerate(spec.events):
        content.append(_event(w, event, header, uids, first=index == 0))
    if spec.patient_characteristics:
        content.append(patient_characteristics(w, header.patient, study_dt))
    return sr_document(
        w,
        header,
        ids,
        title=codes.X_RAY_RADIATION_DOSE_REPORT,
        template_id="10011",
        content=content,
    )


def build_ct_report(
    spec: CtReportSpec = CtReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> Dataset:
    """The pydicom Dataset (with file meta) of :func:`ct_report_bytes`."""
    return read_dataset(ct_report_bytes(spec, header, deviations=deviations, uids=uids))
