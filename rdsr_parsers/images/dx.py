"""Dose attributes of projection images: CR, DX, PX (panoramic), IO, and XA/RF.

One image is one :class:`ProjectionIrradiationEvent` (PS3.3 C.8.7.8 X-Ray Acquisition
Dose Module and C.8.11.7 DX Detector / C.8.7.10 X-Ray Filtration):

* Image and Fluoroscopy Area Dose Product (0018,115E), in dGy.cm2 by the IOD definition,
  converted to Gy.cm2 with an INFO finding;
* Entrance Dose in mGy (0040,8302), else Entrance Dose (0040,0302) in dGy, kept as a
  Measurement of Entrance Exposure at RP (111636);
* Exposure Index (0018,1411), Target Exposure Index (0018,1412), Deviation Index (0018,1413);
* kVp, exposure, exposure time and tube current (most precise attribute first);
* filters from Filter Type / Filter Material / Filter Thickness Minimum/Maximum.

The report's accumulated dose is one AccumulatedProjectionDose with the image's DAP.
"""

from __future__ import annotations

import re

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_KAP,
    UNIT_LENGTH,
    UNIT_TIME,
    AccumulatedProjectionDose,
    DoseModality,
    DoseReport,
    Measurement,
    ProjectionIrradiationEvent,
    XRayFilter,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import quirks, sop
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import attributes as attr
from rdsr_parsers.images.common import event_uid_or_sop, read_facts

#: (keyword, unit of the attribute) candidates, most precise first
EXPOSURE_ATTRIBUTES = (("ExposureInmAs", "mA.s"), ("ExposureInuAs", "uA.s"), ("Exposure", "mA.s"))
EXPOSURE_TIME_ATTRIBUTES = (
    ("ExposureTimeInms", "ms"),
    ("ExposureTimeInuS", "us"),
    ("ExposureTime", "ms"),
)
#: X-Ray Tube Current in uA is scaled to mA (UCUM table has no uA)
TUBE_CURRENT_ATTRIBUTES = (
    ("XRayTubeCurrentInmA", "mA"),
    ("XRayTubeCurrentInuA", "1e-3 mA"),
    ("XRayTubeCurrent", "mA"),
)
#: Filter Type (0018,1160) defined terms -> CID 10007
FILTER_TYPES: dict[str, Code] = {
    "STRIP": codes.STRIP_FILTER,
    "WEDGE": codes.WEDGE_FILTER,
    "BUTTERFLY": codes.BUTTERFLY_FILTER,
    "FLAT": codes.FLAT_FILTER,
    "NONE": codes.NO_FILTER,
}
_DAP_TAG = 0x0018115E
_ENTRANCE_DOSE_TAG = 0x00400302
_FILTER_TYPE_TAG = 0x00181160
_FILTER_MATERIAL_TAG = 0x00187050
_SID_TAG = 0x00181110
_PLAUSIBLE_SID_MM = (200.0, 3000.0)
_FLUORO_SETTING = "SC"  # Radiation Setting (0018,1155): SC = fluoroscopic settings
_FLUORO_CLASSES = frozenset({sop.XA_IMAGE, sop.RF_IMAGE})


def read_projection_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """One projection image header as a DoseReport (RADIOGRAPHY, or FLUOROSCOPY for XA/RF)."""
    dap = attr.number(ds, "ImageAndFluoroscopyAreaDoseProduct", ctx)
    entrance = entrance_dose(ds, ctx)
    if dap is None and entrance is None:
        modality = attr.text(ds, "Modality") or "image"
        raise NotADoseObjectError(
            f"{modality} image without dose attributes (no Image and Fluoroscopy Area Dose "
            "Product (0018,115E), no Entrance Dose (0040,0302)/(0040,8302))"
        )
    kap = None
    if dap is not None:
        kap = Quantity(dap, "dGy.cm2").to(UNIT_KAP)
        ctx.add(
            FindingCode.UNIT_IOD_CONVENTION,
            f"Image and Fluoroscopy Area Dose Product {dap:g} dGy.cm2 (unit of the IOD) "
            f"read as {kap.value:g} Gy.cm2",
            path=attr.tag_str(_DAP_TAG),
        )
    facts = read_facts(ds, ctx)
    sop_class = attr.text(ds, "SOPClassUID")
    fluoro_device = sop_class in _FLUORO_CLASSES
    is_fluoro = fluoro_device and attr.text(ds, "RadiationSetting") == _FLUORO_SETTING
    event_type = codes.FLUOROSCOPY if is_fluoro else codes.STATIONARY_ACQUISITION
    _letter, laterality = attr.laterality(ds)
    measurements = () if entrance is None else (entrance,)
    event = ProjectionIrradiationEvent(
        irradiation_event_uid=event_uid_or_sop(ds, ctx),
        event_type=event_type,
        acquisition_plane=codes.SINGLE_PLANE,
        datetime_started=facts.started,
        acquisition_protocol=attr.text(ds, "ProtocolName"),
        anatomical_structure=attr.code_in(ds, "AnatomicRegionSequence", ctx),
        laterality=laterality,
        image_view=attr.code_in(ds, "ViewCodeSequence", ctx),
        dose_area_product=kap,
        kvp=_tuple(attr.quantity(ds, "KVP", "kV", ctx)),
        tube_current=_tuple(attr.first_quantity(ds, TUBE_CURRENT_ATTRIBUTES, "mA", ctx)),
        exposure_time=attr.first_quantity(ds, EXPOSURE_TIME_ATTRIBUTES, UNIT_TIME, ctx),
        exposure=attr.first_quantity(ds, EXPOSURE_ATTRIBUTES, "mA.s", ctx),
        focal_spot_size=attr.quantity(ds, "FocalSpots", "mm", ctx),
        positioner_primary_angle=attr.quantity(ds, "PositionerPrimaryAngle", "deg", ctx),
        positioner_secondary_angle=attr.quantity(ds, "PositionerSecondaryAngle", "deg", ctx),
        column_angulation=attr.quantity(ds, "ColumnAngulation", "deg", ctx),
        distance_source_to_detector=_sid(ds, ctx),
        filters=read_filters(ds, ctx),
        exposure_index=attr.quantity(ds, "ExposureIndex", "1", ctx),
        target_exposure_index=attr.quantity(ds, "TargetExposureIndex", "1", ctx),
        deviation_index=attr.quantity(ds, "DeviationIndex", "1", ctx),
        other_measurements=measurements,
    )
    total = AccumulatedProjectionDose(
        acquisition_plane=codes.SINGLE_PLANE,
        dose_area_product_total=kap,
        fluoro_dose_area_product_total=kap if is_fluoro else None,
        acquisition_dose_area_product_total=None if is_fluoro else kap,
    )
    modality = DoseModality.FLUOROSCOPY if fluoro_device else DoseModality.RADIOGRAPHY
    return facts.report(
        modality,
        events=(event,),
        projection_accumulated=(total,),
        presentation_intent=attr.text(ds, "PresentationIntentType"),
    )


def _tuple(value: Quantity | None) -> tuple[Quantity, ...]:
    return () if value is None else (value,)


def entrance_dose(ds: Dataset, ctx: ParseContext) -> Measurement | None:
    """Entrance Dose in mGy (0040,8302), else Entrance Dose (0040,0302) in dGy (> 0)."""
    in_mgy = attr.quantity(ds, "EntranceDoseInmGy", "mGy", ctx)
    if in_mgy is not None:
        return Measurement(codes.ENTRANCE_EXPOSURE_AT_RP, in_mgy, "(0040,8302)")
    in_dgy = attr.number(ds, "EntranceDose", ctx)
    if in_dgy is None:
        return None
    if in_dgy == 0:
        ctx.add(
            FindingCode.VALUE_ZERO_IGNORED,
            "Entrance Dose (0040,0302) is 0 dGy (an integer attribute); not used",
            path=attr.tag_str(_ENTRANCE_DOSE_TAG),
        )
        return None
    value = Quantity(in_dgy, "dGy").to("mGy")
    ctx.add(
        FindingCode.UNIT_IOD_CONVENTION,
        f"Entrance Dose {in_dgy:g} dGy (unit of the IOD) read as {value.value:g} mGy",
        path=attr.tag_str(_ENTRANCE_DOSE_TAG),
    )
    return Measurement(codes.ENTRANCE_EXPOSURE_AT_RP, value, "(0040,0302)")


def _sid(ds: Dataset, ctx: ParseContext) -> Quantity | None:
    sid = attr.quantity(ds, "DistanceSourceToDetector", UNIT_LENGTH, ctx)
    low, high = _PLAUSIBLE_SID_MM
    if sid is not None and not low <= sid.value <= high:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"Distance Source to Detector {sid.value:g} mm is outside {low:g}-{high:g} mm; "
            "kept as sent",
            path=attr.tag_str(_SID_TAG),
        )
    return sid


# --------------------------------------------------------------------------- filters


def read_filters(ds: Dataset, ctx: ParseContext) -> tuple[XRayFilter, ...]:
    """X-Ray Filtration Module attributes as XRayFilter entries, one per material.

    Filter Material (0018,7050) values are split on backslash and, as a repaired vendor
    bug (quirk IH03), on commas; thicknesses pair with materials by position.
    """
    filter_type_text = attr.text(ds, "FilterType")
    filter_type = None
    if filter_type_text is not None:
        filter_type = FILTER_TYPES.get(filter_type_text.upper())
    words = _material_words(ds, ctx)
    minimum = attr.numbers(ds, "FilterThicknessMinimum", ctx)
    maximum = attr.numbers(ds, "FilterThicknessMaximum", ctx)
    if not words and filter_type_text is not None:
        from_type = _filter_from_type_text(filter_type_text, ctx)
        if from_type is not None:
            return (from_type,)
    filters: list[XRayFilter] = []
    for index, word in enumerate(words):
        material = attr.material_code(word)
        if material is None:
            ctx.add(
                FindingCode.CODE_UNMAPPED_TEXT,
                f"filter material {word[:24]!r} has no CID 10006 code; material not coded",
                path=attr.tag_str(_FILTER_MATERIAL_TAG),
            )
        filters.append(
            XRayFilter(
                filter_type=filter_type,
                material=material,
                thickness_minimum=_at(minimum, index),
                thickness_maximum=_at(maximum, index),
            )
        )
    if not filters and filter_type is not None:
        filters.append(XRayFilter(filter_type=filter_type))
    return tuple(filters)


def _at(values: tuple[float, ...], index: int) -> Quantity | None:
    return Quantity(values[index], UNIT_LENGTH) if index < len(values) else None


def _material_words(ds: Dataset, ctx: ParseContext) -> list[str]:
    words: list[str] = []
    for value in attr.texts(ds, "FilterMaterial"):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if len(parts) > 1:
            ctx.add(
                FindingCode.ENCODING_SEPARATOR_IN_VALUE,
                f"',' used as a value separator inside Filter Material {value[:40]!r}; "
                f"read as {len(parts)} materials",
                path=attr.tag_str(_FILTER_MATERIAL_TAG),
            )
        words.extend(parts)
    return words


def _filter_from_type_text(filter_type_text: str, ctx: ParseContext) -> XRayFilter | None:
    """A filter spelled inside Filter Type, e.g. ``CU_0.2_MM`` (quirk kind filter_type_text)."""
    for quirk in quirks.all_quirks():
        if quirk.kind != "filter_type_text" or not quirk.applies_to(ctx.manufacturer, ctx.model):
            continue
        match = re.fullmatch(quirk.match, filter_type_text.upper())
        if match is None:
            continue
        material = attr.material_code(match.group("material"))
        thickness = Quantity(float(match.group("thickness")), UNIT_LENGTH)
        if material is None:
            continue
        ctx.add(
            quirk.finding_code,
            f"Filter Type {filter_type_text!r} read as a {material.meaning} filter of "
            f"{thickness.value:g} mm (quirk {quirk.quirk_id})",
            path=attr.tag_str(_FILTER_TYPE_TAG),
        )
        return XRayFilter(
            material=material, thickness_minimum=thickness, thickness_maximum=thickness
        )
    return None
