"""Device keying: one ``device`` row per irradiating device of an establishment.

A device is keyed by its Device Observer UID when the object gives one, else by the
normalised (manufacturer, model, serial number, station name); an object naming none of them
has no device row.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.report import DeviceFacts
from dosewatch.ledger.identity import insert_ignore
from dosewatch.ledger.models import Device


def cut(value: str | None, limit: int = 200) -> str | None:
    """A text value shortened to its column's length."""
    return None if value is None else value[:limit]


def device_key(d: DeviceFacts) -> str | None:
    """The SHA-256 key of a device, or None when the object does not name one."""
    if d.device_observer_uid:
        basis = f"uid\x1f{d.device_observer_uid}"
    else:
        parts = (d.manufacturer, d.model, d.serial_number, d.station_name)
        if not any(parts):
            return None
        basis = "\x1f".join((p or "").strip().lower() for p in parts)
    return hashlib.sha256(basis.encode()).hexdigest()


def device_id(session: Session, d: DeviceFacts, establishment_id: int) -> int | None:
    """The id of the device row (inserted if new, race-free), or None."""
    key = device_key(d)
    if key is None:
        return None
    insert_ignore(
        session,
        Device,
        {
            "establishment_id": establishment_id,
            "device_key": key,
            "manufacturer": cut(d.manufacturer),
            "model": cut(d.model),
            "serial_number": cut(d.serial_number),
            "station_name": cut(d.station_name),
            "device_observer_uid": cut(d.device_observer_uid, 64),
        },
    )
    return session.scalars(
        select(Device.id).where(
            Device.establishment_id == establishment_id, Device.device_key == key
        )
    ).one()
