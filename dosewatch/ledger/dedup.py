"""De-duplication rules: what a report adds to its study, and what counts.

Real archives send the same exposure several times. The rules, all decided per study
(the study row is locked while a report is recorded, so they see a consistent state):

**Event identity.** An event is keyed in its study by its Irradiation Event UID (TID 10003 /
10013) or Radiopharmaceutical Administration Event UID (TID 10022). Without a UID, the key
is a hash of the event's kind, start date-time and dose values when the start is known (so a
re-sent image with a new SOP Instance UID still matches), else ``<SOP Instance UID>#<n>``.

**Report rank.** ``rank = (is_rdsr, content date-time, SOP Instance UID)``: an RDSR outranks
an image header, then the later object, then the larger UID — a total order, so the outcome
never depends on arrival order.

**Covering (supersede).** With ``I`` the incoming event keys and ``K`` those of a current
report of the same study: if ``I ⊇ K`` and (``I ≠ K`` or the incoming report ranks higher),
the incoming report *supersedes* the stored one (a cumulative per-exposure RDSR, an image
twin, a re-sent object with a new SOP Instance UID); symmetrically, an incoming report covered
by a current one is stored as superseded. An image header never supersedes an RDSR.
Disjoint or partly overlapping event sets (a continued study) are both current; shared events
are stored once.

**Values.** A shared event keeps the values of the highest-ranked current report containing
it (superseded reports hand their events to the report that covers them). When two objects
send the same event key with different values, the event is kept once and ``conflict`` is
set; the losing values are kept in a ledger finding of the report that sent them.

**Counting (RDSR vs image headers).** Image headers and an RDSR of the same exposure must
never be summed. An event read from an image header is ``counted = False`` when its study
has a current RDSR of the same modality family, unless it *fills a gap*: an X-ray event
(not NM/PET, whose image times are acquisition times, not administration times) whose start
date-time is known, the RDSR's events have known start times, and that lies more than
:data:`GAP_MARGIN` outside their span (images acquired after the RDSR was closed). This is
recomputed for the whole study after every report (:func:`recount`), so an RDSR arriving
after the headers un-counts them, and the result is independent of arrival order.
Uncounted events are kept (never deleted) for provenance.

**Vendor summaries without events** (Siemens Radiation Summary Report) are stored as one
*summary event* holding their totals (key ``vs:<digest>``, :func:`summary_event`); it is
counted only while no current report of the study's same modality family has events of its
own (an RDSR), so a summary and an RDSR of one procedure count once, in either order.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain import codes
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_CTDIVOL,
    UNIT_DOSE_RP,
    UNIT_KAP,
    UNIT_TIME,
    CtIrradiationEvent,
    DoseReport,
    IrradiationEvent,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from dosewatch.domain.totals import event_indicators
from dosewatch.domain.units import Quantity
from dosewatch.ledger.models import EventRow, ReportFinding, ReportRow, ReportStatus

#: margin around an RDSR's event span within which header events are taken as the same exposures
GAP_MARGIN = timedelta(minutes=5)
#: modality families whose header events may fill gaps left by an RDSR (X-ray only)
GAP_FILLING_MODALITIES = frozenset({"CT", "RF", "DX", "MG"})

#: columns of :class:`EventRow` that carry the event's values (compared for conflicts)
VALUE_COLUMNS = (
    "event_uid",
    "kind",
    "modality",
    "from_header",
    "datetime_started",
    "acquisition_protocol",
    "event_type",
    "target_region",
    "laterality",
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "ctdi_phantom_cm",
    "ssde_mgy",
    "kap_gy_cm2",
    "ka_r_gy",
    "agd_mgy",
    "exposure_time_s",
    "activity_mbq",
    "radionuclide",
    "radiopharmaceutical",
)
#: columns filled from :class:`dosewatch.domain.totals.EventIndicators` (same names)
INDICATOR_COLUMNS = (
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "kap_gy_cm2",
    "ka_r_gy",
    "agd_mgy",
    "activity_mbq",
)
#: columns that define "the same values" (provenance columns excluded)
_HASHED = tuple(c for c in VALUE_COLUMNS if c not in {"from_header", "modality"})


def is_header(source_kind: str) -> bool:
    return source_kind == SourceKind.IMAGE_HEADER.value


def _num(quantity: Quantity | None, unit: str) -> float | None:
    if quantity is None:
        return None
    value = quantity.value_in(unit)
    return value if math.isfinite(value) else None


def _code(code: object) -> str | None:
    if code is None:
        return None
    if isinstance(code, str):
        return code[:80]
    return codes.code_str(code)  # type: ignore[arg-type]


def _text(value: str | None, limit: int = 200) -> str | None:
    return None if value is None else value[:limit]


@dataclass(frozen=True, slots=True)
class EventValues:
    """One event of an incoming report, flattened to ledger columns."""

    key: str
    values: dict[str, Any]
    value_hash: str


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def event_values(event: IrradiationEvent, report: DoseReport) -> dict[str, Any]:
    """The ledger columns of one domain event, in canonical units.

    The dose indicators are :func:`dosewatch.domain.totals.event_indicators` (one
    definition), with non-finite values dropped: a NaN or infinity is not a dose.
    """
    v: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    v["event_uid"] = event.irradiation_event_uid
    v["modality"] = report.modality.value
    v["from_header"] = report.source_kind is SourceKind.IMAGE_HEADER
    indicators = event_indicators(event)
    for column in INDICATOR_COLUMNS:
        value = _finite(getattr(indicators, column))
        if value is not None:
            v[column] = value
    if isinstance(event, CtIrradiationEvent):
        v.update(
            kind="ct",
            datetime_started=event.datetime_started,
            acquisition_protocol=_text(event.acquisition_protocol),
            event_type=_code(event.acquisition_type),
            target_region=_code(event.target_region),
            ctdi_phantom_cm=event.phantom_diameter_cm,
            ssde_mgy=_num(event.ssde, UNIT_CTDIVOL),
            exposure_time_s=_num(event.exposure_time, UNIT_TIME),
        )
    elif isinstance(event, ProjectionIrradiationEvent):
        v.update(
            kind="projection",
            datetime_started=event.datetime_started,
            acquisition_protocol=_text(event.acquisition_protocol),
            event_type=_code(event.event_type),
            target_region=_code(event.anatomical_structure),
            laterality=_code(event.laterality),
            exposure_time_s=_num(event.irradiation_duration or event.exposure_time, UNIT_TIME),
        )
    elif isinstance(event, MammographyIrradiationEvent):
        v.update(
            kind="mammography",
            datetime_started=event.datetime_started,
            acquisition_protocol=_text(event.acquisition_protocol),
            event_type=_code(event.event_type),
            target_region=_code(event.anatomical_structure),
            laterality=_code(event.laterality),
            exposure_time_s=_num(event.exposure_time, UNIT_TIME),
        )
    elif isinstance(event, RadiopharmaceuticalAdministration):
        agent = _code(event.radiopharmaceutical_agent) or _text(event.radiopharmaceutical_name)
        v.update(
            kind="nm",
            datetime_started=event.start_datetime,
            radionuclide=_code(event.radionuclide),
            radiopharmaceutical=agent,
        )
    else:  # pragma: no cover - the IrradiationEvent union is closed
        raise TypeError(f"unknown event type {type(event).__name__}")
    return v


def value_hash(values: dict[str, Any]) -> str:
    """A stable digest of the values that define an event (floats to 9 significant digits)."""

    def norm(value: Any) -> Any:
        if isinstance(value, float):
            return f"{value:.9g}"
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    payload = json.dumps([norm(values[c]) for c in _HASHED], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def event_key(values: dict[str, Any], sop_instance_uid: str, index: int, digest: str) -> str:
    uid = values.get("event_uid")
    if uid:
        return str(uid)
    if values.get("datetime_started") is not None:
        return "h:" + digest[:40]
    return f"{sop_instance_uid}#{index}"


#: key prefix of the event standing for a vendor summary's totals (never a UID, ``h:``, ``#``)
SUMMARY_MARK = "vs:"


def is_summary_key(key: str) -> bool:
    return key.startswith(SUMMARY_MARK)


def _sum(values: Iterable[Quantity | None], unit: str) -> float | None:
    present = [v for v in (_num(q, unit) for q in values) if v is not None]
    return sum(present) if present else None


def summary_event(report: DoseReport) -> EventValues | None:
    """The event standing for the totals of a vendor summary that has no events.

    A vendor-private summary (Siemens Radiation Summary Report) carries the procedure's
    totals only. So that the ledger counts them, they become one *summary event* keyed
    ``vs:<digest of the values>`` (an identical re-send, even with another SOP Instance UID,
    has the same key and is covered): KAP and Dose (RP) totals, fluoroscopy time as
    exposure time, no start time. :func:`recount` counts it only when no RDSR of the study
    accounts for the procedure. None when the report has events or no total.
    """
    if report.events or report.source_kind is not SourceKind.VENDOR_SUMMARY:
        return None
    planes = report.projection_accumulated
    v: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    v.update(
        kind="projection",
        modality=report.modality.value,
        from_header=False,
        kap_gy_cm2=_sum((p.dose_area_product_total for p in planes), UNIT_KAP),
        ka_r_gy=_sum((p.dose_rp_total for p in planes), UNIT_DOSE_RP),
        exposure_time_s=_sum((p.total_fluoro_time for p in planes), UNIT_TIME),
    )
    if v["kap_gy_cm2"] is None and v["ka_r_gy"] is None:
        return None
    digest = value_hash(v)
    return EventValues(SUMMARY_MARK + digest[:40], v, digest)


def incoming_events(report: DoseReport) -> tuple[list[EventValues], list[str]]:
    """The report's events keyed for the ledger, and keys repeated inside the report.

    An event key sent twice in one object keeps its first occurrence (the repeat is
    returned so that the caller records a finding). A vendor summary without events gives
    its :func:`summary_event`.
    """
    summary = summary_event(report)
    if summary is not None:
        return [summary], []
    seen: dict[str, EventValues] = {}
    repeated: list[str] = []
    for index, event in enumerate(report.events):
        values = event_values(event, report)
        digest = value_hash(values)
        key = event_key(values, report.sop_instance_uid, index, digest)
        if key in seen:
            repeated.append(key)
            continue
        seen[key] = EventValues(key, values, digest)
    return list(seen.values()), repeated


#: suffix of the estimation key of an event sent twice in one object (its estimates count nowhere)
REPEATED_MARK = "#repeated-"


def estimation_keys(report: DoseReport) -> tuple[str, ...]:
    """The ledger key of each event of the report, in order, for attaching its estimates.

    Events repeated inside the object get ``<key>#repeated-<n>``, a key no stored event has,
    so that estimates computed from the repeat can never be counted.
    """
    seen: set[str] = set()
    out: list[str] = []
    for index, event in enumerate(report.events):
        values = event_values(event, report)
        key = event_key(values, report.sop_instance_uid, index, value_hash(values))
        out.append(key if key not in seen else f"{key}{REPEATED_MARK}{index}")
        seen.add(key)
    return tuple(out)


def keyed_for_estimation(report: DoseReport) -> DoseReport:
    """The report with each event's UID replaced by its ledger key, for the organ models.

    Models label an estimate with the UID of its event (``Estimate.event_uid``); an event
    without a UID would otherwise give estimates that belong to no event (and look like
    study-level ones). With the ledger key as label, every event-level estimate names the
    stored event it belongs to. Only the estimation input is changed: the recorded event
    keeps its real (possibly absent) UID.
    """
    keys = estimation_keys(report)
    events: list[IrradiationEvent] = []
    for key, event in zip(keys, report.events, strict=True):
        if isinstance(event, RadiopharmaceuticalAdministration):
            if event.administration_event_uid != key:
                event = replace(event, administration_event_uid=key)
        elif event.irradiation_event_uid != key:
            event = replace(event, irradiation_event_uid=key)
        events.append(event)
    return replace(report, events=tuple(events))


# --------------------------------------------------------------------------- rank, covering


Rank = tuple[bool, datetime, str]


def rank(source_kind: str, content_datetime: datetime | None, sop_instance_uid: str) -> Rank:
    """The total order of reports of a study (see the module docstring)."""
    return (not is_header(source_kind), content_datetime or datetime.min, sop_instance_uid)


def row_rank(row: ReportRow) -> Rank:
    return rank(row.source_kind, row.content_datetime, row.sop_instance_uid)


def covers(
    keys_a: frozenset[str],
    rank_a: Rank,
    header_a: bool,
    keys_b: frozenset[str],
    rank_b: Rank,
    header_b: bool,
) -> bool:
    """True when report A supersedes report B of the same study."""
    if header_a and not header_b:
        return False
    if not keys_a >= keys_b:
        return False
    return keys_a != keys_b or rank_a > rank_b


# --------------------------------------------------------------------------- counting


def recount(session: Session, study_id: int) -> None:
    """Recompute ``counted`` for every event of the study (RDSR vs image-header rule).

    A vendor summary's event (:func:`summary_event`) is counted only when the study has no
    current report of the same modality family with events of its own (an RDSR, or another
    object that is neither an image header nor a vendor summary): the RDSR's events then
    account for the procedure, whichever arrived first. It never fills a gap (it has no time).
    """
    events = session.scalars(select(EventRow).where(EventRow.study_id == study_id)).all()
    if not any(e.from_header or is_summary_key(e.event_key) for e in events):
        for event in events:
            if not event.counted:
                event.counted = True
        return
    current = session.execute(
        select(ReportRow.modality, ReportRow.source_kind).where(
            ReportRow.study_id == study_id,
            ReportRow.status == ReportStatus.CURRENT.value,
            ReportRow.source_kind != SourceKind.IMAGE_HEADER.value,
        )
    ).all()
    current_rdsr_modalities = {modality for modality, _ in current}
    full_report_modalities = {
        modality for modality, kind in current if kind != SourceKind.VENDOR_SUMMARY.value
    }
    spans = _rdsr_spans(e for e in events if not e.from_header and not is_summary_key(e.event_key))
    for event in events:
        counted = True
        if is_summary_key(event.event_key):
            counted = event.modality not in full_report_modalities
        elif event.from_header and event.modality in current_rdsr_modalities:
            counted = event.modality in GAP_FILLING_MODALITIES and _fills_gap(
                event.datetime_started, spans.get(event.modality)
            )
        if event.counted != counted:
            event.counted = counted


def _rdsr_spans(events: Iterable[EventRow]) -> dict[str, tuple[datetime, datetime] | None]:
    spans: dict[str, tuple[datetime, datetime] | None] = {}
    for event in events:
        start = event.datetime_started
        if event.modality not in spans:
            spans[event.modality] = None if start is None else (start, start)
            continue
        span = spans[event.modality]
        if span is None or start is None:
            spans[event.modality] = None  # an RDSR event without a time: no gap can be proven
            continue
        spans[event.modality] = (min(span[0], start), max(span[1], start))
    return spans


def _fills_gap(start: datetime | None, span: tuple[datetime, datetime] | None) -> bool:
    if start is None or span is None:
        return False
    low, high = span
    if (start.tzinfo is None) != (low.tzinfo is None):
        return False
    return start < low - GAP_MARGIN or start > high + GAP_MARGIN


# ------------------------------------------------------------ versions of one SOP Instance

#: parser findings that mark a kept copy as cut short (the parser names the byte offset)
CUT_CODES = frozenset(
    {FindingCode.ENCODING_TRUNCATED.value, FindingCode.ENCODING_MAYBE_TRUNCATED.value}
)

VersionRank = tuple[bool, datetime, str]


def version_rank(cut: bool, content_datetime: datetime | None, sha256: str) -> VersionRank:
    """The order of two versions of one SOP Instance: the higher one is kept.

    A complete copy beats a copy the parser flagged as cut short (``CUT_CODES``), whatever
    their content date-times; then the later content date-time, then the larger SHA-256 —
    a total order, so the kept version never depends on arrival order.
    """
    return (not cut, content_datetime or datetime.min, sha256)


def is_cut(codes_: Iterable[str]) -> bool:
    return any(str(code) in CUT_CODES for code in codes_)


def stored_is_cut(session: Session, report_id: int) -> bool:
    found = session.scalar(
        select(ReportFinding.id)
        .where(
            ReportFinding.report_id == report_id,
            ReportFinding.origin == "parser",
            ReportFinding.code.in_(sorted(CUT_CODES)),
        )
        .limit(1)
    )
    return found is not None
