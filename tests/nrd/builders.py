"""Ledger rows for NRD tests: an establishment, a device, persons, studies with NRD facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from dosewatch.ledger.models import Device, Establishment, Person, Study
from dosewatch.ledger.nrd_models import NrdStudyFacts

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def establishment(session: Session, code: str = "CHU-A") -> tuple[int, int]:
    est = Establishment(code=code, name=f"Hôpital {code}", created_at=NOW)
    session.add(est)
    session.flush()
    dev = Device(
        establishment_id=est.id,
        device_key=f"k-{code}",
        manufacturer="ACME",
        model="DR1",
        station_name="SALLE1",
    )
    session.add(dev)
    session.flush()
    return est.id, dev.id


def exam(
    session: Session,
    est: int,
    dev: int,
    i: int,
    *,
    description: str,
    modality: str,
    day: date,
    age: float = 50.0,
    weight: float | None = 70.0,
    height: float | None = 1.7,
    kap: float | None = None,
    ctdivol: float | None = None,
    dlp: float | None = None,
    acquisitions: int = 1,
) -> int:
    person = Person(pseudonym=f"P{est}-{i:05d}", sex="F" if i % 2 else "M", created_at=NOW)
    session.add(person)
    session.flush()
    study = Study(
        study_instance_uid=f"2.25.{est}{i:06d}",
        person_id=person.id,
        establishment_id=est,
        study_date=day,
        study_description=description,
        created_at=NOW,
    )
    session.add(study)
    session.flush()
    session.add(
        NrdStudyFacts(
            study_id=study.id,
            establishment_id=est,
            device_id=dev,
            modality=modality,
            study_date=day,
            age_years=age,
            weight_kg=weight,
            height_m=height,
            acquisitions=acquisitions,
            kap_mgy_cm2=kap,
            ctdivol_mgy=ctdivol,
            dlp_mgy_cm=dlp,
        )
    )
    return study.id
