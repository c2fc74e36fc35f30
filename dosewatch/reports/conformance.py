"""Conformance per device: how each manufacturer x model x software version's objects fared.

Physicists take deviations to vendors with it. For every (Manufacturer, Manufacturer's Model
Name, Software Versions) the ledger has seen — as stored reports, and as open quarantine
entries whose header could be read — :func:`conformance` gives the objects seen, how many
were parsed (recorded as reports, whatever their later status), the **parser** findings per
code (the vendor's deviations; ledger and model findings are not the device's), the
quarantine reasons per code, and the first and last dates: of the objects' own content
date-time (when the device made them) and of their arrival.

With an establishment, only that establishment's reports count, and quarantined objects
whose source named that establishment explicitly (calling AE allow-list, ``ingest
--establishment``); a quarantined object of unknown origin appears only in the regional
report. The service's page and the ``dosewatch conformance`` command share this function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dosewatch.domain.finding_codes import FindingCode
from dosewatch.ledger.models import (
    Device,
    Establishment,
    Quarantine,
    ReportFinding,
    ReportRow,
)

DeviceKey = tuple[str | None, str | None, str | None]

#: the findings of the conformance report: those the parser recorded about the object
PARSER_ORIGIN = "parser"
#: open quarantine entries are the objects not (yet) recorded; resolved ones were recorded
OPEN = "open"


@dataclass(slots=True)
class DeviceConformance:
    """One manufacturer x model x software version (None: the object did not say)."""

    manufacturer: str | None
    model: str | None
    software_versions: str | None
    parsed: int = 0
    quarantined: int = 0
    #: parser findings per finding code
    findings: dict[str, int] = field(default_factory=dict)
    #: quarantine reason codes (DoseWatchError codes) per code
    rejections: dict[str, int] = field(default_factory=dict)
    #: the objects' own content date-times (reports only)
    first_content: datetime | None = None
    last_content: datetime | None = None
    #: when the ledger received them (reports and quarantine)
    first_received: datetime | None = None
    last_received: datetime | None = None

    @property
    def objects_seen(self) -> int:
        return self.parsed + self.quarantined

    @property
    def share_parsed(self) -> float:
        return self.parsed / self.objects_seen if self.objects_seen else 0.0

    def findings_by_severity(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for code, count in self.findings.items():
            severity = _severity(code)
            out[severity] = out.get(severity, 0) + count
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "manufacturer": self.manufacturer,
            "model": self.model,
            "software_versions": self.software_versions,
            "objects_seen": self.objects_seen,
            "parsed": self.parsed,
            "quarantined": self.quarantined,
            "share_parsed": round(self.share_parsed, 4),
            "findings": dict(sorted(self.findings.items())),
            "findings_by_severity": dict(sorted(self.findings_by_severity().items())),
            "rejections": dict(sorted(self.rejections.items())),
            "first_seen": _iso(self.first_content),
            "last_seen": _iso(self.last_content),
            "first_received": _iso(self.first_received),
            "last_received": _iso(self.last_received),
        }


@dataclass(frozen=True, slots=True)
class ConformanceReport:
    establishment: str | None
    devices: tuple[DeviceConformance, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "establishment": self.establishment,
            "devices": [d.as_json() for d in self.devices],
        }


def _severity(code: str) -> str:
    try:
        return str(FindingCode.from_code(code).severity)
    except ValueError:  # a code stored before the catalogue renamed it
        return "unknown"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _naive(moment: datetime | None) -> datetime | None:
    # SQLite returns naive UTC, PostgreSQL aware: compare and print them alike
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def conformance(session: Session, establishment: str | None = None) -> ConformanceReport:
    """The conformance rows of the ledger (one establishment, or the region when None)."""
    devices: dict[DeviceKey, DeviceConformance] = {}

    def row_of(key: DeviceKey) -> DeviceConformance:
        found = devices.get(key)
        if found is None:
            found = devices[key] = DeviceConformance(*key)
        return found

    device_columns = (Device.manufacturer, Device.model, ReportRow.software_versions)
    reports = select(
        *device_columns,
        func.count(ReportRow.id),
        func.min(ReportRow.content_datetime),
        func.max(ReportRow.content_datetime),
        func.min(ReportRow.received_at),
        func.max(ReportRow.received_at),
    ).outerjoin(Device, Device.id == ReportRow.device_id)
    findings = (
        select(*device_columns, ReportFinding.code, func.count(ReportFinding.id))
        .join(ReportRow, ReportRow.id == ReportFinding.report_id)
        .outerjoin(Device, Device.id == ReportRow.device_id)
        .where(ReportFinding.origin == PARSER_ORIGIN)
    )
    quarantined = select(
        Quarantine.manufacturer,
        Quarantine.model,
        Quarantine.software_versions,
        Quarantine.reason_code,
        func.count(Quarantine.id),
        func.min(Quarantine.quarantined_at),
        func.max(Quarantine.quarantined_at),
    ).where(Quarantine.status == OPEN)
    if establishment is not None:
        reports = reports.join(Establishment, Establishment.id == ReportRow.establishment_id)
        reports = reports.where(Establishment.code == establishment)
        findings = findings.join(Establishment, Establishment.id == ReportRow.establishment_id)
        findings = findings.where(Establishment.code == establishment)
        quarantined = quarantined.where(Quarantine.establishment == establishment)
    for manufacturer, model, software, count, first_c, last_c, first_r, last_r in session.execute(
        reports.group_by(*device_columns)
    ):
        row = row_of((manufacturer, model, software))
        row.parsed = count
        row.first_content, row.last_content = first_c, last_c
        row.first_received, row.last_received = _naive(first_r), _naive(last_r)
    for manufacturer, model, software, code, count in session.execute(
        findings.group_by(*device_columns, ReportFinding.code)
    ):
        row_of((manufacturer, model, software)).findings[code] = count
    q_columns = (Quarantine.manufacturer, Quarantine.model, Quarantine.software_versions)
    for manufacturer, model, software, code, count, first_r, last_r in session.execute(
        quarantined.group_by(*q_columns, Quarantine.reason_code)
    ):
        row = row_of((manufacturer, model, software))
        row.quarantined += count
        row.rejections[code] = count
        row.first_received = _earliest(row.first_received, _naive(first_r))
        row.last_received = _latest(row.last_received, _naive(last_r))
    ordered = sorted(devices.values(), key=lambda d: tuple(v or "" for v in _key(d)))
    return ConformanceReport(establishment, tuple(ordered))


def _key(row: DeviceConformance) -> DeviceKey:
    return (row.manufacturer, row.model, row.software_versions)


__all__ = ["ConformanceReport", "DeviceConformance", "conformance"]
