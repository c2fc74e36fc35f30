"""Synthetic projection X-ray dose reports: X-Ray Radiation Dose SR with TID 10001.

Fluoroscopy / interventional and projection radiography: TID 10001 Projection X-Ray
Radiation Dose → TID 10002 Accumulated X-Ray Dose per acquisition plane (TID 10004
Accumulated Fluoroscopy and Acquisition Projection X-Ray Dose for fluoroscopy, TID 10007
Accumulated Projection X-Ray Dose for radiography) and one TID 10003 Irradiation Event
X-Ray Data per event. DAP is written in Gy.m2 and Dose (RP) in Gy as the template says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth.common import (
    ALUMINUM,
    COMMON_DEVIATIONS,
    COPPER,
    DEFAULT_HEADER,
    FIFTEEN_CM_FROM_ISOCENTER,
    FLAT_FILTER,
    XRAY_RDSR_SOP_CLASS,
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

CHEST: Final = Code("51185008", "SCT", "Chest")
HEART: Final = Code("80891009", "SCT", "Heart")
ENTIRE_BODY: Final = Code("38266002", "SCT", "Entire body")

#: one Gy.m2 in the Gy.cm2 the specs use
_CM2_PER_M2: Final = 10_000.0

SUPPORTED_DEVIATIONS: Final = COMMON_DEVIATIONS | {
    Deviation.UNIT_GYM2,
    Deviation.UNIT_GY_CM2_CARET,
    Deviation.DAP_IN_DGY_CM2,
    Deviation.RP_DOSE_IN_MGY,
    Deviation.TEXT_FOR_CODE,
    Deviation.IMPLAUSIBLE_EXPOSURE_TIME,
}
_DAP_UNIT_DEVIATIONS: Final = frozenset(
    {Deviation.UNIT_GYM2, Deviation.UNIT_GY_CM2_CARET, Deviation.DAP_IN_DGY_CM2}
)


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """One X-Ray Filters container (113771)."""

    material: Code = COPPER
    thickness_mm: float = 0.1
    filter_type: Code = FLAT_FILTER


@dataclass(frozen=True, slots=True)
class ProjectionEventSpec:
    """One projection X-ray irradiation event (TID 10003); doses in Gy.cm2 and Gy."""

    dap_gy_cm2: float = 1.0
    dose_rp_gy: float | None = 0.01
    event_type: Code = codes.FLUOROSCOPY
    plane: Code = codes.SINGLE_PLANE
    protocol: str = "Fluoro standard"
    target_region: Code = CHEST
    #: Fluoro Mode (fluoroscopy events); None omits it
    fluoro_mode: Code | None = codes.PULSED
    pulse_rate_per_s: float | None = 7.5
    number_of_pulses: int | None = 75
    kvp: float = 75.0
    tube_current_ma: float = 20.0
    exposure_time_ms: float = 10_000.0
    pulse_width_ms: float | None = 6.0
    exposure_uas: float | None = None
    irradiation_duration_s: float | None = 10.0
    primary_angle_deg: float | None = 0.0
    secondary_angle_deg: float | None = 0.0
    distance_source_to_detector_mm: float | None = 1100.0
    distance_source_to_isocenter_mm: float | None = 750.0
    distance_source_to_reference_point_mm: float | None = 600.0
    collimated_field_area_cm2: float | None = 400.0
    filters: tuple[FilterSpec, ...] = (FilterSpec(),)
    focal_spot_size_mm: float | None = None
    collimated_field_height_mm: float | None = None
    collimated_field_width_mm: float | None = None
    table_longitudinal_position_mm: float | None = None
    table_lateral_position_mm: float | None = None
    table_height_position_mm: float | None = None
    patient_equivalent_thickness_mm: float | None = None
    #: Exposure Index / Target Exposure Index / Deviation Index (radiography, IEC 62494-1)
    exposure_index: float | None = None
    target_exposure_index: float | None = None
    deviation_index: float | None = None
    comment: str | None = None
    irradiation_event_uid: str | None = None
    start_offset_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ProjectionReportSpec:
    """A projection dose report (TID 10001).

    ``fluoroscopy`` True writes TID 10004 accumulated items (fluoro and acquisition
    totals, fluoro time), False TID 10007 (radiography: DAP, Dose (RP), frames).
    Totals None are the event sums.
    """

    events: tuple[ProjectionEventSpec, ...] = (ProjectionEventSpec(),)
    fluoroscopy: bool = True
    dap_total_gy_cm2: float | None = None
    dose_rp_total_gy: float | None = None
    patient_characteristics: bool = True


def radiography_event(**fields: object) -> ProjectionEventSpec:
    """A typical DX/CR exposure (stationary acquisition, no fluoro items)."""
    base: dict[str, object] = {
        "dap_gy_cm2": 0.1,
        "dose_rp_gy": 0.0001,
        "event_type": codes.STATIONARY_ACQUISITION,
        "protocol": "Thorax PA",
        "fluoro_mode": None,
        "pulse_rate_per_s": None,
        "number_of_pulses": None,
        "kvp": 125.0,
        "tube_current_ma": 250.0,
        "exposure_time_ms": 8.0,
        "pulse_width_ms": None,
        "irradiation_duration_s": None,
        "primary_angle_deg": None,
        "secondary_angle_deg": None,
        "distance_source_to_detector_mm": 1800.0,
        "distance_source_to_isocenter_mm": None,
        "distance_source_to_reference_point_mm": None,
        "collimated_field_area_cm2": 1200.0,
        "filters": (FilterSpec(ALUMINUM, 1.0),),
    }
    base.update(fields)
    return ProjectionEventSpec(**base)  # type: ignore[arg-type]


def _dap(w: SrWriter, concept: Code, gy_cm2: float) -> bytes:
    """A DAP item in Gy.m2, or in the unit a DAP deviation asks for."""
    if w.has(Deviation.UNIT_GYM2):
        return w.num(concept, gy_cm2 / _CM2_PER_M2, "Gym2")
    if w.has(Deviation.UNIT_GY_CM2_CARET):
        return w.num(concept, gy_cm2, "Gy.cm^2")
    if w.has(Deviation.DAP_IN_DGY_CM2):
        return w.num(concept, gy_cm2 * 10.0, "dGy.cm2")
    return w.num(concept, gy_cm2 / _CM2_PER_M2, "Gy.m2")


def _dose_rp(w: SrWriter, concept: Code, gy: float) -> bytes:
    if w.has(Deviation.RP_DOSE_IN_MGY):
        return w.num(concept, gy * 1000.0, "mGy")
    return w.num(concept, gy, "Gy")


def reference_point_definition(w: SrWriter) -> bytes:
    """Reference Point Definition (113780): CODE, or TEXT under the deviation."""
    if w.has(Deviation.TEXT_FOR_CODE):
        return w.text(codes.REFERENCE_POINT_DEFINITION, FIFTEEN_CM_FROM_ISOCENTER.meaning)
    return w.code(codes.REFERENCE_POINT_DEFINITION, FIFTEEN_CM_FROM_ISOCENTER)


def filters(w: SrWriter, specs: Iterable[FilterSpec]) -> list[bytes]:
    return [
        w.container(
            codes.X_RAY_FILTERS,
            [
                w.code(codes.X_RAY_FILTER_TYPE, f.filter_type),
                w.code(codes.X_RAY_FILTER_MATERIAL, f.material),
                w.num(codes.X_RAY_FILTER_THICKNESS_MINIMUM, f.thickness_mm, "mm"),
                w.num(codes.X_RAY_FILTER_THICKNESS_MAXIMUM, f.thickness_mm, "mm"),
            ],
        )
        for f in specs
    ]


def _event(
    w: SrWriter, spec: ProjectionEventSpec, header: Header, uids: UidFactory, first: bool
) -> bytes:
    start = header.study.study_datetime + timedelta(seconds=spec.start_offset_s)
    items: list[bytes] = [w.code(codes.ACQUISITION_PLANE, spec.plane, "HAS CONCEPT MOD")]
    event_uid = spec.irradiation_event_uid or uids()
    if not w.has(Deviation.MISSING_EVENT_UID):
        items.append(w.uidref(codes.IRRADIATION_EVENT_UID, event_uid))
    items.append(w.datetime(codes.DATETIME_STARTED, start))
    items.append(
        w.code(
            codes.IRRADIATION_EVENT_TYPE,
            None if first and w.has(Deviation.EMPTY_CODED_VALUE) else spec.event_type,
        )
    )
    items.append(w.text(codes.ACQUISITION_PROTOCOL, spec.protocol))
    items.append(w.code(codes.TARGET_REGION, spec.target_region))
    items.append(reference_point_definition(w))
    dap: float | str = spec.dap_gy_cm2
    if first and w.has(Deviation.DS_DECIMAL_COMMA) and not (w.deviations & _DAP_UNIT_DEVIATIONS):
        dap = decimal_comma(spec.dap_gy_cm2 / _CM2_PER_M2)
        items.append(w.num(codes.DOSE_AREA_PRODUCT, dap, "Gy.m2"))
    else:
        items.append(_dap(w, codes.DOSE_AREA_PRODUCT, spec.dap_gy_cm2))
    if spec.dose_rp_gy is not None:
        items.append(_dose_rp(w, codes.DOSE_RP, spec.dose_rp_gy))
    if spec.primary_angle_deg is not None:
        items.append(w.num(codes.POSITIONER_PRIMARY_ANGLE, spec.primary_angle_deg, "deg"))
    if spec.secondary_angle_deg is not None:
        items.append(w.num(codes.POSITIONER_SECONDARY_ANGLE, spec.secondary_angle_deg, "deg"))
    items.extend(filters(w, spec.filters))
    if spec.fluoro_mode is not None:
        items.append(w.code(codes.FLUORO_MODE, spec.fluoro_mode))
    if spec.pulse_rate_per_s is not None:
        rate: float | str | None = spec.pulse_rate_per_s
        if first and w.has(Deviation.EMPTY_MEASURED_VALUE):
            rate = None
        items.append(w.num(codes.PULSE_RATE, rate, "{pulse}/s"))
    if spec.number_of_pulses is not None:
        pulses: float | str = spec.number_of_pulses
        if first and w.has(Deviation.IS_DECIMAL):
            pulses = f"{spec.number_of_pulses}.5"
        items.append(w.num(codes.NUMBER_OF_PULSES, pulses, "{pulses}"))
    kvp: float | str = spec.kvp
    if first and w.has(Deviation.DS_SLASH_SEPARATOR):
        kvp = f"{ds_str(spec.kvp)}/{ds_str(spec.kvp)}"
    items.append(w.num(codes.KVP, kvp, "kV"))
    current: float | None = spec.tube_current_ma
    if first and w.has(Deviation.EMPTY_MEASURED_VALUE) and spec.pulse_rate_per_s is None:
        current = None
    items.append(w.num(codes.X_RAY_TUBE_CURRENT, current, "mA"))
    if w.has(Deviation.IMPLAUSIBLE_EXPOSURE_TIME):
        # milliseconds labelled seconds
        items.append(w.num(codes.X_RAY_SOURCE_EXPOSURE_TIME, spec.exposure_time_ms * 1000, "s"))
    else:
        items.append(w.num(codes.X_RAY_SOURCE_EXPOSURE_TIME, spec.exposure_time_ms, "ms"))
    if spec.pulse_width_ms is not None:
        items.append(w.num(codes.PULSE_WIDTH, spec.pulse_width_ms, "ms"))
    exposure = spec.exposure_uas
    if exposure is None:
        exposure = round(spec.tube_current_ma * spec.exposure_time_ms, 1)  # mA.ms = uA.s
    items.append(w.num(codes.EXPOSURE, exposure, "uA.s"))
    if spec.irradiation_duration_s is not None:
        items.append(w.num(codes.IRRADIATION_DURATION, spec.irradiation_duration_s, "s"))
    if spec.distance_source_to_detector_mm is not None:
        items.append(
            w.num(codes.DISTANCE_SOURCE_TO_DETECTOR, spec.distance_source_to_detector_mm, "mm")
        )
    if spec.distance_source_to_isocenter_mm is not None:
        items.append(
            w.num(codes.DISTANCE_SOURCE_TO_ISOCENTER, spec.distance_source_to_isocenter_mm, "mm")
        )
    if spec.distance_source_to_reference_point_mm is not None:
        items.append(
            w.num(
                codes.DISTANCE_SOURCE_TO_REFERENCE_POINT,
                spec.distance_source_to_reference_point_mm,
                "mm",
            )
        )
    if spec.collimated_field_area_cm2 is not None:
        items.append(
            w.num(codes.COLLIMATED_FIELD_AREA, spec.collimated_field_area_cm2 / _CM2_PER_M2, "m2")
        )
    for concept, value, unit in (
        (codes.FOCAL_SPOT_SIZE, spec.focal_spot_size_mm, "mm"),
        (codes.COLLIMATED_FIELD_HEIGHT, spec.collimated_field_height_mm, "mm"),
        (codes.COLLIMATED_FIELD_WIDTH, spec.collimated_field_width_mm, "mm"),
        (codes.TABLE_LONGITUDINAL_POSITION, spec.table_longitudinal_position_mm, "mm"),
        (codes.TABLE_LATERAL_POSITION, spec.table_lateral_position_mm, "mm"),
        (codes.TABLE_HEIGHT_POSITION, spec.table_height_position_mm, "mm"),
        (codes.PATIENT_EQUIVALENT_THICKNESS, spec.patient_equivalent_thickness_mm, "mm"),
        (codes.EXPOSURE_INDEX, spec.exposure_index, "1"),
        (codes.TARGET_EXPOSURE_INDEX, spec.target_exposure_index, "1"),
        (codes.DEVIATION_INDEX, spec.deviation_index, "1"),
    ):
        if value is not None:
            items.append(w.num(concept, value, unit))
    if spec.comment is not None:
        items.append(w.text(codes.COMMENT, spec.comment))
    return w.container(codes.IRRADIATION_EVENT_X_RAY_DATA, items)


def _accumulated(
    w: SrWriter, spec: ProjectionReportSpec, plane: Code, events: list[ProjectionEventSpec]
) -> bytes:
    """TID 10002 for one plane with TID 10004 (fluoroscopy) or TID 10007 items."""
    dap_total = sum(e.dap_gy_cm2 for e in events)
    rp_total = sum(e.dose_rp_gy or 0.0 for e in events)
    single_plane = len({codes.code_key(e.plane) for e in spec.events}) == 1
    if spec.dap_total_gy_cm2 is not None and single_plane:
        dap_total = spec.dap_total_gy_cm2
    if spec.dose_rp_total_gy is not None and single_plane:
        rp_total = spec.dose_rp_total_gy
    if w.has(Deviation.TOTALS_DIFFER):
        dap_total = dap_total * 1.2 + 1.0
        rp_total = rp_total * 1.2 + 0.01
    items: list[bytes] = [w.code(codes.ACQUISITION_PLANE, plane, "HAS CONCEPT MOD")]
    items.append(_dap(w, codes.DOSE_AREA_PRODUCT_TOTAL, round(dap_total, 6)))
    items.append(_dose_rp(w, codes.DOSE_RP_TOTAL, round(rp_total, 6)))
    if spec.fluoroscopy:
        fluoro = [e for e in events if codes.same(e.event_type, codes.FLUOROSCOPY)]
        acquisition = [e for e in events if not codes.same(e.event_type, codes.FLUOROSCOPY)]
        items.append(
            _dap(
                w, codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL, round(sum(e.dap_gy_cm2 for e in fluoro), 6)
            )
        )
        items.append(
            _dose_rp(
                w, codes.FLUORO_DOSE_RP_TOTAL, round(sum(e.dose_rp_gy or 0 for e in fluoro), 6)
            )
        )
        fluoro_time = sum(e.exposure_time_ms for e in fluoro) / 1000.0
        items.append(w.num(codes.TOTAL_FLUORO_TIME, round(fluoro_time, 3), "s"))
        items.append(
            _dap(
                w,
                codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL,
                round(sum(e.dap_gy_cm2 for e in acquisition), 6),
            )
        )
        items.append(
            _dose_rp(
                w,
                codes.ACQUISITION_DOSE_RP_TOTAL,
                round(sum(e.dose_rp_gy or 0 for e in acquisition), 6),
            )
        )
        acquisition_time = sum(e.exposure_time_ms for e in acquisition) / 1000.0
        items.append(w.num(codes.TOTAL_ACQUISITION_TIME, round(acquisition_time, 3), "s"))
    frames = sum(
        (e.number_of_pulses or 1) for e in events if not codes.same(e.event_type, codes.FLUOROSCOPY)
    )
    frames_value: float | str = frames
    if w.has(Deviation.IS_DECIMAL):
        frames_value = f"{frames}.5"
    items.append(w.num(codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES, frames_value, "1"))
    items.append(reference_point_definition(w))
    return w.container(codes.ACCUMULATED_X_RAY_DOSE_DATA, items)


def projection_report_bytes(
    spec: ProjectionReportSpec = ProjectionReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> bytes:
    """Part 10 bytes of an X-Ray Radiation Dose SR with a TID 10001 content tree."""
    chosen = check_deviations(deviations, SUPPORTED_DEVIATIONS, "projection")
    if len(chosen & _DAP_UNIT_DEVIATIONS) > 1:
        raise ValueError("choose at most one DAP unit deviation")
    uids = uids or UidFactory(0, "projection")
    w = SrWriter(chosen)
    ids = document_ids(header, uids, XRAY_RDSR_SOP_CLASS)
    content: list[bytes] = [procedure_reported(w, codes.PROJECTION_X_RAY)]
    content.extend(observer_context(w, header.device))
    content.append(scope_of_accumulation(w, ids.study_instance_uid))
    if not w.has(Deviation.MISSING_ACCUMULATED):
        planes: list[Code] = []
        for event in spec.events:
            if not any(codes.same(event.plane, known) for known in planes):
                planes.append(event.plane)
        for plane in planes:
            content.append(
                _accumulated(w, spec, plane, [e for e in spec.events if codes.same(e.plane, plane)])
            )
    for index, event in enumerate(spec.events):
        content.append(_event(w, event, header, uids, first=index == 0))
    if spec.patient_characteristics:
        content.append(patient_characteristics(w, header.patient, header.study.study_datetime))
    return sr_document(
        w,
        header,
        ids,
        title=codes.X_RAY_RADIATION_DOSE_REPORT,
        template_id="10001",
        content=content,
    )


def build_projection_report(
    spec: ProjectionReportSpec = ProjectionReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> Dataset:
    """The pydicom Dataset (with file meta) of :func:`projection_report_bytes`."""
    return read_dataset(projection_report_bytes(spec, header, deviations=deviations, uids=uids))
