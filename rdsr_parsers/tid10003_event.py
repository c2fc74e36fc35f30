"""TID 10003 Irradiation Event X-Ray Data (+ TID 10003A/B/C/D) of a projection X-ray RDSR.

One Irradiation Event X-Ray Data container (DCM 113706) becomes one
:class:`ProjectionIrradiationEvent` (fluoroscopy, interventional, radiography) or one
:class:`MammographyIrradiationEvent`. The container's children are indexed once
(:class:`~rdsr_parsers.projection_items.Items`) and every concept is looked up in that
index: no event is walked twice. TID 10003B X-Ray Source Data, 10003C Mechanical Data and
10003D Detector Data items are children of the same container (the templates are
included, not nested).
"""

from __future__ import annotations

from datetime import datetime

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_AGD,
    UNIT_DOSE_RP,
    UNIT_KAP,
    UNIT_LENGTH,
    UNIT_TIME,
    MammographyIrradiationEvent,
    Measurement,
    ProjectionIrradiationEvent,
    XRayFilter,
)
from dosewatch.domain.units import Quantity, is_known_unit
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
from rdsr_parsers.sr import ContentItem, read_numbers, read_quantities, read_text, read_uid

# DICOM units prescribed by TID 10003/10003B/10003C (what the object should send)
_DICOM_DAP = "Gy.m2"
_DICOM_AREA = "m2"
_DEG = "deg"

K_UID = key(codes.IRRADIATION_EVENT_UID)
K_EVENT_TYPE = key(codes.IRRADIATION_EVENT_TYPE)
K_DATETIME_STARTED = key(codes.DATETIME_STARTED)
K_ACQUISITION_PROTOCOL = key(codes.ACQUISITION_PROTOCOL)
K_TARGET_REGION = key(codes.TARGET_REGION)
K_ANATOMICAL_STRUCTURE = key(codes.ANATOMICAL_STRUCTURE)
K_IMAGE_VIEW = key(codes.IMAGE_VIEW)
K_DAP = key(codes.DOSE_AREA_PRODUCT)
K_DOSE_RP = key(codes.DOSE_RP)
K_FLUORO_MODE = key(codes.FLUORO_MODE)
K_PULSE_RATE = key(codes.PULSE_RATE)
K_NUMBER_OF_PULSES = key(codes.NUMBER_OF_PULSES)
K_KVP = key(codes.KVP)
K_TUBE_CURRENT = key(codes.X_RAY_TUBE_CURRENT)
K_AVERAGE_TUBE_CURRENT = key(codes.AVERAGE_X_RAY_TUBE_CURRENT)
K_PULSE_WIDTH = key(codes.PULSE_WIDTH)
K_EXPOSURE_TIME = key(codes.X_RAY_SOURCE_EXPOSURE_TIME)
K_EXPOSURE_TIME_RETIRED = key(codes.PROJECTION_EXPOSURE_TIME)
K_EXPOSURE = key(codes.EXPOSURE)
K_IRRADIATION_DURATION = key(codes.IRRADIATION_DURATION)
K_FOCAL_SPOT_SIZE = key(codes.FOCAL_SPOT_SIZE)
K_PRIMARY_ANGLE = key(codes.POSITIONER_PRIMARY_ANGLE)
K_SECONDARY_ANGLE = key(codes.POSITIONER_SECONDARY_ANGLE)
K_PRIMARY_END_ANGLE = key(codes.POSITIONER_PRIMARY_END_ANGLE)
K_SECONDARY_END_ANGLE = key(codes.POSITIONER_SECONDARY_END_ANGLE)
K_COLUMN_ANGULATION = key(codes.COLUMN_ANGULATION)
K_SOURCE_TO_ISOCENTER = key(codes.DISTANCE_SOURCE_TO_ISOCENTER)
K_SOURCE_TO_DETECTOR = key(codes.DISTANCE_SOURCE_TO_DETECTOR)
K_SOURCE_TO_REFERENCE_POINT = key(codes.DISTANCE_SOURCE_TO_REFERENCE_POINT)
K_SOURCE_TO_TABLE_PLANE = key(codes.DISTANCE_SOURCE_TO_TABLE_PLANE)
K_TABLE_LONGITUDINAL = key(codes.TABLE_LONGITUDINAL_POSITION)
K_TABLE_LATERAL = key(codes.TABLE_LATERAL_POSITION)
K_TABLE_HEIGHT = key(codes.TABLE_HEIGHT_POSITION)
K_TABLE_HEAD_TILT = key(codes.TABLE_HEAD_TILT_ANGLE)
K_TABLE_HORIZONTAL_ROTATION = key(codes.TABLE_HORIZONTAL_ROTATION_ANGLE)
K_TABLE_CRADLE_TILT = key(codes.TABLE_CRADLE_TILT_ANGLE)
K_FIELD_AREA = key(codes.COLLIMATED_FIELD_AREA)
K_FIELD_HEIGHT = key(codes.COLLIMATED_FIELD_HEIGHT)
K_FIELD_WIDTH = key(codes.COLLIMATED_FIELD_WIDTH)
K_FILTERS = key(codes.X_RAY_FILTERS)
K_FILTER_TYPE = key(codes.X_RAY_FILTER_TYPE)
K_FILTER_MATERIAL = key(codes.X_RAY_FILTER_MATERIAL)
K_FILTER_THICKNESS_MIN = key(codes.X_RAY_FILTER_THICKNESS_MINIMUM)
K_FILTER_THICKNESS_MAX = key(codes.X_RAY_FILTER_THICKNESS_MAXIMUM)
K_PATIENT_TABLE_RELATIONSHIP = key(codes.PATIENT_TABLE_RELATIONSHIP)
K_PATIENT_ORIENTATION = key(codes.PATIENT_ORIENTATION)
K_PATIENT_ORIENTATION_MODIFIER = key(codes.PATIENT_ORIENTATION_MODIFIER)
K_PATIENT_EQUIVALENT_THICKNESS = key(codes.PATIENT_EQUIVALENT_THICKNESS)
K_EXPOSURE_INDEX = key(codes.EXPOSURE_INDEX)
K_TARGET_EXPOSURE_INDEX = key(codes.TARGET_EXPOSURE_INDEX)
K_DEVIATION_INDEX = key(codes.DEVIATION_INDEX)
K_AGD = key(codes.AVERAGE_GLANDULAR_DOSE)
K_ENTRANCE_EXPOSURE_AT_RP = key(codes.ENTRANCE_EXPOSURE_AT_RP)
K_COMPRESSION_THICKNESS = key(codes.COMPRESSION_THICKNESS)
K_HALF_VALUE_LAYER = key(codes.HALF_VALUE_LAYER)
K_ANODE_TARGET_MATERIAL = key(codes.ANODE_TARGET_MATERIAL)

#: NUM concepts read into a dedicated field of ProjectionIrradiationEvent
_PROJECTION_NUMS: frozenset[CodeKey] = frozenset(
    {
        K_DAP,
        K_DOSE_RP,
        K_PULSE_RATE,
        K_NUMBER_OF_PULSES,
        K_KVP,
        K_TUBE_CURRENT,
        K_AVERAGE_TUBE_CURRENT,
        K_PULSE_WIDTH,
        K_EXPOSURE_TIME,
        K_EXPOSURE_TIME_RETIRED,
        K_EXPOSURE,
        K_IRRADIATION_DURATION,
        K_FOCAL_SPOT_SIZE,
        K_PRIMARY_ANGLE,
        K_SECONDARY_ANGLE,
        K_PRIMARY_END_ANGLE,
        K_SECONDARY_END_ANGLE,
        K_COLUMN_ANGULATION,
        K_SOURCE_TO_ISOCENTER,
        K_SOURCE_TO_DETECTOR,
        K_SOURCE_TO_REFERENCE_POINT,
        K_SOURCE_TO_TABLE_PLANE,
        K_TABLE_LONGITUDINAL,
        K_TABLE_LATERAL,
        K_TABLE_HEIGHT,
        K_TABLE_HEAD_TILT,
        K_TABLE_HORIZONTAL_ROTATION,
        K_TABLE_CRADLE_TILT,
        K_FIELD_AREA,
        K_FIELD_HEIGHT,
        K_FIELD_WIDTH,
        K_PATIENT_EQUIVALENT_THICKNESS,
        K_EXPOSURE_INDEX,
        K_TARGET_EXPOSURE_INDEX,
        K_DEVIATION_INDEX,
    }
)
#: NUM concepts read into a dedicated field of MammographyIrradiationEvent
_MAMMOGRAPHY_NUMS: frozenset[CodeKey] = frozenset(
    {
        K_AGD,
        K_ENTRANCE_EXPOSURE_AT_RP,
        K_COMPRESSION_THICKNESS,
        K_HALF_VALUE_LAYER,
        K_KVP,
        K_TUBE_CURRENT,
        K_EXPOSURE_TIME,
        K_EXPOSURE_TIME_RETIRED,
        K_EXPOSURE,
        K_PRIMARY_ANGLE,
        K_DAP,
        K_DOSE_RP,
        K_SOURCE_TO_DETECTOR,
    }
)
#: schemes whose NUM items are kept as ``other_measurements`` (private schemes are not)
_STANDARD_SCHEMES = frozenset({"DCM", "SCT", "LN", "UCUM"})


def read_projection_event(
    items: Items, ctx: ParseContext, notes: Notes
) -> ProjectionIrradiationEvent:
    """One TID 10003 container of a fluoroscopy / interventional / radiography report."""
    kap = _dose(items, K_DAP, ctx, to_unit=UNIT_KAP, expect_unit=_DICOM_DAP, mandatory=True)
    dose_rp = _dose(items, K_DOSE_RP, ctx, to_unit=UNIT_DOSE_RP, expect_unit=UNIT_DOSE_RP)
    orientation, modifier = _orientation(items, ctx, notes)
    anatomy, laterality = _anatomy(items, ctx)
    height = items.quantity(K_FIELD_HEIGHT, ctx, to_unit=UNIT_LENGTH, expect_unit=UNIT_LENGTH)
    width = items.quantity(K_FIELD_WIDTH, ctx, to_unit=UNIT_LENGTH, expect_unit=UNIT_LENGTH)
    for concept_key, value in ((K_FIELD_HEIGHT, height), (K_FIELD_WIDTH, width)):
        if value is not None and value.value < 0:
            _implausible(items, concept_key, value, ctx, "a negative collimated field size")
    return ProjectionIrradiationEvent(
        irradiation_event_uid=_uid(items, ctx),
        event_type=_event_type(items, ctx),
        acquisition_plane=_plane(items, ctx),
        datetime_started=_started(items, ctx),
        acquisition_protocol=_protocol(items, ctx),
        anatomical_structure=anatomy,
        laterality=laterality,
        image_view=items.code(K_IMAGE_VIEW, ctx),
        reference_point_definition=_reference_point(items, ctx, notes),
        dose_area_product=kap,
        dose_rp=dose_rp,
        fluoro_mode=items.code(K_FLUORO_MODE, ctx),
        pulse_rate=items.quantity(K_PULSE_RATE, ctx, to_unit="/s", expect_unit="{pulse}/s"),
        number_of_pulses=items.count(K_NUMBER_OF_PULSES, ctx),
        kvp=_per_pulse(items, K_KVP, ctx, notes, to_unit="kV", expect_unit="kV"),
        tube_current=_per_pulse(items, K_TUBE_CURRENT, ctx, notes, to_unit="mA", expect_unit="mA"),
        average_tube_current=items.quantity(
            K_AVERAGE_TUBE_CURRENT, ctx, to_unit="mA", expect_unit="mA"
        ),
        pulse_width=_per_pulse(
            items, K_PULSE_WIDTH, ctx, notes, to_unit=UNIT_TIME, expect_unit="ms"
        ),
        exposure_time=_exposure_time(items, ctx, notes),
        exposure=items.quantity(K_EXPOSURE, ctx, to_unit="mA.s", expect_unit="uA.s"),
        irradiation_duration=items.quantity(
            K_IRRADIATION_DURATION, ctx, to_unit=UNIT_TIME, expect_unit=UNIT_TIME
        ),
        focal_spot_size=_mm(items, K_FOCAL_SPOT_SIZE, ctx),
        positioner_primary_angle=_deg(items, K_PRIMARY_ANGLE, ctx),
        positioner_secondary_angle=_deg(items, K_SECONDARY_ANGLE, ctx),
        positioner_primary_end_angle=_deg(items, K_PRIMARY_END_ANGLE, ctx),
        positioner_secondary_end_angle=_deg(items, K_SECONDARY_END_ANGLE, ctx),
        column_angulation=_deg(items, K_COLUMN_ANGULATION, ctx),
        distance_source_to_isocenter=_mm(items, K_SOURCE_TO_ISOCENTER, ctx),
        distance_source_to_detector=_mm(items, K_SOURCE_TO_DETECTOR, ctx),
        distance_source_to_reference_point=_mm(items, K_SOURCE_TO_REFERENCE_POINT, ctx),
        distance_source_to_table_plane=_mm(items, K_SOURCE_TO_TABLE_PLANE, ctx),
        table_longitudinal_position=_mm(items, K_TABLE_LONGITUDINAL, ctx),
        table_lateral_position=_mm(items, K_TABLE_LATERAL, ctx),
        table_height_position=_mm(items, K_TABLE_HEIGHT, ctx),
        table_head_tilt_angle=_deg(items, K_TABLE_HEAD_TILT, ctx),
        table_horizontal_rotation_angle=_deg(items, K_TABLE_HORIZONTAL_ROTATION, ctx),
        table_cradle_tilt_angle=_deg(items, K_TABLE_CRADLE_TILT, ctx),
        collimated_field_area=items.quantity(
            K_FIELD_AREA, ctx, to_unit="cm2", expect_unit=_DICOM_AREA
        ),
        collimated_field_height=height,
        collimated_field_width=width,
        filters=_filters(items, ctx),
        patient_table_relationship=items.code(K_PATIENT_TABLE_RELATIONSHIP, ctx),
        patient_orientation=orientation,
        patient_orientation_modifier=modifier,
        patient_equivalent_thickness=_mm(items, K_PATIENT_EQUIVALENT_THICKNESS, ctx),
        exposure_index=items.quantity(K_EXPOSURE_INDEX, ctx, to_unit="1", expect_unit="1"),
        target_exposure_index=items.quantity(
            K_TARGET_EXPOSURE_INDEX, ctx, to_unit="1", expect_unit="1"
        ),
        deviation_index=items.quantity(K_DEVIATION_INDEX, ctx, to_unit="1", expect_unit="1"),
        comment=items.text(K_COMMENT),
        other_measurements=_other_measurements(items, _PROJECTION_NUMS, ctx),
    )


def read_mammography_event(
    items: Items, ctx: ParseContext, notes: Notes
) -> MammographyIrradiationEvent:
    """One TID 10003 container of a mammography report (AGD, compression, HVL, target)."""
    agd = _dose(items, K_AGD, ctx, to_unit=UNIT_AGD, expect_unit=UNIT_AGD, mandatory=True)
    anatomy, laterality = _anatomy(items, ctx)
    # Reference Point Definition is read for its finding only (no field for mammography)
    _reference_point(items, ctx, notes)
    return MammographyIrradiationEvent(
        irradiation_event_uid=_uid(items, ctx),
        event_type=_event_type(items, ctx),
        datetime_started=_started(items, ctx),
        acquisition_protocol=_protocol(items, ctx),
        anatomical_structure=anatomy,
        laterality=laterality,
        image_view=items.code(K_IMAGE_VIEW, ctx),
        average_glandular_dose=agd,
        entrance_exposure_at_rp=_dose(
            items, K_ENTRANCE_EXPOSURE_AT_RP, ctx, to_unit="mGy", expect_unit="mGy"
        ),
        compression_thickness=_mm(items, K_COMPRESSION_THICKNESS, ctx),
        half_value_layer=_half_value_layer(items, ctx),
        anode_target_material=items.code(K_ANODE_TARGET_MATERIAL, ctx),
        filters=_filters(items, ctx),
        kvp=_per_pulse(items, K_KVP, ctx, notes, to_unit="kV", expect_unit="kV"),
        tube_current=_per_pulse(items, K_TUBE_CURRENT, ctx, notes, to_unit="mA", expect_unit="mA"),
        exposure_time=_exposure_time(items, ctx, notes),
        exposure=items.quantity(K_EXPOSURE, ctx, to_unit="mA.s", expect_unit="uA.s"),
        positioner_primary_angle=_deg(items, K_PRIMARY_ANGLE, ctx),
        dose_area_product=_dose(items, K_DAP, ctx, to_unit=UNIT_KAP, expect_unit=_DICOM_DAP),
        dose_rp=_dose(items, K_DOSE_RP, ctx, to_unit=UNIT_DOSE_RP, expect_unit=UNIT_DOSE_RP),
        distance_source_to_detector=_mm(items, K_SOURCE_TO_DETECTOR, ctx),
        comment=items.text(K_COMMENT),
        other_measurements=_other_measurements(items, _MAMMOGRAPHY_NUMS, ctx),
    )


# --------------------------------------------------------------------------- items


def _uid(items: Items, ctx: ParseContext) -> str | None:
    item = items.first(K_UID)
    if item is None:
        ctx.add(
            FindingCode.EVENT_UID_MISSING,
            "Irradiation Event UID (DCM:113769) is missing; event kept without identity "
            "(the ledger cannot de-duplicate it by UID)",
            path=items.path,
            concept="DCM:113769",
        )
        return None
    return read_uid(item, ctx)


def _event_type(items: Items, ctx: ParseContext) -> Code | None:
    if not items.has(K_EVENT_TYPE):
        _missing(items, codes.IRRADIATION_EVENT_TYPE, ctx)
        return None
    return items.code(K_EVENT_TYPE, ctx)


def _plane(items: Items, ctx: ParseContext) -> Code | None:
    if not items.has(K_ACQUISITION_PLANE):
        _missing(items, codes.ACQUISITION_PLANE, ctx)
        return None
    return items.code(K_ACQUISITION_PLANE, ctx)


def _started(items: Items, ctx: ParseContext) -> datetime | None:
    return items.date_time(K_DATETIME_STARTED, ctx)


def _protocol(items: Items, ctx: ParseContext) -> str | None:
    item = items.first(K_ACQUISITION_PROTOCOL)
    if item is None:
        return None
    if item.value_type == "CODE":
        code = read_coded(item, ctx)
        return None if code is None else code.meaning
    return read_text(item)


def _anatomy(items: Items, ctx: ParseContext) -> tuple[Code | None, Code | None]:
    """Target Region / Anatomical structure and its Laterality modifier (or a sibling one)."""
    item = items.first(K_TARGET_REGION) or items.first(K_ANATOMICAL_STRUCTURE)
    # mammography sends both Anatomical structure (with laterality) and Target Region
    structure = items.first(K_ANATOMICAL_STRUCTURE)
    laterality_item = _child(structure, K_LATERALITY) if structure is not None else None
    if laterality_item is None and item is not None:
        laterality_item = _child(item, K_LATERALITY)
    if laterality_item is None:
        laterality_item = items.first(K_LATERALITY)
    anatomy = None if item is None else read_coded(item, ctx)
    laterality = None if laterality_item is None else read_coded(laterality_item, ctx)
    return anatomy, laterality


def _orientation(items: Items, ctx: ParseContext, notes: Notes) -> tuple[Code | None, Code | None]:
    item = items.first(K_PATIENT_ORIENTATION)
    if item is None:
        return None, None
    orientation = read_coded(item, ctx)
    modifier_item = _child(item, K_PATIENT_ORIENTATION_MODIFIER)
    if modifier_item is None:
        modifier_item = items.first(K_PATIENT_ORIENTATION_MODIFIER)
        if modifier_item is not None:
            notes.misplaced_orientation_modifier.append(modifier_item.path)
    modifier = None if modifier_item is None else read_coded(modifier_item, ctx)
    return orientation, modifier


def _reference_point(items: Items, ctx: ParseContext, notes: Notes) -> Code | str | None:
    item = items.first(K_REFERENCE_POINT_DEFINITION)
    if item is None:
        return None
    if item.value_type == "TEXT":
        notes.text_reference_points.append(item.path)
    return code_or_text(item, ctx)


def _dose(
    items: Items,
    concept_key: CodeKey,
    ctx: ParseContext,
    *,
    to_unit: str,
    expect_unit: str,
    mandatory: bool = False,
) -> Quantity | None:
    """A dose NUM in its canonical unit; missing mandatory dose is an ERROR finding."""
    item = items.first(concept_key)
    if item is None:
        if mandatory:
            concept = _code_for(concept_key)
            ctx.add(
                FindingCode.TEMPLATE_MISSING_MANDATORY,
                f"mandatory {concept.meaning} ({concept_key[0]}:{concept_key[1]}) is missing "
                "from the irradiation event (TID 10003); the event is kept without it",
                path=items.path,
                concept=f"{concept_key[0]}:{concept_key[1]}",
            )
        return None
    value = items.quantity(concept_key, ctx, to_unit=to_unit, expect_unit=expect_unit)
    if value is not None and value.value < 0:
        _implausible(items, concept_key, value, ctx, "a negative dose")
    return value


def _per_pulse(
    items: Items,
    concept_key: CodeKey,
    ctx: ParseContext,
    notes: Notes,
    *,
    to_unit: str,
    expect_unit: str,
) -> tuple[Quantity, ...]:
    """All values of a TID 10003B item that may be sent per pulse (kVp, mA, pulse width)."""
    found = items.all(concept_key)
    if not found:
        return ()
    out: list[Quantity] = []
    for item in found:
        values = read_quantities(item, ctx, to_unit=to_unit, expect_unit=expect_unit)
        if len(values) > 1:
            notes.per_pulse_values.append(item.path)
        out.extend(values)
    return tuple(out)


def _exposure_time(items: Items, ctx: ParseContext, notes: Notes) -> Quantity | None:
    if items.has(K_EXPOSURE_TIME):
        return items.quantity(K_EXPOSURE_TIME, ctx, to_unit=UNIT_TIME, expect_unit="ms")
    retired = items.first(K_EXPOSURE_TIME_RETIRED)
    if retired is None:
        return None
    notes.retired_exposure_time.append(retired.path)
    return items.quantity(K_EXPOSURE_TIME_RETIRED, ctx, to_unit=UNIT_TIME, expect_unit="ms")


def _half_value_layer(items: Items, ctx: ParseContext) -> Quantity | None:
    """Half Value Layer (111634): TID 10003 sends mm (of aluminium); stored as mm[Al]."""
    item = items.first(K_HALF_VALUE_LAYER)
    if item is None:
        return None
    numbers, unit = read_numbers(item, ctx)
    if not numbers or unit is None:
        return None
    if unit not in ("mm", "mm[Al]"):
        ctx.add(
            FindingCode.UNIT_INCONVERTIBLE,
            f"Half Value Layer in {unit!r} where mm (aluminium) is expected; value not used",
            path=item.path,
            concept=item.concept_str,
        )
        return None
    return Quantity(numbers[0], "mm[Al]")


def _filters(items: Items, ctx: ParseContext) -> tuple[XRayFilter, ...]:
    out: list[XRayFilter] = []
    for container in items.all(K_FILTERS):
        sub = Items(container)
        out.append(
            XRayFilter(
                filter_type=sub.code(K_FILTER_TYPE, ctx),
                material=sub.code(K_FILTER_MATERIAL, ctx),
                thickness_minimum=_mm(sub, K_FILTER_THICKNESS_MIN, ctx),
                thickness_maximum=_mm(sub, K_FILTER_THICKNESS_MAX, ctx),
            )
        )
    return tuple(out)


def _other_measurements(
    items: Items, known: frozenset[CodeKey], ctx: ParseContext
) -> tuple[Measurement, ...]:
    """Standard NUM items of the event without a dedicated field, kept as sent."""
    out: list[Measurement] = []
    for child in items.parent.children:
        if (
            child.value_type != "NUM"
            or child.concept in known
            or child.concept[0] not in _STANDARD_SCHEMES
        ):
            continue
        numbers, unit = read_numbers(child, ctx)
        value = None
        if numbers and unit is not None and is_known_unit(unit):
            value = Quantity(numbers[0], unit)
        out.append(Measurement(_code_for_item(child), value, child.path))
    return tuple(out)


# --------------------------------------------------------------------------- helpers


def _mm(items: Items, concept_key: CodeKey, ctx: ParseContext) -> Quantity | None:
    return items.quantity(concept_key, ctx, to_unit=UNIT_LENGTH, expect_unit=UNIT_LENGTH)


def _deg(items: Items, concept_key: CodeKey, ctx: ParseContext) -> Quantity | None:
    return items.quantity(concept_key, ctx, to_unit=_DEG, expect_unit=_DEG)


def _child(item: ContentItem, concept_key: CodeKey) -> ContentItem | None:
    for child in item.children:
        if child.concept == concept_key:
            return child
    return None


def _missing(items: Items, concept: Code, ctx: ParseContext) -> None:
    scheme, value = key(concept)
    ctx.add(
        FindingCode.TEMPLATE_MISSING_ITEM,
        f"mandatory {concept.meaning} ({scheme}:{value}) is missing from the irradiation "
        "event (TID 10003); left empty",
        path=items.path,
        concept=f"{scheme}:{value}",
    )


def _implausible(
    items: Items, concept_key: CodeKey, value: Quantity, ctx: ParseContext, what: str
) -> None:
    item = items.first(concept_key)
    ctx.add(
        FindingCode.VALUE_IMPLAUSIBLE,
        f"{value} is {what}; value kept as sent",
        path=None if item is None else item.path,
        concept=f"{concept_key[0]}:{concept_key[1]}",
    )


_MEANINGS: dict[CodeKey, str] = {
    K_DAP: codes.DOSE_AREA_PRODUCT.meaning,
    K_AGD: codes.AVERAGE_GLANDULAR_DOSE.meaning,
    K_DOSE_RP: codes.DOSE_RP.meaning,
}


def _code_for(concept_key: CodeKey) -> Code:
    return Code(concept_key[1], concept_key[0], _MEANINGS.get(concept_key, concept_key[1]))


def _code_for_item(item: ContentItem) -> Code:
    seq = item.dataset.get("ConceptNameCodeSequence")
    meaning = str(seq[0].get("CodeMeaning", "") or "") if seq else ""
    return Code(item.concept[1], item.concept[0], meaning or item.concept[1])
