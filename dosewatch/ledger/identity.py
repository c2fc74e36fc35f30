"""Who and where: establishment (tenant) of a report, and the cross-site person.

**Establishment.** Read from the configured source (setting ``establishment_source``):
``institution_name`` (Institution Name (0008,0080) of the object), ``calling_ae`` (the
calling AE title of the association that delivered it) or ``explicit`` (``--establishment``).
An explicit code always wins. Each (source kind, value) is an ``establishment_alias`` row;
an unknown alias creates the establishment with a code derived from the value.

**Person.** Linked by INS (Other Patient IDs Sequence items, or the Patient ID itself, whose
issuer is one of the INS OIDs) when present, else by the issuer-qualified local Patient ID:
qualified by its Issuer of Patient ID Qualifiers' Universal Entity ID, else by Issuer of
Patient ID (0010,0021), else by the sending establishment — so the same local ID at two
establishments is two persons unless linked. All the object's identifiers are attached to
the person found; when they point at two different persons the INS wins and a finding says
so (never an automatic merge). Manual ``link``/``unlink`` are audited.

Creation races are settled by the unique constraints on ``person.pseudonym`` (an HMAC of the
first identifier, so racing creators produce the same row) and ``patient_identifier (issuer,
value)`` with ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dosewatch.domain.errors import ConfigurationError, LedgerError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import PatientFacts, PatientIdentifier
from dosewatch.ledger.models import (
    AuditEvent,
    Establishment,
    EstablishmentAlias,
    PatientIdentifierRow,
    Person,
    Study,
)
from dosewatch.settings import Settings

#: INS OIDs (ANS): NIR-based INS, NIA-based INS, and their test counterparts
INS_OIDS = frozenset(
    {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
ESTABLISHMENT_SOURCES = ("institution_name", "calling_ae", "explicit")
UNKNOWN_ESTABLISHMENT = "UNKNOWN"


def now() -> datetime:
    return datetime.now(UTC)


def insert_ignore(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(model).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(model).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two supported databases
        raise ConfigurationError(f"unsupported database dialect {dialect}")


# --------------------------------------------------------------------------- establishment


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where an object came from: a label (file path or AE), calling AE, explicit tenant."""

    label: str | None = None
    calling_ae: str | None = None
    establishment: str | None = None


def establishment_code_of(value: str) -> str:
    """An establishment code derived from a source value (upper-case, ``_`` separated)."""
    code = re.sub(r"[^0-9A-Za-z]+", "_", value.strip()).strip("_").upper()
    return code[:64] or UNKNOWN_ESTABLISHMENT


def resolve_establishment(
    session: Session,
    settings: Settings,
    source: SourceInfo,
    institution_name: str | None,
    findings: list[Finding],
) -> Establishment:
    """The establishment of an object, per the configured source mapping."""
    mode = settings.establishment_source
    if mode not in ESTABLISHMENT_SOURCES:
        raise ConfigurationError(
            f"establishment_source {mode!r} is not one of {', '.join(ESTABLISHMENT_SOURCES)}"
        )
    kind: str
    value: str | None
    if source.establishment:
        kind, value = "explicit", source.establishment
    elif mode == "calling_ae":
        kind, value = "calling_ae", source.calling_ae
    elif mode == "institution_name":
        kind, value = "institution_name", institution_name
    else:
        raise ConfigurationError("establishment_source is 'explicit' but no establishment given")
    if not value or not value.strip():
        findings.append(
            Finding(
                FindingCode.IDENTITY_ESTABLISHMENT_UNKNOWN,
                f"no {kind.replace('_', ' ')} to identify the establishment; "
                f"recorded under {UNKNOWN_ESTABLISHMENT}",
            )
        )
        kind, value = "explicit", UNKNOWN_ESTABLISHMENT
    value = value.strip()[:200]
    return establishment_for_alias(session, kind, value)


def establishment_for_alias(session: Session, kind: str, value: str) -> Establishment:
    alias = session.scalar(
        select(EstablishmentAlias).where(
            EstablishmentAlias.kind == kind, EstablishmentAlias.value == value
        )
    )
    if alias is None:
        code = value[:64] if kind == "explicit" else establishment_code_of(value)
        insert_ignore(
            session,
            Establishment,
            {"code": code, "name": None if kind == "explicit" else value, "created_at": now()},
        )
        establishment = session.scalars(
            select(Establishment).where(Establishment.code == code)
        ).one()
        insert_ignore(
            session,
            EstablishmentAlias,
            {"kind": kind, "value": value, "establishment_id": establishment.id},
        )
        alias = session.scalars(
            select(EstablishmentAlias).where(
                EstablishmentAlias.kind == kind, EstablishmentAlias.value == value
            )
        ).one()
    found = session.get(Establishment, alias.establishment_id)
    if found is None:  # pragma: no cover - foreign key
        raise LedgerError(f"establishment alias {alias.id} points nowhere")
    return found


# --------------------------------------------------------------------------- pseudonym


def pseudonym_key(settings: Settings) -> bytes:
    """The HMAC key: the setting, else a random key kept in ``<data_dir>/pseudonym.key``."""
    if settings.pseudonym_key:
        return settings.pseudonym_key.encode()
    path = settings.data_dir / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    key = Path(path).read_text().strip()
    if not key:
        raise ConfigurationError(f"pseudonym key file {path} is empty")
    return key.encode()


def pseudonym(key: bytes, issuer: str, value: str) -> str:
    """HMAC-SHA256 of an issuer-qualified identifier (never a bare hash of a low-entropy ID)."""
    return hmac.new(key, f"{issuer}\x1f{value}".encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- person


@dataclass(frozen=True, slots=True)
class QualifiedId:
    issuer: str
    value: str = ""
    kind: str = "local"  # ins | local | study

    def __repr__(self) -> str:  # never print the identifier value
        return f"QualifiedId(issuer={self.issuer!r}, kind={self.kind!r})"


def _ins_oid(identifier: PatientIdentifier) -> str | None:
    for candidate in (identifier.issuer_universal_id, identifier.issuer):
        if candidate and candidate.strip() in INS_OIDS:
            return candidate.strip()
    return None


def qualified_ids(
    patient: PatientFacts, establishment_code: str, study_instance_uid: str
) -> list[QualifiedId]:
    """The object's identifiers, INS first, then the issuer-qualified local ID."""
    ids: list[QualifiedId] = []
    candidates = [*patient.other_ids]
    if patient.patient_id is not None:
        candidates.insert(0, patient.patient_id)
    for identifier in candidates:
        oid = _ins_oid(identifier)
        if oid is not None and identifier.value.strip():
            qid = QualifiedId(f"INS:{oid}", identifier.value.strip()[:200], "ins")
            if qid not in ids:
                ids.append(qid)
    local = patient.patient_id
    if local is not None and local.value.strip() and _ins_oid(local) is None:
        if local.issuer_universal_id:
            issuer = f"OID:{local.issuer_universal_id.strip()}"
        elif local.issuer:
            issuer = f"ISSUER:{local.issuer.strip()}"
        else:
            issuer = f"EST:{establishment_code}"
        ids.append(QualifiedId(issuer[:200], local.value.strip()[:200], "local"))
    if not ids:
        # no usable identifier: the study is its own person (never merged with anyone)
        ids.append(QualifiedId("STUDY", study_instance_uid, "study"))
    return ids


def _identifier_rows(session: Session, ids: list[QualifiedId]) -> dict[QualifiedId, int]:
    found: dict[QualifiedId, int] = {}
    for qid in ids:
        person_id = session.scalar(
            select(PatientIdentifierRow.person_id).where(
                PatientIdentifierRow.issuer == qid.issuer, PatientIdentifierRow.value == qid.value
            )
        )
        if person_id is not None:
            found[qid] = person_id
    return found


def _live(session: Session, person_id: int) -> int:
    """Follow ``merged_into`` to the surviving person."""
    seen = set()
    while True:
        merged = session.scalar(select(Person.merged_into_id).where(Person.id == person_id))
        if merged is None or person_id in seen:
            return person_id
        seen.add(person_id)
        person_id = merged


def resolve_person(
    session: Session,
    key: bytes,
    patient: PatientFacts,
    establishment_code: str,
    study_instance_uid: str,
    findings: list[Finding],
) -> tuple[int, int]:
    """``(person_id, identifier_id)`` of the object's patient, creating them when new."""
    ids = qualified_ids(patient, establishment_code, study_instance_uid)
    if ids[0].kind == "study":
        findings.append(
            Finding(
                FindingCode.IDENTITY_NO_PATIENT_ID,
                "no Patient ID: the study is recorded as its own person",
                "(0010,0020)",
            )
        )
    found = _identifier_rows(session, ids)
    if found:
        persons = {qid: _live(session, pid) for qid, pid in found.items()}
        chosen = next(persons[q] for q in ids if q in persons)  # INS first
        if len(set(persons.values())) > 1:
            findings.append(
                Finding(
                    FindingCode.IDENTITY_CONFLICT,
                    "the object's identifiers belong to different persons; recorded under the "
                    "person of its "
                    + ("INS" if ids[0].kind == "ins" and ids[0] in persons else "first identifier")
                    + "; link them manually if they are the same person",
                )
            )
    else:
        first = ids[0]
        insert_ignore(
            session,
            Person,
            {
                "pseudonym": pseudonym(key, first.issuer, first.value),
                "sex": patient.sex,
                "birth_date": patient.birth_date,
                "created_at": now(),
            },
        )
        chosen = session.scalars(
            select(Person.id).where(Person.pseudonym == pseudonym(key, first.issuer, first.value))
        ).one()
        chosen = _live(session, chosen)
    for qid in ids:
        if qid not in found:
            insert_ignore(
                session,
                PatientIdentifierRow,
                {
                    "person_id": chosen,
                    "issuer": qid.issuer,
                    "value": qid.value,
                    "kind": qid.kind,
                    "created_at": now(),
                },
            )
    # the identifier the study is linked through: the local one when present (unlink moves it)
    link = next((q for q in ids if q.kind != "ins"), ids[0])
    identifier_id = session.scalars(
        select(PatientIdentifierRow.id).where(
            PatientIdentifierRow.issuer == link.issuer, PatientIdentifierRow.value == link.value
        )
    ).one()
    return chosen, identifier_id


# --------------------------------------------------------------------------- link / unlink


def audit(
    session: Session,
    action: str,
    target_type: str,
    target_id: str,
    reason: str,
    actor: str,
    details: dict[str, Any],
) -> None:
    session.add(
        AuditEvent(
            at=now(),
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            details=details,
        )
    )


def link_persons(session: Session, keep_id: int, merge_id: int, reason: str, actor: str) -> None:
    """Declare two persons the same: ``merge_id``'s identifiers and studies move to ``keep_id``."""
    if not reason.strip():
        raise LedgerError("a link needs a reason")
    keep, merge = _live(session, keep_id), _live(session, merge_id)
    if session.get(Person, keep) is None or session.get(Person, merge) is None:
        missing = keep_id if session.get(Person, keep) is None else merge_id
        raise LedgerError(f"unknown person {missing}")
    if keep == merge:
        raise LedgerError(f"persons {keep_id} and {merge_id} are already the same person")
    moved_ids = session.execute(
        update(PatientIdentifierRow)
        .where(PatientIdentifierRow.person_id == merge)
        .values(person_id=keep)
    )
    moved_studies = session.execute(
        update(Study).where(Study.person_id == merge).values(person_id=keep)
    )
    session.execute(update(Person).where(Person.id == merge).values(merged_into_id=keep))
    audit(
        session,
        "person.link",
        "person",
        str(keep),
        reason,
        actor,
        {
            "merged_person": merge,
            "identifiers_moved": moved_ids.rowcount,  # type: ignore[attr-defined]
            "studies_moved": moved_studies.rowcount,  # type: ignore[attr-defined]
        },
    )


def unlink_identifier(
    session: Session, key: bytes, identifier_id: int, reason: str, actor: str
) -> int:
    """Detach one identifier (and the studies recorded through it) into a new person."""
    if not reason.strip():
        raise LedgerError("an unlink needs a reason")
    row = session.get(PatientIdentifierRow, identifier_id)
    if row is None:
        raise LedgerError(f"unknown patient identifier {identifier_id}")
    old_person = row.person_id
    others = session.scalars(
        select(PatientIdentifierRow.id).where(
            PatientIdentifierRow.person_id == old_person, PatientIdentifierRow.id != row.id
        )
    ).all()
    if not others:
        raise LedgerError(f"identifier {identifier_id} is the only one of person {old_person}")
    salt = secrets.token_hex(8)
    person = Person(
        pseudonym=pseudonym(key, row.issuer, f"{row.value}\x1funlink:{salt}"),
        created_at=now(),
    )
    session.add(person)
    session.flush()
    row.person_id = person.id
    moved = session.execute(
        update(Study)
        .where(Study.person_id == old_person, Study.identifier_id == row.id)
        .values(person_id=person.id)
    )
    audit(
        session,
        "person.unlink",
        "patient_identifier",
        str(identifier_id),
        reason,
        actor,
        {
            "from_person": old_person,
            "new_person": person.id,
            "studies_moved": moved.rowcount,  # type: ignore[attr-defined]
        },
    )
    return person.id
