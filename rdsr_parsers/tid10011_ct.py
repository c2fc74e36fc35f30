"""TID 10011 CT Radiation Dose: CT irradiation events and accumulated dose.

Reads TID 10012 CT Accumulated Dose Data, TID 10013 CT Irradiation Event Data (one per
CT Acquisition container), TID 10014 CT Acquisition Parameters with its CT X-Ray Source
Parameters (:mod:`rdsr_parsers.tid10014_ct_parameters`), TID 10015 CT Dose Check Details
(:mod:`rdsr_parsers.tid10015_dose_check`) and the size-specific items (SSDE 113930, Water
Equivalent Diameter 113980, Derived Effective Diameter 113933, Measurement Method CID
10023). The same reader serves X-Ray Radiation Dose SR, Enhanced X-Ray Radiation Dose SR
and GE CT reports sent as Enhanced SR.

Accumulated totals are kept as reported; event sums are only compared with them. The
effective dose a device reports is kept apart from any estimate of ours. Each container
is looked up through its direct children only: the tree built by the dispatcher is never
walked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey, code_key, code_str, same
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_CTDIVOL,
    UNIT_DLP,
    UNIT_EFFECTIVE_DOSE,
    UNIT_LENGTH,
    CtAccumulatedDose,
    CtIrradiationEvent,
    DoseCheckDetails,
    DoseModality,
    DoseReport,
    Measurement,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import quirks
from rdsr_parsers.common import SrDocument
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import (
    ContentItem,
    count_of,
    datetime_of,
    num_of,
    read_code,
    read_quantity,
    read_text,
    require,
    require_event_uid,
)
from rdsr_parsers.tid10014_ct_parameters import (
    CtAcquisitionParameters,
    modulation_type,
    other_numbers,
    read_acquisition_parameters,
    text_child,
)
from rdsr_parsers.tid10015_dose_check import read_dose_check_details
from rdsr_parsers.values import as_text

#: Relative difference between the DLP total and the event sum reported as a finding.
TOTALS_TOLERANCE = 0.005

UNIT_CTDI_PER_CHARGE = "mGy/mA.s"
UNIT_E_PER_DLP = "mSv/(mGy.cm)"

_K_IRRADIATION_EVENT_UID = code_key(codes.IRRADIATION_EVENT_UID)

_DOSE_KEYS: frozenset[CodeKey] = frozenset(
    code_key(c)
    for c in (
        codes.MEAN_CTDIVOL,
        codes.DLP,
        codes.MEAN_CTDIFREEAIR,
        codes.CTDIFREEAIR_CALCULATION_FACTOR,
        codes.EFFECTIVE_DOSE,
        codes.EFFECTIVE_DOSE_CONVERSION_FACTOR,
        codes.SIZE_SPECIFIC_DOSE_ESTIMATE,
        codes.WATER_EQUIVALENT_DIAMETER,
        codes.DERIVED_EFFECTIVE_DIAMETER,
    )
)


def read_ct_report(document: SrDocument, ctx: ParseContext) -> DoseReport:
    """The DoseReport of a TID 10011 CT Radiation Dose document (modality CT)."""
    root = document.root
    acquisitions = root.all(codes.CT_ACQUISITION)
    accumulated_item = root.first(codes.CT_ACCUMULATED_DOSE_DATA)
    if not acquisitions and accumulated_item is None:
        raise MissingMandatoryItemError(
            "TID 10011 CT Radiation Dose report has neither a CT Acquisition (DCM:113819) "
            "nor CT Accumulated Dose Data (DCM:113811): no dose information",
            content_path="root",
            concept=code_str(codes.CT_ACQUISITION),
        )
    accumulated = None
    if accumulated_item is None:
        require(root, codes.CT_ACCUMULATED_DOSE_DATA, ctx, what="CT Accumulated Dose Data")
    else:
        accumulated = _read_accumulated(accumulated_item, ctx)
    if not acquisitions:
        ctx.add(
            FindingCode.CT_NO_ACQUISITIONS,
            "report holds CT Accumulated Dose Data but no CT Acquisition; totals only",
            path="root",
        )
    events = tuple(_read_event(item, ctx) for item in acquisitions)
    _check_events(events, acquisitions, ctx)
    if accumulated is not None:
        _compare_totals(accumulated, events, ctx)
    return document.report(DoseModality.CT, events=events, ct_accumulated=accumulated)


# ------------------------------------------------------------------ TID 10012 accumulated


def _read_accumulated(container: ContentItem, ctx: ParseContext) -> CtAccumulatedDose:
    """CT Accumulated Dose Data (TID 10012), values as the object states them."""
    count_item = require(
        container,
        codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS,
        ctx,
        what="Total Number of Irradiation Events",
    )
    dlp_item = require(
        container, codes.CT_DOSE_LENGTH_PRODUCT_TOTAL, ctx, what="CT Dose Length Product Total"
    )
    effective_item = container.first(codes.CT_EFFECTIVE_DOSE_TOTAL)
    effective = authority = None
    if effective_item is not None:
        effective = read_quantity(
            effective_item, ctx, to_unit=UNIT_EFFECTIVE_DOSE, expect_unit=UNIT_EFFECTIVE_DOSE
        )
        authority_item = effective_item.first(codes.REFERENCE_AUTHORITY) or container.first(
            codes.REFERENCE_AUTHORITY
        )
        if authority_item is not None:
            authority = _code_ortext_child(authority_item, ctx)
    return CtAccumulatedDose(
        total_number_of_irradiation_events=(
            None
            if count_item is None
            else count_of(container, codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS, ctx)
        ),
        dlp_total=(
            None
            if dlp_item is None
            else _dose(dlp_item, ctx, to_unit=UNIT_DLP, what="CT Dose Length Product Total")
        ),
        effective_dose_total=effective,
        effective_dose_reference_authority=authority,
        comment=text_child(container, codes.COMMENT),
    )


def _compare_totals(
    accumulated: CtAccumulatedDose, events: tuple[CtIrradiationEvent, ...], ctx: ParseContext
) -> None:
    count = accumulated.total_number_of_irradiation_events
    if count is not None and count != len(events):
        ctx.add(
            FindingCode.TOTALS_EVENT_COUNT_DIFFERS,
            f"Total Number of Irradiation Events states {count}, the report holds "
            f"{len(events)} CT Acquisition containers",
            concept=code_str(codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS),
        )
    total = accumulated.dlp_total
    if total is None or not events:
        return
    event_sum = sum(e.dlp.value for e in events if e.dlp is not None)
    scale = max(abs(total.value), abs(event_sum))
    if scale > 0 and abs(total.value - event_sum) > TOTALS_TOLERANCE * scale:
        ctx.add(
            FindingCode.TOTALS_DIFFER_FROM_EVENTS,
            f"CT Dose Length Product Total {total.value:g} {UNIT_DLP} differs from the sum of "
            f"event DLPs {event_sum:g} {UNIT_DLP} by more than {TOTALS_TOLERANCE:.1%}; "
            "both kept, the total as reported",
            concept=code_str(codes.CT_DOSE_LENGTH_PRODUCT_TOTAL),
        )


# ------------------------------------------------------------------ TID 10013 events


@dataclass(frozen=True, slots=True)
class _Size:
    """Size-specific items (SSDE, water-equivalent and effective diameter)."""

    ssde: Quantity | None = None
    ssde_method: Code | None = None
    water_equivalent_diameter: Quantity | None = None
    derived_effective_diameter: Quantity | None = None


def _read_event(acquisition: ContentItem, ctx: ParseContext) -> CtIrradiationEvent:
    """One CT Acquisition container (TID 10013)."""
    uid = require_event_uid(acquisition, codes.IRRADIATION_EVENT_UID, ctx)
    acquisition_type = _acquisition_type(acquisition, ctx)
    localizer = same(acquisition_type, codes.CONSTANT_ANGLE_ACQUISITION)
    params_item = acquisition.first(codes.CT_ACQUISITION_PARAMETERS)
    if params_item is None:
        _missing(
            ctx, acquisition, codes.CT_ACQUISITION_PARAMETERS, "acquisition parameters unknown"
        )
        params = CtAcquisitionParameters()
    else:
        params = read_acquisition_parameters(params_item, ctx)
    modulation = params.xray_modulation_type or modulation_type(acquisition, ctx)

    dose_item = acquisition.first(codes.CT_DOSE)
    ctdivol = dlp = ctdifreeair = ctdi_factor = effective = effective_factor = None
    phantom: Code | None = None
    alerts: tuple[DoseCheckDetails, ...] = ()
    dose_other: tuple[Measurement, ...] = ()
    size = _Size()
    if dose_item is None:
        if not localizer:
            # MC: CT Dose is required unless the acquisition is a localizer
            require(acquisition, codes.CT_DOSE, ctx, what="CT Dose container (not a localizer)")
    else:
        ctdivol_item = require(dose_item, codes.MEAN_CTDIVOL, ctx, what="Mean CTDIvol")
        if ctdivol_item is not None:
            ctdivol = _dose(ctdivol_item, ctx, to_unit=UNIT_CTDIVOL, what="Mean CTDIvol")
        dlp_item = require(dose_item, codes.DLP, ctx, what="DLP")
        if dlp_item is not None:
            dlp = _dose(dlp_item, ctx, to_unit=UNIT_DLP, what="DLP")
        phantom_item = dose_item.first(codes.CTDIW_PHANTOM_TYPE)
        if phantom_item is None:
            _missing(ctx, dose_item, codes.CTDIW_PHANTOM_TYPE, "16/32 cm phantom unknown")
        else:
            phantom = read_code(phantom_item, ctx)
        ctdifreeair = num_of(
            dose_item, codes.MEAN_CTDIFREEAIR, ctx, to_unit=UNIT_CTDIVOL, expect_unit=UNIT_CTDIVOL
        )
        ctdi_factor = num_of(
            dose_item, codes.CTDIFREEAIR_CALCULATION_FACTOR, ctx, to_unit=UNIT_CTDI_PER_CHARGE
        )
        effective, effective_factor = _effective_dose(dose_item, ctx)
        alerts = read_dose_check_details(dose_item, ctx)
        dose_other = other_numbers(dose_item, _DOSE_KEYS, ctx)
        size = _read_size(dose_item, ctx)
    if size.ssde is None and size.water_equivalent_diameter is None and params_item is not None:
        size = _read_size(params_item, ctx)

    return CtIrradiationEvent(
        irradiation_event_uid=uid,
        acquisition_type=acquisition_type,
        acquisition_protocol=text_child(acquisition, codes.ACQUISITION_PROTOCOL),
        target_region=_target_region(acquisition, ctx),
        datetime_started=datetime_of(acquisition, codes.DATETIME_STARTED, ctx),
        ctdivol=ctdivol,
        ctdiw_phantom_type=phantom,
        dlp=dlp,
        mean_ctdifreeair=ctdifreeair,
        ctdifreeair_calculation_factor=ctdi_factor,
        scanning_length=params.scanning_length,
        exposed_range=params.exposed_range,
        nominal_single_collimation_width=params.nominal_single_collimation_width,
        nominal_total_collimation_width=params.nominal_total_collimation_width,
        pitch_factor=params.pitch_factor,
        exposure_time=params.exposure_time,
        number_of_xray_sources=params.number_of_xray_sources,
        xray_sources=params.xray_sources,
        xray_modulation_type=modulation,
        ssde=size.ssde,
        water_equivalent_diameter=size.water_equivalent_diameter,
        derived_effective_diameter=size.derived_effective_diameter,
        ssde_method=size.ssde_method,
        reported_effective_dose=effective,
        reported_effective_dose_conversion_factor=effective_factor,
        dose_check_alerts=alerts,
        comment=text_child(acquisition, codes.COMMENT),
        other_measurements=params.other + dose_other,
    )


def _acquisition_type(acquisition: ContentItem, ctx: ParseContext) -> Code | None:
    item = acquisition.first(codes.CT_ACQUISITION_TYPE)
    if item is None:
        _missing(ctx, acquisition, codes.CT_ACQUISITION_TYPE, "localizer or scan unknown")
        return None
    return read_code(item, ctx)


def _target_region(acquisition: ContentItem, ctx: ParseContext) -> Code | None:
    """Target Region (123014, CID 4030); missing or empty -> WARNING and None."""
    item = acquisition.first(codes.TARGET_REGION)
    if item is None:
        _missing(ctx, acquisition, codes.TARGET_REGION, "target region unknown")
        return None
    if (
        not item.dataset.get("ConceptCodeSequence")
        and as_text(item.dataset.get("TextValue")) is None
    ):
        quirk = quirks.lookup(
            "empty_target_region", code_str(codes.TARGET_REGION) or "", ctx.manufacturer, ctx.model
        )
        note = f" (quirk {quirk.quirk_id})" if quirk is not None else ""
        ctx.add(
            FindingCode.VALUE_EMPTY_CODE,
            f"Target Region CODE item without a coded value; target region unknown{note}",
            path=item.path,
            concept=code_str(codes.TARGET_REGION),
        )
        return None
    return read_code(item, ctx)


def _effective_dose(
    dose_item: ContentItem, ctx: ParseContext
) -> tuple[Quantity | None, Quantity | None]:
    """Effective Dose (113839) as reported by the device, and its conversion factor."""
    item = dose_item.first(codes.EFFECTIVE_DOSE)
    if item is None:
        return None, None
    value = read_quantity(item, ctx, to_unit=UNIT_EFFECTIVE_DOSE, expect_unit=UNIT_EFFECTIVE_DOSE)
    factor_item = item.first(codes.EFFECTIVE_DOSE_CONVERSION_FACTOR) or dose_item.first(
        codes.EFFECTIVE_DOSE_CONVERSION_FACTOR
    )
    factor = None
    if factor_item is not None:
        factor = read_quantity(factor_item, ctx, to_unit=UNIT_E_PER_DLP)
    return value, factor


def _read_size(container: ContentItem, ctx: ParseContext) -> _Size:
    """SSDE (113930) with its Measurement Method (CID 10023) and the diameters it used.

    The diameters are read below the SSDE item (INFERRED FROM) or beside it.
    """
    ssde_item = container.first(codes.SIZE_SPECIFIC_DOSE_ESTIMATE)
    ssde = method = None
    scopes = [container]
    if ssde_item is not None:
        ssde = read_quantity(ssde_item, ctx, to_unit=UNIT_CTDIVOL, expect_unit=UNIT_CTDIVOL)
        method_item = ssde_item.first(codes.MEASUREMENT_METHOD)
        if method_item is not None:
            method = read_code(method_item, ctx)
        scopes.insert(0, ssde_item)
    diameters: list[Quantity | None] = []
    for concept in (codes.WATER_EQUIVALENT_DIAMETER, codes.DERIVED_EFFECTIVE_DIAMETER):
        value = None
        for scope in scopes:
            found = scope.first(concept)
            if found is not None:
                value = read_quantity(found, ctx, to_unit=UNIT_LENGTH, expect_unit=UNIT_LENGTH)
                break
        diameters.append(value)
    return _Size(ssde, method, diameters[0], diameters[1])


# ------------------------------------------------------------------ small readers


def _dose(item: ContentItem, ctx: ParseContext, *, to_unit: str, what: str) -> Quantity | None:
    """A dose indicator: canonical unit, WARNING when present but unusable or negative."""
    value = read_quantity(item, ctx, to_unit=to_unit, expect_unit=to_unit)
    if value is None:
        ctx.add(
            FindingCode.VALUE_UNAVAILABLE,
            f"{what} present without a usable value; the event keeps no {what}",
            path=item.path,
            concept=item.concept_str,
        )
    elif value.value < 0:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"negative {what} {value.value:g} {to_unit}; kept as sent",
            path=item.path,
            concept=item.concept_str,
        )
    return value


def _code_ortext_child(item: ContentItem, ctx: ParseContext) -> Code | str | None:
    """A TEXT or CODE item (e.g. Reference Authority, where the template allows both)."""
    if item.value_type == "TEXT":
        return read_text(item)
    return read_code(item, ctx)


def _missing(ctx: ParseContext, parent: ContentItem, concept: Code, consequence: str) -> None:
    """A mandatory item whose absence loses no dose value: WARNING naming it and its path."""
    ctx.add(
        FindingCode.TEMPLATE_MISSING_ITEM,
        f"mandatory {concept.meaning} ({code_str(concept)}) is missing; {consequence}",
        path=parent.path or "root",
        concept=code_str(concept),
    )


def _check_events(
    events: tuple[CtIrradiationEvent, ...], acquisitions: list[ContentItem], ctx: ParseContext
) -> None:
    """Report-level checks: duplicate event UIDs, localizers recorded without dose."""
    seen: set[str] = set()
    for event, item in zip(events, acquisitions, strict=True):
        uid = event.irradiation_event_uid
        if uid is None:
            continue
        if uid in seen:
            uid_item = item.first(codes.IRRADIATION_EVENT_UID)
            ctx.add(
                FindingCode.CT_DUPLICATE_EVENT_UID,
                f"Irradiation Event UID {uid} repeated within the report; both events kept",
                path=item.path if uid_item is None else uid_item.path,
                concept=f"{_K_IRRADIATION_EVENT_UID[0]}:{_K_IRRADIATION_EVENT_UID[1]}",
            )
        seen.add(uid)
    localizers = sum(
        1
        for event in events
        if event.ctdivol is None
        and event.dlp is None
        and same(event.acquisition_type, codes.CONSTANT_ANGLE_ACQUISITION)
    )
    if localizers:
        ctx.add(
            FindingCode.CT_LOCALIZER_WITHOUT_DOSE,
            f"{localizers} localizer event(s) (Constant Angle Acquisition) without CT Dose "
            "values, as TID 10013 allows",
            concept=code_str(codes.CONSTANT_ANGLE_ACQUISITION),
        )
