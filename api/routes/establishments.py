"""Establishments, their devices and the per-establishment usage report (the regional
service is paid per use: dose objects and exams processed per month and per service)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import Db, RowId
from api.problems import not_found
from api.queries import usage_of
from api.schemas import DeviceOut, EstablishmentOut, UsageOut
from api.security import Anyone, UsageReader
from dosewatch.ledger.models import Device, Establishment

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
    return usage_of(db, establishment)
