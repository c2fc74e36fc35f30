"""Synthetic mammography dose reports: X-Ray Radiation Dose SR, TID 10001 for mammography.

Procedure reported = Mammography; TID 10002 Accumulated X-Ray Dose with TID 10005
Accumulated Mammography X-Ray Dose (Accumulated Average Glandular Dose per breast,
laterality as concept modifier) and TID 10003 events with the mammography items (Average
Glandular Dose 111631, Entrance Exposure at RP, Compression Thickness, Half Value Layer,
Anode Target Material, filters, laterality of the anatomical structure, image view).
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
    COMMON_DEVIATIONS,
    DEFAULT_HEADER,
    RHODIUM,
    TUNGSTEN,
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
from dosewatch.synth.projection import FilterSpec, filters, reference_point_definition

CRANIO_CAUDAL: Final = Code("399162004", "SCT", "cranio-caudal")
MEDIO_LATERAL_OBLIQUE: Final = Code("399368009", "SCT", "medio-lateral oblique")

RHODIUM_FILTER: Final = FilterSpec(RHODIUM, 0.05)

SUPPORTED_DEVIATIONS: Final = COMMON_DEVIATIONS | {
    Deviation.TEXT_FOR_CODE,
    Deviation.IMPLAUSIBLE_EXPOSURE_TIME,
}


@dataclass(frozen=True, slots=True)
class MammographyEventSpec:
    """One mammography exposure (TID 10003 with mammography items)."""

    agd_mgy: float = 1.3
    entrance_exposure_mgy: float | None = 5.0
    laterality: Code = codes.RIGHT
    view: Code = CRANIO_CAUDAL
    compression_thickness_mm: float = 55.0
    half_value_layer_mm: float = 0.55
    anode: Code = TUNGSTEN
    filter: FilterSpec = RHODIUM_FILTER
    kvp: float = 29.0
    tube_current_ma: float = 100.0
    exposure_time_ms: float = 900.0
    positioner_primary_angle_deg: float = 0.0
    distance_source_to_reference_point_mm: float = 600.0
    protocol: str = "ROUTINE"
    irradiation_event_uid: str | None = None
    start_offset_s: float = 0.0


def default_views() -> tuple[MammographyEventSpec, ...]:
    return tuple(
        MammographyEventSpec(
            laterality=side, view=view, start_offset_s=30.0 * i, positioner_primary_angle_deg=a
        )
        for i, (side, view, a) in enumerate(
            (
                (codes.RIGHT, CRANIO_CAUDAL, 0.0),
                (codes.LEFT, CRANIO_CAUDAL, 0.0),
                (codes.RIGHT, MEDIO_LATERAL_OBLIQUE, 45.0),
                (codes.LEFT, MEDIO_LATERAL_OBLIQUE, -45.0),
            )
        )
    )


@dataclass(frozen=True, slots=True)
class MammographyReportSpec:
    """A mammography dose report; accumulated AGD per breast None: the event sums."""

    events: tuple[MammographyEventSpec, ...] = default_views()
    accumulated_agd_right_mgy: float | None = None
    accumulated_agd_left_mgy: float | None = None
    patient_characteristics: bool = False


def _event(
    w: SrWriter, spec: MammographyEventSpec, header: Header, uids: UidFactory, first: bool
) -> bytes:
    start = header.study.study_datetime + timedelta(seconds=spec.start_offset_s)
    items: list[bytes] = [w.code(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, "HAS CONCEPT MOD")]
    event_uid = spec.irradiation_event_uid or uids()
    if not w.has(Deviation.MISSING_EVENT_UID):
        items.append(w.uidref(codes.IRRADIATION_EVENT_UID, event_uid))
    items.append(w.datetime(codes.DATETIME_STARTED, start))
    items.append(w.code(codes.IRRADIATION_EVENT_TYPE, codes.STATIONARY_ACQUISITION))
    items.append(w.text(codes.ACQUISITION_PROTOCOL, spec.protocol))
    laterality = w.code(codes.LATERALITY, spec.laterality, "HAS CONCEPT MOD")
    items.append(w.code(codes.ANATOMICAL_STRUCTURE, codes.BREAST, children=[laterality]))
    items.append(
        w.code(
            codes.IMAGE_VIEW, None if first and w.has(Deviation.EMPTY_CODED_VALUE) else spec.view
        )
    )
    items.append(w.code(codes.TARGET_REGION, codes.BREAST))
    hvl: float | None = spec.half_value_layer_mm
    if first and w.has(Deviation.EMPTY_MEASURED_VALUE):
        hvl = None
    items.append(w.num(codes.HALF_VALUE_LAYER, hvl, "mm"))
    if spec.entrance_exposure_mgy is not None:
        items.append(w.num(codes.ENTRANCE_EXPOSURE_AT_RP, spec.entrance_exposure_mgy, "mGy"))
    items.append(reference_point_definition(w))
    agd: float | str = spec.agd_mgy
    if first and w.has(Deviation.DS_DECIMAL_COMMA):
        agd = decimal_comma(spec.agd_mgy)
    items.append(w.num(codes.AVERAGE_GLANDULAR_DOSE, agd, "mGy"))
    kvp: float | str = spec.kvp
    if first and w.has(Deviation.DS_SLASH_SEPARATOR):
        kvp = f"{ds_str(spec.kvp)}/{ds_str(spec.kvp)}"
    items.append(w.num(codes.KVP, kvp, "kV"))
    items.append(w.num(codes.X_RAY_TUBE_CURRENT, spec.tube_current_ma, "mA"))
    if w.has(Deviation.IMPLAUSIBLE_EXPOSURE_TIME):
        items.append(w.num(codes.X_RAY_SOURCE_EXPOSURE_TIME, spec.exposure_time_ms * 1000, "s"))
    else:
        items.append(w.num(codes.X_RAY_SOURCE_EXPOSURE_TIME, spec.exposure_time_ms, "ms"))
    items.append(
        w.num(codes.EXPOSURE, round(spec.tube_current_ma * spec.exposure_time_ms, 1), "uA.s")
    )
    items.append(w.code(codes.ANODE_TARGET_MATERIAL, spec.anode))
    items.extend(filters(w, [spec.filter]))
    items.append(w.num(codes.POSITIONER_PRIMARY_ANGLE, spec.positioner_primary_angle_deg, "deg"))
    items.append(w.num(codes.COMPRESSION_THICKNESS, spec.compression_thickness_mm, "mm"))
    items.append(
        w.num(
            codes.DISTANCE_SOURCE_TO_REFERENCE_POINT,
            spec.distance_source_to_reference_point_mm,
            "mm",
        )
    )
    return w.container(codes.IRRADIATION_EVENT_X_RAY_DATA, items)


def mammography_report_bytes(
    spec: MammographyReportSpec = MammographyReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> bytes:
    """Part 10 bytes of a mammography X-Ray Radiation Dose SR (TID 10001 + TID 10005)."""
    chosen = check_deviations(deviations, SUPPORTED_DEVIATIONS, "mammography")
    uids = uids or UidFactory(0, "mammography")
    w = SrWriter(chosen)
    ids = document_ids(header, uids, XRAY_RDSR_SOP_CLASS)
    content: list[bytes] = [procedure_reported(w, codes.MAMMOGRAPHY)]
    content.extend(observer_context(w, header.device))
    content.append(scope_of_accumulation(w, ids.study_instance_uid))
    if not w.has(Deviation.MISSING_ACCUMULATED):
        per_breast: list[bytes] = []
        for side, override in (
            (codes.LEFT, spec.accumulated_agd_left_mgy),
            (codes.RIGHT, spec.accumulated_agd_right_mgy),
        ):
            events = [e for e in spec.events if codes.same(e.laterality, side)]
            if not events and override is None:
                continue
            total = override if override is not None else sum(e.agd_mgy for e in events)
            if w.has(Deviation.TOTALS_DIFFER):
                total = total * 1.3 + 0.2
            # TID 10005: Laterality from CID 6022 Side (Left / Right)
            laterality = w.code(codes.LATERALITY, side, "HAS CONCEPT MOD")
            per_breast.append(
                w.num(
                    codes.ACCUMULATED_AVERAGE_GLANDULAR_DOSE,
                    round(total, 4),
                    "mGy",
                    children=[laterality],
                )
            )
        plane = w.code(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, "HAS CONCEPT MOD")
        content.append(w.container(codes.ACCUMULATED_X_RAY_DOSE_DATA, [plane, *per_breast]))
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


def build_mammography_report(
    spec: MammographyReportSpec = MammographyReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> Dataset:
    """The pydicom Dataset (with file meta) of :func:`mammography_report_bytes`."""
    return read_dataset(mammography_report_bytes(spec, header, deviations=deviations, uids=uids))
