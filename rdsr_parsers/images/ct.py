"""CT dose in image headers: CT images and the legacy Philips CT Dose Info Secondary Capture.

* CT Image / Enhanced CT Image: CTDIvol (0018,9345) (top level, or in the CT Exposure
  Sequence (0018,9321) of the shared / first per-frame functional group) is one
  :class:`CtIrradiationEvent`. Its identity is the Irradiation Event UID (0008,3010), else
  a UID derived from (Study, Series, Acquisition Number, CTDIvol) so that every slice of
  one acquisition names the same event.
* Philips "Dose Info" Secondary Capture (quirk IH01): one event per item of the Exposure
  Dose Sequence (0040,030E) with CTDIvol, scan length, kV, mA, collimation and pitch; the
  DLP per exposure and the total DLP exist only in the private element (00E1,xx21) of
  the ELSCINT1 private creator block, read through that block. The report is a
  VENDOR_SUMMARY with the total as CT accumulated dose.
"""

from __future__ import annotations

import math

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_CTDIVOL,
    UNIT_DLP,
    UNIT_LENGTH,
    UNIT_TIME,
    CtAccumulatedDose,
    CtIrradiationEvent,
    CtXRaySource,
    DoseModality,
    DoseReport,
    SourceKind,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import quirks
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import attributes as attr
from rdsr_parsers.images.common import read_facts
from rdsr_parsers.images.dx import EXPOSURE_TIME_ATTRIBUTES, TUBE_CURRENT_ATTRIBUTES
from rdsr_parsers.images.identity import derived_uid

#: Acquisition Type (0018,9302) defined terms -> CID 10013 CT Acquisition Type
ACQUISITION_TYPES: dict[str, Code] = {
    "SPIRAL": codes.SPIRAL_ACQUISITION,
    "SEQUENCED": codes.SEQUENCED_ACQUISITION,
    "CONSTANT_ANGLE": codes.CONSTANT_ANGLE_ACQUISITION,
    "STATIONARY": codes.CT_STATIONARY_ACQUISITION,
    "FREE": codes.FREE_ACQUISITION,
}
_CTDIVOL_TAG = 0x00189345
_EXPOSURE_DOSE_SEQUENCE_TAG = 0x0040030E
_PRIVATE_DLP_QUIRK_KIND = "private_dose_element"
#: rounding tolerance between the total DLP and the sum of event DLPs (mGy.cm)
_DLP_ROUNDING = 0.05


# --------------------------------------------------------------------------- CT image


def read_ct_image_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """A CT or Enhanced CT image header with CTDIvol as one CT irradiation event."""
    source = _exposure_dataset(ds)
    ctdivol = attr.quantity(source, "CTDIvol", UNIT_CTDIVOL, ctx)
    if ctdivol is None:
        raise NotADoseObjectError("CT image without dose attributes (no CTDIvol (0018,9345))")
    facts = read_facts(ds, ctx)
    uid = attr.text(ds, "IrradiationEventUID")
    if uid is None:
        uid = derived_uid(
            "CT_IMAGE_ACQUISITION",
            facts.study.study_instance_uid,
            facts.study.series_instance_uid,
            attr.text(ds, "AcquisitionNumber"),
            ctdivol.value,
        )
        ctx.add(
            FindingCode.IDENTITY_DERIVED_EVENT_UID,
            f"no Irradiation Event UID (0008,3010); derived {uid} from study, series, "
            "acquisition number and CTDIvol (shared by the slices of one acquisition)",
            path="(0008,3010)",
        )
    event = CtIrradiationEvent(
        irradiation_event_uid=uid.split("\\")[0],
        acquisition_type=_acquisition_type(ds, ctx),
        acquisition_protocol=attr.text(ds, "ProtocolName"),
        datetime_started=facts.started,
        ctdivol=ctdivol,
        ctdiw_phantom_type=attr.code_in(source, "CTDIPhantomTypeCodeSequence", ctx),
        nominal_single_collimation_width=_mm(ds, "SingleCollimationWidth", ctx),
        nominal_total_collimation_width=_mm(ds, "TotalCollimationWidth", ctx),
        pitch_factor=attr.quantity(ds, "SpiralPitchFactor", "{ratio}", ctx),
        exposure_time=attr.first_quantity(source, EXPOSURE_TIME_ATTRIBUTES, UNIT_TIME, ctx),
        xray_sources=(_source(ds, ctx),),
        xray_modulation_type=attr.text(ds, "ExposureModulationType"),
    )
    return facts.report(DoseModality.CT, events=(event,))


def _exposure_dataset(ds: Dataset) -> Dataset:
    """Where CTDIvol lives: top level, else the CT Exposure functional group."""
    if "CTDIvol" in ds:
        return ds
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        seq = ds.get(groups)
        if not seq:
            continue
        exposure = seq[0].get("CTExposureSequence")
        if exposure:
            item: Dataset = exposure[0]
            return item
    return ds


def _mm(ds: Dataset, keyword: str, ctx: ParseContext) -> Quantity | None:
    return attr.quantity(ds, keyword, UNIT_LENGTH, ctx)


def _source(ds: Dataset, ctx: ParseContext) -> CtXRaySource:
    return CtXRaySource(
        kvp=attr.quantity(ds, "KVP", "kV", ctx),
        tube_current=attr.first_quantity(ds, TUBE_CURRENT_ATTRIBUTES, "mA", ctx),
    )


def _acquisition_type(ds: Dataset, ctx: ParseContext) -> Code | None:
    term = attr.text(ds, "AcquisitionType")
    if term is None:
        return None
    code = ACQUISITION_TYPES.get(term.upper())
    if code is None:
        ctx.add(
            FindingCode.CODE_UNMAPPED_TEXT,
            f"Acquisition Type {term[:24]!r} has no CID 10013 code",
            path="(0018,9302)",
        )
    return code


# --------------------------------------------------------------------------- Philips SC


def read_dose_info_secondary_capture(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """A vendor CT dose screen as Secondary Capture with an Exposure Dose Sequence."""
    items = list(ds.get("ExposureDoseSequence") or ())
    if not items or not any("CTDIvol" in item for item in items):
        raise NotADoseObjectError(
            "secondary capture image without dose attributes (no Exposure Dose Sequence "
            "(0040,030E) with CTDIvol)"
        )
    facts = read_facts(ds, ctx)
    sop_uid = facts.study.sop_instance_uid
    ctx.add(
        FindingCode.IDENTITY_DERIVED_EVENT_UID,
        "dose screen exposures have no Irradiation Event UID; each is identified by a UID "
        "derived from the SOP Instance UID and its position in the Exposure Dose Sequence",
        path=attr.tag_str(_EXPOSURE_DOSE_SEQUENCE_TAG),
    )
    events = tuple(
        _exposure_event(item, index, sop_uid, ctx) for index, item in enumerate(items, 1)
    )
    total = _private_dlp(ds, ctx, path="(00E1,xx21)")
    count = attr.number(ds, "TotalNumberOfExposures", ctx)
    accumulated = CtAccumulatedDose(
        total_number_of_irradiation_events=len(items) if count is None else round(count),
        dlp_total=total,
        comment=attr.text(ds, "CommentsOnRadiationDose"),
    )
    _compare_totals(total, events, ctx)
    return facts.report(
        DoseModality.CT,
        source_kind=SourceKind.VENDOR_SUMMARY,
        events=events,
        ct_accumulated=accumulated,
    )


def _exposure_event(
    item: Dataset, index: int, sop_uid: str, ctx: ParseContext
) -> CtIrradiationEvent:
    where = f"{attr.tag_str(_EXPOSURE_DOSE_SEQUENCE_TAG)}[{index}]"
    return CtIrradiationEvent(
        irradiation_event_uid=derived_uid("CT_DOSE_SCREEN_EXPOSURE", sop_uid, index),
        acquisition_type=_acquisition_type(item, ctx),
        acquisition_protocol=attr.text(item, "SeriesDescription"),
        ctdivol=attr.quantity(item, "CTDIvol", UNIT_CTDIVOL, ctx),
        dlp=_private_dlp(item, ctx, path=f"{where}(00E1,xx21)"),
        scanning_length=_mm(item, "ScanLength", ctx),
        nominal_single_collimation_width=_mm(item, "SingleCollimationWidth", ctx),
        nominal_total_collimation_width=_mm(item, "TotalCollimationWidth", ctx),
        pitch_factor=attr.quantity(item, "SpiralPitchFactor", "{ratio}", ctx),
        exposure_time=attr.first_quantity(item, EXPOSURE_TIME_ATTRIBUTES, UNIT_TIME, ctx),
        xray_sources=(_source(item, ctx),),
        xray_modulation_type=attr.text(item, "ExposureModulationType"),
    )


def _private_dlp(ds: Dataset, ctx: ParseContext, *, path: str) -> Quantity | None:
    """DLP from a private element, as named by a ``private_dose_element`` quirk row.

    The row's match is ``CREATOR:GROUP:ELEMENT-OFFSET`` and its replacement the unit.
    The element is looked up through its private creator block, never by a fixed tag.
    """
    for quirk in quirks.all_quirks():
        if quirk.kind != _PRIVATE_DLP_QUIRK_KIND:
            continue
        if not quirk.applies_to(ctx.manufacturer, ctx.model):
            continue
        creator, group, offset = quirk.match.split(":")
        try:
            block = ds.private_block(int(group, 16), creator)
        except KeyError:
            continue
        values = attr.numbers_at(ds, block.get_tag(int(offset, 16)), ctx)
        if not values or not math.isfinite(values[0]):
            continue
        dlp = Quantity(values[0], quirk.replacement).to(UNIT_DLP)
        ctx.add(
            quirk.finding_code,
            f"DLP {dlp.value:g} mGy.cm read from private {creator} ({group},xx{offset}) "
            f"(quirk {quirk.quirk_id})",
            path=path,
        )
        return dlp
    return None


def _compare_totals(
    total: Quantity | None, events: tuple[CtIrradiationEvent, ...], ctx: ParseContext
) -> None:
    dlps = [e.dlp.value for e in events if e.dlp is not None]
    if total is None or not dlps:
        return
    event_sum = math.fsum(dlps)
    if abs(event_sum - total.value) > _DLP_ROUNDING:
        ctx.add(
            FindingCode.TOTALS_DIFFER_FROM_EVENTS,
            f"total DLP {total.value:g} mGy.cm differs from the sum of event DLPs "
            f"{event_sum:g} mGy.cm; both kept",
            path="(00E1,xx21)",
        )
