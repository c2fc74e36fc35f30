"""Establishments, their devices and the per-establishment usage report (the regional
service is paid per use: dose objects and exams processed per month and per service)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import Db, RowId
from api.problems import not_found
from api.schemas import DeviceOut, EstablishmentOut, UsageOut, UsageRow
from api.security import Anyone, UsageReader
from dosewatch.ledger.models import Device, Establishment, EstimateRow, ReportRow

router = APIRouter(prefix="/api/establishments", tags=["establishments"])


def _visible(db: Db, principal: Anyone, establishment_id: int) -> Establishment:
    establishment = db.get(Establishment, establishment_id)
    if establishment is None or not principal.sees_establishment(establishment_id):
        raise not_found("establishment")
    return establishment


@router.get("", response_model=list[EstablishmentOut])
def list_establishments(db: Db, principal: Anyone) -> list[EstablishmentOut]:
    statement = select(Establishment).order_by(Establishment.code)
    scope = principal.visible_establishments()
    if scope is not None:
        statement = statement.where(Establishment.id.in_(sorted(scope)))
    return [EstablishmentOut.model_validate(e) for e in db.scalars(statement).all()]


@router.get("/{establishment_id}/devices", response_model=list[DeviceOut])
def list_devices(establishment_id: RowId, db: Db, principal: Anyone) -> list[DeviceOut]:
    _visible(db, principal, establishment_id)
    rows = db.scalars(
        select(Device).where(Device.establishment_id == establishment_id).order_by(Device.id)
    ).all()
    return [DeviceOut.model_validate(d) for d in rows]


@router.get("/{establishment_id}/usage", response_model=UsageOut)
def usage(establishment_id: RowId, db: Db, principal: UsageReader) -> UsageOut:
    """Per month of reception: dose objects recorded (``ingest``) and those that received
    organ-dose estimates (``organ_dose``), with the number of distinct exams (studies)."""
    establishment = _visible(db, principal, establishment_id)
    reports = db.execute(
        select(ReportRow.id, ReportRow.study_id, ReportRow.received_at).where(
            ReportRow.establishment_id == establishment_id
        )
    ).all()
    estimated = set(
        db.scalars(
            select(EstimateRow.report_id)
            .join(ReportRow, ReportRow.id == EstimateRow.report_id)
            .where(ReportRow.establishment_id == establishment_id)
            .distinct()
        ).all()
    )
    objects: dict[tuple[str, str], int] = defaultdict(int)
    exams: dict[tuple[str, str], set[int]] = defaultdict(set)
    for report_id, study_id, received_at in reports:
        month = received_at.strftime("%Y-%m")
        services = ["ingest"] + (["organ_dose"] if report_id in estimated else [])
        for service in services:
            objects[month, service] += 1
            exams[month, service].add(study_id)
    rows = [
        UsageRow(month=m, service=s, dose_objects=n, exams=len(exams[m, s]))
        for (m, s), n in sorted(objects.items())
    ]
    return UsageOut(
        establishment_id=establishment.id, establishment_code=establishment.code, rows=rows
    )
