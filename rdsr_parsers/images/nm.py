"""Radiopharmaceutical administrations in NM and PET image headers.

Each item of the Radiopharmaceutical Information Sequence (0054,0016) becomes one
:class:`RadiopharmaceuticalAdministration`. Radionuclide Total Dose (0018,1074) is in MBq
in the NM Image IOD (PS3.3 C.8.4.10) but in Bq in the PET Image IODs (C.8.9.2); both are
converted to MBq with an INFO finding naming the interpretation.

Identity: the same injection appears in every series and instance of the study. The
Radiopharmaceutical Administration Event UID (0008,3012) is used when present; otherwise
the UID is derived (:func:`rdsr_parsers.images.identity.administration_uid`) from Study
Instance UID, radiopharmaceutical (code, else name), start datetime and activity in MBq.
"""

from __future__ import annotations

from datetime import datetime

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_ACTIVITY,
    UNIT_TIME,
    DoseModality,
    DoseReport,
    Measurement,
    RadiopharmaceuticalAdministration,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import sop
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import attributes as attr
from rdsr_parsers.images.common import HeaderFacts, read_facts
from rdsr_parsers.images.identity import administration_uid
from rdsr_parsers.values import combine, parse_date, parse_datetime, parse_time

_PET_CLASSES = frozenset({sop.PET_IMAGE, sop.ENHANCED_PET_IMAGE})
_TOTAL_DOSE_TAG = 0x00181074
_SEQUENCE_TAG = 0x00540016
#: beyond these the unit convention of the IOD is probably not what the device used
_NM_MAX_PLAUSIBLE_MBQ = 1.0e5
_PET_MIN_PLAUSIBLE_BQ = 1.0e4


def read_radiopharmaceutical_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """An NM or PET image header as a DoseReport (NUCLEAR_MEDICINE)."""
    items = list(ds.get("RadiopharmaceuticalInformationSequence") or ())
    modality = attr.text(ds, "Modality") or "NM/PET"
    if not items:
        raise NotADoseObjectError(
            f"{modality} image without dose attributes (no Radiopharmaceutical Information "
            "Sequence (0054,0016))"
        )
    is_pet = attr.text(ds, "SOPClassUID") in _PET_CLASSES
    activities = [_activity(item, is_pet, index, ctx) for index, item in enumerate(items, 1)]
    if all(a is None for a in activities) and not any(_has_agent(i) for i in items):
        raise NotADoseObjectError(
            f"{modality} image without dose attributes (Radiopharmaceutical Information "
            "Sequence without activity or radiopharmaceutical)"
        )
    facts = read_facts(ds, ctx)
    events = tuple(
        _administration(item, index, activity, facts, ds, ctx)
        for index, (item, activity) in enumerate(zip(items, activities, strict=True), 1)
    )
    return facts.report(DoseModality.NUCLEAR_MEDICINE, events=events)


def _has_agent(item: Dataset) -> bool:
    return bool(item.get("RadiopharmaceuticalCodeSequence")) or bool(
        attr.text(item, "Radiopharmaceutical")
    )


def _path(index: int, tag: int) -> str:
    return f"{attr.tag_str(_SEQUENCE_TAG)}[{index}]{attr.tag_str(tag)}"


def _activity(item: Dataset, is_pet: bool, index: int, ctx: ParseContext) -> Quantity | None:
    raw = attr.number(item, "RadionuclideTotalDose", ctx)
    if raw is None:
        return None
    path = _path(index, _TOTAL_DOSE_TAG)
    unit, iod = ("Bq", "PET Image") if is_pet else ("MBq", "NM Image")
    activity = Quantity(raw, unit).to(UNIT_ACTIVITY)
    ctx.add(
        FindingCode.UNIT_IOD_CONVENTION,
        f"Radionuclide Total Dose {raw:g} read as {unit} per the {iod} IOD = "
        f"{activity.value:g} MBq",
        path=path,
    )
    if is_pet and 0 < raw < _PET_MIN_PLAUSIBLE_BQ:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"PET Radionuclide Total Dose {raw:g} Bq is implausibly small (MBq sent?); "
            "kept as Bq per the IOD",
            path=path,
        )
    if not is_pet and raw > _NM_MAX_PLAUSIBLE_MBQ:
        ctx.add(
            FindingCode.VALUE_IMPLAUSIBLE,
            f"NM Radionuclide Total Dose {raw:g} MBq is implausibly large (Bq sent?); "
            "kept as MBq per the IOD",
            path=path,
        )
    return activity


def _start(
    item: Dataset, keyword_dt: str, keyword_tm: str, ds: Dataset, ctx: ParseContext, index: int
) -> datetime | None:
    """Radiopharmaceutical Start/Stop DateTime, else the time on the series' date."""
    value = parse_datetime(item.get(keyword_dt), ctx, path=f"{keyword_dt}[{index}]")
    if value is not None:
        return value
    tm = parse_time(item.get(keyword_tm), ctx, path=f"{keyword_tm}[{index}]")
    if tm is None:
        return None
    for date_keyword in ("SeriesDate", "AcquisitionDate", "StudyDate"):
        day = parse_date(ds.get(date_keyword), ctx, path=date_keyword)
        if day is not None:
            ctx.add(
                FindingCode.VALUE_DERIVED,
                f"{keyword_tm} without a DateTime; combined with {date_keyword}",
                path=f"{attr.tag_str(_SEQUENCE_TAG)}[{index}]",
            )
            return combine(day, tm)
    return None


def _administration(
    item: Dataset,
    index: int,
    activity: Quantity | None,
    facts: HeaderFacts,
    ds: Dataset,
    ctx: ParseContext,
) -> RadiopharmaceuticalAdministration:
    agent = attr.code_in(item, "RadiopharmaceuticalCodeSequence", ctx)
    name = attr.text(item, "Radiopharmaceutical")
    start = _start(
        item, "RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStartTime", ds, ctx, index
    )
    uid = attr.text(item, "RadiopharmaceuticalAdministrationEventUID")
    if uid is None:
        agent_key = codes.code_str(agent) if agent is not None else name
        uid = administration_uid(
            facts.study.study_instance_uid,
            agent_key,
            start,
            None if activity is None else activity.value,
        )
        ctx.add(
            FindingCode.IDENTITY_DERIVED_EVENT_UID,
            f"no Radiopharmaceutical Administration Event UID (0008,3012); derived {uid} "
            "from study, radiopharmaceutical, start datetime and activity",
            path=f"{attr.tag_str(_SEQUENCE_TAG)}[{index}]",
        )
    volume = attr.quantity(item, "RadiopharmaceuticalVolume", "mL", ctx)
    measurements: tuple[Measurement, ...] = ()
    if volume is not None:
        measurements = (Measurement(codes.RADIOPHARMACEUTICAL_VOLUME, volume, "(0018,1071)"),)
    route: Code | None = attr.code_in(item, "AdministrationRouteCodeSequence", ctx)
    route_text = attr.text(item, "RadiopharmaceuticalRoute")
    return RadiopharmaceuticalAdministration(
        administration_event_uid=uid,
        radiopharmaceutical_agent=agent,
        radiopharmaceutical_name=name or (None if agent is None else agent.meaning),
        radionuclide=attr.code_in(item, "RadionuclideCodeSequence", ctx),
        radionuclide_half_life=attr.quantity(item, "RadionuclideHalfLife", UNIT_TIME, ctx),
        administered_activity=activity,
        route_of_administration=route,
        start_datetime=start,
        stop_datetime=_start(
            item, "RadiopharmaceuticalStopDateTime", "RadiopharmaceuticalStopTime", ds, ctx, index
        ),
        comment=None if route is not None or route_text is None else f"route: {route_text}",
        other_measurements=measurements,
    )
