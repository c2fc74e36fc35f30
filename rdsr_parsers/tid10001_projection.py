"""TID 10001 Projection X-Ray Radiation Dose: fluoroscopy, interventional, radiography, MG.

Reads the root of an X-Ray Radiation Dose SR that is not CT: the Accumulated X-Ray Dose
Data containers (TID 10002 with 10004/10005/10006/10007, one per acquisition plane, see
:mod:`rdsr_parsers.tid10002_accumulated`) and the Irradiation Event X-Ray Data containers
(TID 10003 with 10003A-D, see :mod:`rdsr_parsers.tid10003_event`).

The report modality is decided per report, never per device (one unit can send a
radiography RDSR and a fluoroscopy RDSR):

* MAMMOGRAPHY when Procedure Reported is Mammography (SCT 71651007, legacy SRT P5-40010)
  or the report carries mammography dose items (Accumulated Average Glandular Dose,
  Average Glandular Dose);
* FLUOROSCOPY when any Irradiation Event Type is Fluoroscopy, or any fluoroscopy total
  (Fluoro Dose Area Product Total, Fluoro Dose (RP) Total, Total Fluoro Time) is non-zero;
* RADIOGRAPHY otherwise.

A declared Acquisition Device Type (CID 10032) that contradicts the decision is recorded
as a ``device.type_mismatch`` finding; the decision stands. Accumulated totals stay the
object's own values, compared with the event sums per plane (per breast for MG).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey, code_key, same
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_AGD,
    UNIT_DOSE_RP,
    UNIT_KAP,
    AccumulatedProjectionDose,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers.common import SrDocument
from rdsr_parsers.context import ParseContext
from rdsr_parsers.projection_items import Items, Notes, key, read_coded
from rdsr_parsers.sr import read_uid, require
from rdsr_parsers.tid10002_accumulated import (
    AccumulatedDose,
    has_mammography_totals,
    read_accumulated,
)
from rdsr_parsers.tid10003_event import (
    K_AGD,
    read_mammography_event,
    read_projection_event,
)

K_ACCUMULATED = key(codes.ACCUMULATED_X_RAY_DOSE_DATA)
K_EVENT = key(codes.IRRADIATION_EVENT_X_RAY_DATA)
K_ACQUISITION_DEVICE_TYPE = key(codes.ACQUISITION_DEVICE_TYPE)
K_HAS_INTENT = key(codes.HAS_INTENT)
K_PROCEDURE_REPORTED = key(codes.PROCEDURE_REPORTED)
#: root-level UIDREFs that belong under Scope of Accumulation (TID 10001 row 5.1)
_SCOPE_UID_KEYS: frozenset[CodeKey] = frozenset(
    {
        key(codes.STUDY_INSTANCE_UID),
        key(codes.SERIES_INSTANCE_UID),
        key(codes.PERFORMED_PROCEDURE_STEP_SOP_INSTANCE_UID),
    }
)
#: device types that cannot perform fluoroscopy (CID 10032)
_NON_FLUORO_DEVICE_TYPES = (
    codes.INTEGRATED_PROJECTION_RADIOGRAPHY_SYSTEM,
    codes.CASSETTE_BASED_PROJECTION_RADIOGRAPHY_SYSTEM,
)
#: relative difference above which accumulated totals and event sums are reported
TOTALS_RELATIVE_TOLERANCE = 1e-3
#: laterality of a breast (TID 10005) -> the event lateralities (TID 10003) it accumulates
_BREAST_LATERALITY: dict[CodeKey, frozenset[CodeKey]] = {
    code_key(codes.RIGHT_BREAST): frozenset({code_key(codes.RIGHT), code_key(codes.RIGHT_BREAST)}),
    code_key(codes.LEFT_BREAST): frozenset({code_key(codes.LEFT), code_key(codes.LEFT_BREAST)}),
    code_key(codes.RIGHT): frozenset({code_key(codes.RIGHT), code_key(codes.RIGHT_BREAST)}),
    code_key(codes.LEFT): frozenset({code_key(codes.LEFT), code_key(codes.LEFT_BREAST)}),
}

Event = ProjectionIrradiationEvent | MammographyIrradiationEvent


def read_projection_report(document: SrDocument, ctx: ParseContext) -> DoseReport:
    """The DoseReport of one TID 10001 Projection X-Ray Radiation Dose report."""
    root = Items(document.root)
    accumulated_items = [Items(c) for c in root.all(K_ACCUMULATED)]
    event_items = [Items(c) for c in root.all(K_EVENT)]
    if not accumulated_items and not event_items:
        raise MissingMandatoryItemError(
            "X-Ray Radiation Dose Report (TID 10001) has neither Accumulated X-Ray Dose Data "
            "(DCM:113702) nor Irradiation Event X-Ray Data (DCM:113706)",
            content_path="root",
            concept="DCM:113702",
        )
    if not accumulated_items:
        require(
            document.root,
            codes.ACCUMULATED_X_RAY_DOSE_DATA,
            ctx,
            what="Accumulated X-Ray Dose Data container (TID 10002)",
        )
    document = _repair_root_context(document, root, ctx)
    notes = Notes()
    mammography = _is_mammography(document, accumulated_items, event_items)
    accumulated = read_accumulated(accumulated_items, ctx, notes)
    events: tuple[Event, ...]
    if mammography:
        events = tuple(read_mammography_event(e, ctx, notes) for e in event_items)
    else:
        events = tuple(read_projection_event(e, ctx, notes) for e in event_items)
    notes.flush(ctx)
    modality = _decide_modality(mammography, events, accumulated.planes, ctx)
    _check_device_type(root, modality, ctx)
    _compare_plane_totals(accumulated, events, ctx)
    _compare_breast_totals(accumulated, events, ctx)
    return document.report(
        modality,
        events=events,
        projection_accumulated=accumulated.planes,
        mammography_accumulated=accumulated.breasts,
    )


# --------------------------------------------------------------------------- root context


def _repair_root_context(document: SrDocument, root: Items, ctx: ParseContext) -> SrDocument:
    """Has Intent and the scope UID sent beside their parent item instead of under it."""
    has_intent = document.has_intent
    scope_uid = document.scope_uid
    procedure = root.first(K_PROCEDURE_REPORTED)
    if document.has_intent is None and procedure is not None:
        misplaced = root.first(K_HAS_INTENT)
        if misplaced is not None:
            ctx.add(
                FindingCode.TEMPLATE_MISPLACED_ITEM,
                "Has Intent sent at the document root instead of as concept modifier of "
                "Procedure reported (TID 10001 row 1.1); read as its modifier",
                path=misplaced.path,
                concept="SCT:363703001",
            )
            has_intent = read_coded(misplaced, ctx)
        elif same(document.procedure_reported, codes.PROJECTION_X_RAY):
            ctx.add(
                FindingCode.TEMPLATE_MISSING_ITEM,
                "Has Intent (SCT:363703001), required for Procedure reported Projection X-Ray "
                "(TID 10001 row 1.1), is missing",
                path=procedure.path,
                concept="SCT:363703001",
            )
    if document.scope_of_accumulation is not None and document.scope_uid is None:
        for child in document.root.children:
            if child.concept in _SCOPE_UID_KEYS and child.value_type == "UIDREF":
                ctx.add(
                    FindingCode.TEMPLATE_MISPLACED_ITEM,
                    "scope UID sent at the document root instead of under Scope of "
                    "Accumulation (TID 10001 row 5.1); read as the scope UID",
                    path=child.path,
                    concept=child.concept_str,
                )
                scope_uid = read_uid(child, ctx)
                break
    if has_intent is document.has_intent and scope_uid is document.scope_uid:
        return document
    return dataclasses.replace(document, has_intent=has_intent, scope_uid=scope_uid)


# --------------------------------------------------------------------------- modality


def _is_mammography(document: SrDocument, accumulated: list[Items], events: list[Items]) -> bool:
    if same(document.procedure_reported, codes.MAMMOGRAPHY):
        return True
    return has_mammography_totals(accumulated) or any(e.has(K_AGD) for e in events)


def _decide_modality(
    mammography: bool,
    events: Sequence[Event],
    planes: Sequence[AccumulatedProjectionDose],
    ctx: ParseContext,
) -> DoseModality:
    if mammography:
        ctx.add(
            FindingCode.REPORT_MODALITY,
            "modality MG: Procedure reported Mammography or mammography dose items present",
        )
        return DoseModality.MAMMOGRAPHY
    fluoro_events = sum(1 for e in events if same(e.event_type, codes.FLUOROSCOPY))
    if fluoro_events:
        ctx.add(
            FindingCode.REPORT_MODALITY,
            f"modality RF: {fluoro_events} of {len(events)} irradiation events are Fluoroscopy",
        )
        return DoseModality.FLUOROSCOPY
    for plane in planes:
        for name, value in (
            ("Fluoro Dose Area Product Total", plane.fluoro_dose_area_product_total),
            ("Fluoro Dose (RP) Total", plane.fluoro_dose_rp_total),
            ("Total Fluoro Time", plane.total_fluoro_time),
        ):
            if value is not None and value.value > 0:
                ctx.add(FindingCode.REPORT_MODALITY, f"modality RF: {name} is {value}")
                return DoseModality.FLUOROSCOPY
    ctx.add(
        FindingCode.REPORT_MODALITY, "modality DX: no fluoroscopy event and no fluoroscopy total"
    )
    return DoseModality.RADIOGRAPHY


def _check_device_type(root: Items, modality: DoseModality, ctx: ParseContext) -> None:
    item = root.first(K_ACQUISITION_DEVICE_TYPE)
    if item is None:
        return
    declared = read_coded(item, ctx)
    if declared is None:
        return
    contradicts = (
        modality is DoseModality.FLUOROSCOPY
        and any(same(declared, t) for t in _NON_FLUORO_DEVICE_TYPES)
    ) or (
        modality is DoseModality.MAMMOGRAPHY
        and same(declared, codes.FLUOROSCOPY_GUIDED_PROJECTION_RADIOGRAPHY_SYSTEM)
    )
    if contradicts:
        ctx.add(
            FindingCode.DEVICE_TYPE_MISMATCH,
            f"Acquisition Device Type {codes.code_str(declared)} ({declared.meaning}) "
            f"contradicts the report content; modality kept as {modality.name}",
            path=item.path,
            concept=item.concept_str,
        )


# --------------------------------------------------------------------------- totals


def _compare_plane_totals(
    accumulated: AccumulatedDose, events: Sequence[Event], ctx: ParseContext
) -> None:
    """Per plane: Dose Area Product Total vs sum of event DAP, Dose (RP) Total vs RP sum."""
    planes = accumulated.planes
    for plane, path in zip(planes, accumulated.plane_paths, strict=True):
        if len(planes) == 1:
            plane_events: Sequence[Event] = events
        else:
            plane_events = [
                e
                for e in events
                if isinstance(e, ProjectionIrradiationEvent)
                and same(e.acquisition_plane, plane.acquisition_plane)
            ]
        label = _plane_label(plane.acquisition_plane)
        _compare(
            f"Dose Area Product Total of {label}",
            plane.dose_area_product_total,
            [e.dose_area_product for e in plane_events],
            UNIT_KAP,
            path,
            "DCM:113722",
            ctx,
        )
        _compare(
            f"Dose (RP) Total of {label}",
            plane.dose_rp_total,
            [e.dose_rp for e in plane_events],
            UNIT_DOSE_RP,
            path,
            "DCM:113725",
            ctx,
        )


def _compare_breast_totals(
    accumulated: AccumulatedDose, events: Sequence[Event], ctx: ParseContext
) -> None:
    """Per breast: Accumulated Average Glandular Dose vs sum of that breast's event AGD."""
    for breast, path in zip(accumulated.breasts, accumulated.breast_paths, strict=True):
        if breast.laterality is None:
            continue
        lateralities = _BREAST_LATERALITY.get(code_key(breast.laterality))
        if lateralities is None:
            continue
        values = [
            e.average_glandular_dose
            for e in events
            if isinstance(e, MammographyIrradiationEvent)
            and e.laterality is not None
            and code_key(e.laterality) in lateralities
        ]
        _compare(
            f"Accumulated Average Glandular Dose of {breast.laterality.meaning}",
            breast.accumulated_average_glandular_dose,
            values,
            UNIT_AGD,
            path,
            "DCM:111637",
            ctx,
        )


def _compare(
    what: str,
    total: Quantity | None,
    values: Sequence[Quantity | None],
    unit: str,
    path: str,
    concept: str,
    ctx: ParseContext,
) -> None:
    present = [v.value_in(unit) for v in values if v is not None]
    if total is None or not present:
        return
    event_sum = math.fsum(present)
    reported = total.value_in(unit)
    if math.isclose(reported, event_sum, rel_tol=TOTALS_RELATIVE_TOLERANCE, abs_tol=1e-12):
        return
    ctx.add(
        FindingCode.TOTALS_DIFFER_FROM_EVENTS,
        f"{what} is {reported:.6g} {unit} but its {len(present)} event value(s) sum to "
        f"{event_sum:.6g} {unit}; both kept",
        path=path,
        concept=concept,
    )


def _plane_label(plane: Code | None) -> str:
    return "the plane" if plane is None else plane.meaning
