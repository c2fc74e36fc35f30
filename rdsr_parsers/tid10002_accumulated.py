"""TID 10002 Accumulated X-Ray Dose and its included totals templates.

One Accumulated X-Ray Dose Data container (DCM 113702) per acquisition plane. Its
children come from whichever included template applies to the device:
TID 10004 Accumulated Fluoroscopy and Acquisition Projection X-Ray Dose, TID 10005
Accumulated Mammography X-Ray Dose (Accumulated Average Glandular Dose per breast),
TID 10006 Accumulated Cassette-based Projection Radiography Dose, TID 10007 Accumulated
Integrated Projection Radiography Dose. They are all read from the same container, by
concept; planes are kept apart (never merged) and totals are the object's own values.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_AGD,
    UNIT_DOSE_RP,
    UNIT_KAP,
    UNIT_TIME,
    AccumulatedMammographyDose,
    AccumulatedProjectionDose,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers.context import ParseContext
from rdsr_parsers.projection_items import (
    K_ACQUISITION_PLANE,
    K_COMMENT,
    K_LATERALITY,
    K_REFERENCE_POINT_DEFINITION,
    Items,
    Notes,
    code_or_text,
    key,
    read_coded,
)
from rdsr_parsers.sr import ContentItem, read_quantity

K_DAP_TOTAL = key(codes.DOSE_AREA_PRODUCT_TOTAL)
K_DOSE_RP_TOTAL = key(codes.DOSE_RP_TOTAL)
K_FLUORO_DAP_TOTAL = key(codes.FLUORO_DOSE_AREA_PRODUCT_TOTAL)
K_FLUORO_DOSE_RP_TOTAL = key(codes.FLUORO_DOSE_RP_TOTAL)
K_TOTAL_FLUORO_TIME = key(codes.TOTAL_FLUORO_TIME)
K_ACQUISITION_DAP_TOTAL = key(codes.ACQUISITION_DOSE_AREA_PRODUCT_TOTAL)
K_ACQUISITION_DOSE_RP_TOTAL = key(codes.ACQUISITION_DOSE_RP_TOTAL)
K_TOTAL_ACQUISITION_TIME = key(codes.TOTAL_ACQUISITION_TIME)
K_TOTAL_FRAMES = key(codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES)
K_ACCUMULATED_AGD = key(codes.ACCUMULATED_AVERAGE_GLANDULAR_DOSE)

#: TID 10004/10006/10007 items: a container with any of them carries projection totals
_PROJECTION_TOTALS = (
    K_DAP_TOTAL,
    K_DOSE_RP_TOTAL,
    K_FLUORO_DAP_TOTAL,
    K_FLUORO_DOSE_RP_TOTAL,
    K_TOTAL_FLUORO_TIME,
    K_ACQUISITION_DAP_TOTAL,
    K_ACQUISITION_DOSE_RP_TOTAL,
    K_TOTAL_ACQUISITION_TIME,
    K_TOTAL_FRAMES,
)
_DICOM_DAP = "Gy.m2"


@dataclass(frozen=True, slots=True)
class AccumulatedDose:
    """Everything the Accumulated X-Ray Dose Data containers of one report say."""

    planes: tuple[AccumulatedProjectionDose, ...]
    breasts: tuple[AccumulatedMammographyDose, ...]
    #: content path of each plane record, same order as ``planes`` (for messages)
    plane_paths: tuple[str, ...]
    #: content path of each breast record, same order as ``breasts``
    breast_paths: tuple[str, ...]


def has_mammography_totals(containers: list[Items]) -> bool:
    """True when any container carries TID 10005 Accumulated Average Glandular Dose."""
    return any(c.has(K_ACCUMULATED_AGD) for c in containers)


def read_accumulated(containers: list[Items], ctx: ParseContext, notes: Notes) -> AccumulatedDose:
    planes: list[AccumulatedProjectionDose] = []
    plane_paths: list[str] = []
    breasts: list[AccumulatedMammographyDose] = []
    breast_paths: list[str] = []
    for items in containers:
        plane = _plane(items, ctx)
        for agd_item in items.all(K_ACCUMULATED_AGD):
            breasts.append(_breast(agd_item, ctx))
            breast_paths.append(agd_item.path)
        has_projection = any(items.has(k) for k in _PROJECTION_TOTALS)
        if has_projection or not items.has(K_ACCUMULATED_AGD):
            planes.append(_projection(items, plane, ctx, notes))
            plane_paths.append(items.path)
    return AccumulatedDose(tuple(planes), tuple(breasts), tuple(plane_paths), tuple(breast_paths))


def _plane(items: Items, ctx: ParseContext) -> Code | None:
    if not items.has(K_ACQUISITION_PLANE):
        ctx.add(
            FindingCode.TEMPLATE_MISSING_ITEM,
            "mandatory Acquisition Plane (DCM:113764) is missing from Accumulated X-Ray Dose "
            "Data (TID 10002); totals kept without a plane",
            path=items.path,
            concept="DCM:113764",
        )
        return None
    return items.code(K_ACQUISITION_PLANE, ctx)


def _projection(
    items: Items, plane: Code | None, ctx: ParseContext, notes: Notes
) -> AccumulatedProjectionDose:
    reference_point = None
    rpd = items.first(K_REFERENCE_POINT_DEFINITION)
    if rpd is not None:
        if rpd.value_type == "TEXT":
            notes.text_reference_points.append(rpd.path)
        reference_point = code_or_text(rpd, ctx)
    return AccumulatedProjectionDose(
        acquisition_plane=plane,
        reference_point_definition=reference_point,
        dose_area_product_total=_total(items, K_DAP_TOTAL, ctx, UNIT_KAP, _DICOM_DAP),
        dose_rp_total=_total(items, K_DOSE_RP_TOTAL, ctx, UNIT_DOSE_RP, UNIT_DOSE_RP),
        fluoro_dose_area_product_total=_total(items, K_FLUORO_DAP_TOTAL, ctx, UNIT_KAP, _DICOM_DAP),
        fluoro_dose_rp_total=_total(items, K_FLUORO_DOSE_RP_TOTAL, ctx, UNIT_DOSE_RP, UNIT_DOSE_RP),
        total_fluoro_time=_total(items, K_TOTAL_FLUORO_TIME, ctx, UNIT_TIME, UNIT_TIME),
        acquisition_dose_area_product_total=_total(
            items, K_ACQUISITION_DAP_TOTAL, ctx, UNIT_KAP, _DICOM_DAP
        ),
        acquisition_dose_rp_total=_total(
            items, K_ACQUISITION_DOSE_RP_TOTAL, ctx, UNIT_DOSE_RP, UNIT_DOSE_RP
        ),
        total_acquisition_time=_total(items, K_TOTAL_ACQUISITION_TIME, ctx, UNIT_TIME, UNIT_TIME),
        total_number_of_radiographic_frames=items.integer(K_TOTAL_FRAMES, ctx),
        comment=items.text(K_COMMENT),
    )


def _total(
    items: Items, concept_key: CodeKey, ctx: ParseContext, to_unit: str, expect_unit: str
) -> Quantity | None:
    value = items.quantity(concept_key, ctx, to_unit=to_unit, expect_unit=expect_unit)
    if value is not None and value.value < 0:
        item = items.first(concept_key)
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"accumulated total {value} is negative; value kept as sent",
            path=None if item is None else item.path,
            concept=f"{concept_key[0]}:{concept_key[1]}",
        )
    return value


def _breast(item: ContentItem, ctx: ParseContext) -> AccumulatedMammographyDose:
    """One Accumulated Average Glandular Dose (111637) with its Laterality modifier."""
    laterality = None
    for child in item.children:
        if child.concept == K_LATERALITY:
            laterality = _side(read_coded(child, ctx), child, ctx)
            break
    else:
        ctx.add(
            FindingCode.TEMPLATE_MISSING_ITEM,
            "Accumulated Average Glandular Dose without its Laterality modifier (TID 10005); "
            "kept without a breast",
            path=item.path,
            concept="SCT:272741003",
        )
    value = read_quantity(item, ctx, to_unit=UNIT_AGD, expect_unit=UNIT_AGD)
    if value is not None and value.value < 0:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"accumulated AGD {value} is negative; value kept as sent",
            path=item.path,
            concept=item.concept_str,
        )
    return AccumulatedMammographyDose(laterality, value)


#: breast codes sent where TID 10005 prescribes CID 6022 Side (quirk PX11) -> the side
_BREAST_TO_SIDE: dict[CodeKey, Code] = {
    key(codes.LEFT_BREAST): codes.LEFT,
    key(codes.RIGHT_BREAST): codes.RIGHT,
}


def _side(laterality: Code | None, item: ContentItem, ctx: ParseContext) -> Code | None:
    """TID 10005 Laterality is CID 6022 Side (Left/Right); "Left breast" is read as Left."""
    if laterality is None:
        return None
    side = _BREAST_TO_SIDE.get(key(laterality))
    if side is None:
        return laterality
    ctx.add(
        FindingCode.CODE_NONSTANDARD_VALUE,
        f"Laterality {laterality.meaning!r} ({laterality.scheme_designator}:{laterality.value}) "
        f"where CID 6022 Side is prescribed; read as {side.meaning} (quirk PX11)",
        path=item.path,
        concept=item.concept_str,
    )
    return side
