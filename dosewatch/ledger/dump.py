"""Canonical dump: the ledger as sorted JSON with natural keys only, for comparisons.

Surrogate ids, timestamps, source paths and ledger findings (whose wording may depend on
arrival order) are left out; everything that defines what the ledger *says* is in: persons
(as their identifier sets and pseudonyms), studies, reports with status and superseding
report, events with their values and counted/conflict flags, parser findings, estimates,
open quarantine entries. Two ingests of the same files in any order, with any number of
workers, must produce equal dumps.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.ledger.dedup import VALUE_COLUMNS
from dosewatch.ledger.models import (
    Device,
    Establishment,
    EstimateRow,
    EventRow,
    PatientIdentifierRow,
    Person,
    Quarantine,
    QuarantineStatus,
    ReportFinding,
    ReportRow,
    Study,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return float(f"{value:.9g}")
    return value


def canonical_dump(session: Session) -> dict[str, Any]:
    """The ledger's content as plain, sorted data (see the module docstring)."""
    est_code = dict(session.execute(select(Establishment.id, Establishment.code)).all())
    person_ids: dict[int, list[str]] = {}
    for person_id, issuer, value in session.execute(
        select(
            PatientIdentifierRow.person_id, PatientIdentifierRow.issuer, PatientIdentifierRow.value
        )
    ):
        person_ids.setdefault(person_id, []).append(f"{issuer}|{value}")
    person_key = {pid: "+".join(sorted(ids)) for pid, ids in person_ids.items()}
    persons = sorted(
        person_key.get(p.id, f"(no identifier) {p.pseudonym}")
        for p in session.scalars(select(Person).where(Person.merged_into_id.is_(None)))
    )
    devices = {
        d.id: f"{est_code[d.establishment_id]}|{d.device_key}"
        for d in session.scalars(select(Device))
    }
    studies = {s.id: s for s in session.scalars(select(Study))}
    study_out = sorted(
        (
            {
                "uid": s.study_instance_uid,
                "person": person_key.get(s.person_id),
                "establishment": est_code[s.establishment_id],
                "date": _plain(s.study_date),
            }
            for s in studies.values()
        ),
        key=lambda d: str(d["uid"]),
    )
    reports = {r.id: r for r in session.scalars(select(ReportRow))}
    parser_findings: dict[int, list[str]] = {}
    for f in session.scalars(select(ReportFinding).where(ReportFinding.origin != "ledger")):
        parser_findings.setdefault(f.report_id, []).append(
            f"{f.origin}|{f.severity}|{f.code}|{f.content_path}"
        )
    report_out = sorted(
        (
            {
                "sop_instance_uid": r.sop_instance_uid,
                "study": studies[r.study_id].study_instance_uid,
                "device": devices.get(r.device_id) if r.device_id else None,
                "establishment": est_code[r.establishment_id],
                "status": r.status,
                "superseded_by": (
                    reports[r.superseded_by_id].sop_instance_uid if r.superseded_by_id else None
                ),
                "sha256": r.sha256,
                "source_kind": r.source_kind,
                "modality": r.modality,
                "event_keys": sorted(str(k) for k in r.event_keys),
                "totals": [
                    _plain(v)
                    for v in (
                        r.dlp_total_mgy_cm,
                        r.kap_total_gy_cm2,
                        r.ka_r_total_gy,
                        r.fluoro_time_total_s,
                    )
                ],
                "findings": sorted(parser_findings.get(r.id, [])),
            }
            for r in reports.values()
        ),
        key=lambda d: str(d["sop_instance_uid"]),
    )
    event_out = sorted(
        (
            {
                "study": studies[e.study_id].study_instance_uid,
                "key": e.event_key,
                "report": reports[e.report_id].sop_instance_uid,
                "counted": e.counted,
                "conflict": e.conflict,
                **{c: _plain(getattr(e, c)) for c in VALUE_COLUMNS},
            }
            for e in session.scalars(select(EventRow))
        ),
        key=lambda d: (str(d["study"]), str(d["key"])),
    )
    estimate_out = sorted(
        json.dumps(
            [
                reports[x.report_id].sop_instance_uid,
                x.quantity,
                x.organ_value,
                _plain(x.value),
                x.unit,
                x.model_id,
                x.model_version,
                x.table_version,
                x.basis,
                x.current,
                x.slot_key,
                x.selection,
            ]
        )
        for x in session.scalars(select(EstimateRow))
    )
    quarantine_out = sorted(
        f"{q.sha256}|{q.reason_code}"
        for q in session.scalars(
            select(Quarantine).where(Quarantine.status == QuarantineStatus.OPEN.value)
        )
    )
    return {
        "persons": persons,
        "studies": study_out,
        "reports": report_out,
        "events": event_out,
        "estimates": estimate_out,
        "quarantine": quarantine_out,
    }


def dump_json(session: Session) -> str:
    return json.dumps(canonical_dump(session), indent=1, sort_keys=True)
