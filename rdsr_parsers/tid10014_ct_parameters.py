"""TID 10014 CT Acquisition Parameters and CT X-Ray Source Parameters (DCM 113822/113831).

Also holds the small item readers shared by the CT templates (unmapped NUM items kept as
:class:`~dosewatch.domain.report.Measurement`, X-Ray Modulation Type, TEXT children).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey, code_key, code_str
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import UNIT_LENGTH, UNIT_TIME, CtXRaySource, Measurement
from dosewatch.domain.units import Quantity
from rdsr_parsers import quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import ContentItem, count_of, num_of, read_code, read_numbers, read_text
from rdsr_parsers.values import as_text

#: One CT irradiation event longer than this is not credible (a helical 4DCT takes ~2 min).
EXPOSURE_TIME_LIMIT_S = 600.0

UNIT_KV = "kV"
UNIT_MA = "mA"
UNIT_RATIO = "{ratio}"

#: Items read into dedicated fields; the other NUM items are kept as Measurement.
PARAMETER_KEYS: frozenset[CodeKey] = frozenset(
    code_key(c)
    for c in (
        codes.CT_EXPOSURE_TIME,
        codes.SCANNING_LENGTH,
        codes.EXPOSED_RANGE,
        codes.NOMINAL_SINGLE_COLLIMATION_WIDTH,
        codes.NOMINAL_TOTAL_COLLIMATION_WIDTH,
        codes.PITCH_FACTOR,
        codes.NUMBER_OF_X_RAY_SOURCES,
        codes.SIZE_SPECIFIC_DOSE_ESTIMATE,
        codes.WATER_EQUIVALENT_DIAMETER,
        codes.DERIVED_EFFECTIVE_DIAMETER,
    )
)
#: Items of type M whose absence is recorded (INFO: no dose value depends on them).
_MANDATORY_PARAMETERS = (
    codes.CT_EXPOSURE_TIME,
    codes.SCANNING_LENGTH,
    codes.NOMINAL_SINGLE_COLLIMATION_WIDTH,
    codes.NOMINAL_TOTAL_COLLIMATION_WIDTH,
    codes.NUMBER_OF_X_RAY_SOURCES,
    codes.CT_X_RAY_SOURCE_PARAMETERS,
)


@dataclass(frozen=True, slots=True)
class CtAcquisitionParameters:
    """CT Acquisition Parameters (TID 10014) of one event."""

    exposure_time: Quantity | None = None  # s
    scanning_length: Quantity | None = None  # mm
    exposed_range: Quantity | None = None  # mm
    nominal_single_collimation_width: Quantity | None = None  # mm
    nominal_total_collimation_width: Quantity | None = None  # mm
    pitch_factor: Quantity | None = None  # {ratio}
    number_of_xray_sources: int | None = None
    xray_sources: tuple[CtXRaySource, ...] = ()
    xray_modulation_type: str | None = None
    other: tuple[Measurement, ...] = ()


def read_acquisition_parameters(
    container: ContentItem, ctx: ParseContext
) -> CtAcquisitionParameters:
    """CT Acquisition Parameters (TID 10014) and its CT X-Ray Source Parameters."""
    missing = [c for c in _MANDATORY_PARAMETERS if container.first(c) is None]
    if missing:
        names = ", ".join(f"{code_str(c)} {c.meaning}" for c in missing)
        ctx.add(
            FindingCode.TEMPLATE_MISSING_PARAMETER,
            f"CT Acquisition Parameters without {names}",
            path=container.path,
            concept=code_str(codes.CT_ACQUISITION_PARAMETERS),
        )
    exposure_time = _num(container, codes.CT_EXPOSURE_TIME, UNIT_TIME, ctx)
    if exposure_time is not None and exposure_time.value > EXPOSURE_TIME_LIMIT_S:
        _implausible_exposure_time(container, exposure_time, ctx)
    sources = tuple(
        _read_source(item, ctx) for item in container.all(codes.CT_X_RAY_SOURCE_PARAMETERS)
    )
    count = count_of(container, codes.NUMBER_OF_X_RAY_SOURCES, ctx)
    if count is not None and sources and count != len(sources):
        ctx.add(
            FindingCode.CT_SOURCE_COUNT_MISMATCH,
            f"Number of X-Ray Sources states {count} but {len(sources)} CT X-Ray Source "
            "Parameters containers are present; both kept",
            path=container.path,
            concept=code_str(codes.NUMBER_OF_X_RAY_SOURCES),
        )
    return CtAcquisitionParameters(
        exposure_time=exposure_time,
        scanning_length=_num(container, codes.SCANNING_LENGTH, UNIT_LENGTH, ctx),
        exposed_range=_num(container, codes.EXPOSED_RANGE, UNIT_LENGTH, ctx),
        nominal_single_collimation_width=_num(
            container, codes.NOMINAL_SINGLE_COLLIMATION_WIDTH, UNIT_LENGTH, ctx
        ),
        nominal_total_collimation_width=_num(
            container, codes.NOMINAL_TOTAL_COLLIMATION_WIDTH, UNIT_LENGTH, ctx
        ),
        pitch_factor=num_of(container, codes.PITCH_FACTOR, ctx, to_unit=UNIT_RATIO),
        number_of_xray_sources=count,
        xray_sources=sources,
        xray_modulation_type=modulation_type(container, ctx),
        other=other_numbers(container, PARAMETER_KEYS, ctx),
    )


def _read_source(container: ContentItem, ctx: ParseContext) -> CtXRaySource:
    """One CT X-Ray Source Parameters container (113831)."""
    return CtXRaySource(
        identification=text_child(container, codes.IDENTIFICATION_OF_THE_X_RAY_SOURCE),
        kvp=_num(container, codes.KVP, UNIT_KV, ctx),
        maximum_tube_current=_num(container, codes.MAXIMUM_X_RAY_TUBE_CURRENT, UNIT_MA, ctx),
        tube_current=_num(container, codes.X_RAY_TUBE_CURRENT, UNIT_MA, ctx),
        exposure_time_per_rotation=_num(
            container, codes.EXPOSURE_TIME_PER_ROTATION, UNIT_TIME, ctx
        ),
    )


def _implausible_exposure_time(
    container: ContentItem, exposure_time: Quantity, ctx: ParseContext
) -> None:
    item = container.first(codes.CT_EXPOSURE_TIME)
    quirk = quirks.lookup(
        "ct_exposure_time_ms", code_str(codes.CT_EXPOSURE_TIME) or "", ctx.manufacturer, ctx.model
    )
    note = f" (quirk {quirk.quirk_id})" if quirk is not None else ""
    ctx.add(
        FindingCode.VALUE_IMPLAUSIBLE,
        f"Exposure Time {exposure_time.value:g} s exceeds {EXPOSURE_TIME_LIMIT_S:g} s, not "
        f"credible for one CT irradiation event (probably ms sent as s){note}; kept as sent",
        path=None if item is None else item.path,
        concept=code_str(codes.CT_EXPOSURE_TIME),
    )


def _num(container: ContentItem, concept: Code, unit: str, ctx: ParseContext) -> Quantity | None:
    """A NUM child in ``unit``, which is also the unit the template prescribes."""
    return num_of(container, concept, ctx, to_unit=unit, expect_unit=unit)


# ------------------------------------------------------------------ shared CT readers


def other_numbers(
    container: ContentItem, known: frozenset[CodeKey], ctx: ParseContext
) -> tuple[Measurement, ...]:
    """NUM children without a dedicated field, kept with their unit as sent."""
    out: list[Measurement] = []
    for item in container.children:
        if item.value_type != "NUM" or item.concept in known:
            continue
        numbers, unit = read_numbers(item, ctx)
        value = Quantity(numbers[0], unit) if numbers and unit is not None else None
        name = item.dataset.get("ConceptNameCodeSequence")
        meaning = (as_text(name[0].get("CodeMeaning")) if name else None) or item.concept[1]
        out.append(Measurement(Code(item.concept[1], item.concept[0], meaning), value, item.path))
    return tuple(out)


def modulation_type(container: ContentItem, ctx: ParseContext) -> str | None:
    """X-Ray Modulation Type (113842): TEXT, or a CODE kept by its meaning for display."""
    item = container.first(codes.X_RAY_MODULATION_TYPE)
    if item is None:
        return None
    if item.value_type == "CODE":
        code = read_code(item, ctx)
        return None if code is None else code.meaning
    return read_text(item)


def text_child(container: ContentItem, concept: Code) -> str | None:
    """The text of the first TEXT child with this concept, or None."""
    item = container.first(concept)
    return None if item is None else read_text(item)
