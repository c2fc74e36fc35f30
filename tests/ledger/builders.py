"""Small domain-level report builders for the de-duplication and identity rules."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from dosewatch.domain.report import (
    CtIrradiationEvent,
    DeviceFacts,
    DoseModality,
    DoseReport,
    IrradiationEvent,
    MammographyIrradiationEvent,
    PatientFacts,
    PatientIdentifier,
    RadiopharmaceuticalAdministration,
    SourceKind,
    StudyFacts,
)
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Prepared
from dosewatch.ledger.identity import SourceInfo
from rdsr_parsers import ParseResult

T0 = datetime(2025, 3, 4, 10, 0, 0)
INS_OID = "1.2.250.1.213.1.4.8"


def ct_event(uid: str | None, dlp: float, minute: int = 0) -> CtIrradiationEvent:
    return CtIrradiationEvent(
        irradiation_event_uid=uid,
        datetime_started=T0 + timedelta(minutes=minute),
        ctdivol=Quantity(dlp / 40.0, "mGy"),
        dlp=Quantity(dlp, "mGy.cm"),
    )


def mg_event(uid: str | None, agd: float, minute: int = 0) -> MammographyIrradiationEvent:
    return MammographyIrradiationEvent(
        irradiation_event_uid=uid,
        datetime_started=T0 + timedelta(minutes=minute),
        average_glandular_dose=Quantity(agd, "mGy"),
    )


def nm_event(uid: str | None, mbq: float, minute: int = 0) -> RadiopharmaceuticalAdministration:
    return RadiopharmaceuticalAdministration(
        administration_event_uid=uid,
        start_datetime=T0 + timedelta(minutes=minute),
        administered_activity=Quantity(mbq, "MBq"),
    )


def patient(local: str = "P1", issuer: str | None = None, ins: str | None = None) -> PatientFacts:
    others = (PatientIdentifier(ins, issuer_universal_id=INS_OID),) if ins else ()
    return PatientFacts(patient_id=PatientIdentifier(local, issuer=issuer), other_ids=others)


def report(
    sop: str,
    study: str,
    events: tuple[IrradiationEvent, ...],
    *,
    kind: SourceKind = SourceKind.XRAY_RDSR,
    modality: DoseModality = DoseModality.CT,
    who: PatientFacts | None = None,
    institution: str | None = "Hopital A",
    content: datetime | None = T0,
    intent: str | None = None,
) -> DoseReport:
    return DoseReport(
        source_kind=kind,
        modality=modality,
        patient=who or patient(),
        study=StudyFacts(
            study_instance_uid=study,
            sop_instance_uid=sop,
            sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
            study_date=date(2025, 3, 4),
            content_datetime=content,
        ),
        device=DeviceFacts(manufacturer="ACME", model="X1", institution_name=institution),
        events=events,
        presentation_intent=intent,
    )


def prepared(r: DoseReport, salt: str = "") -> Prepared:
    """A prepared object as the stateless step would give it (sha256 of its identity)."""
    digest = hashlib.sha256(f"{r.sop_instance_uid}|{salt}|{r!r}".encode()).hexdigest()
    return Prepared(digest, r.sop_instance_uid, ParseResult(r, ()))


def source(establishment: str | None = None) -> SourceInfo:
    return SourceInfo(label="test", establishment=establishment)
