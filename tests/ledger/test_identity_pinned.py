"""The identity rules of :mod:`dosewatch.ledger.identity`, function by function.

Pinned by value: the INS OIDs (ANS, Référentiel INS: 1.2.250.1.213.1.4.8 NIR-based INS,
.9 NIA-based INS, .10 and .11 their test counterparts), the issuer qualification order
(INS, Universal Entity ID, Issuer of Patient ID, sending establishment, the study), the
establishment source mapping, the pseudonym HMAC, and every finding and audit record.
"""

from __future__ import annotations

import hashlib
import hmac
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import ConfigurationError, LedgerError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import PatientFacts, PatientIdentifier
from dosewatch.ledger import identity
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import QualifiedId, SourceInfo
from dosewatch.ledger.models import (
    AuditEvent,
    Establishment,
    EstablishmentAlias,
    PatientIdentifierRow,
    Person,
    Study,
)
from dosewatch.settings import Settings

NIR = "1.2.250.1.213.1.4.8"
KEY = b"k"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


def _settings(tmp_path: Path, mode: str = "institution_name", key: str | None = "k") -> Settings:
    return Settings(
        data_dir=tmp_path / "d",
        database_url="sqlite://",
        pseudonym_key=key,
        establishment_source=mode,
    )


# --------------------------------------------------------------------------- establishment


def test_constants() -> None:
    nir, nia, nir_test, nia_test = (f"1.2.250.1.213.1.4.{n}" for n in (8, 9, 10, 11))
    assert frozenset({nir, nia, nir_test, nia_test}) == identity.INS_OIDS
    assert identity.ESTABLISHMENT_SOURCES == ("institution_name", "calling_ae", "explicit")
    assert identity.UNKNOWN_ESTABLISHMENT == "UNKNOWN"


def test_establishment_code_of() -> None:
    assert identity.establishment_code_of("CH de l'Est") == "CH_DE_L_EST"
    assert identity.establishment_code_of("  --Clinique 2 / Nord--  ") == "CLINIQUE_2_NORD"
    assert identity.establishment_code_of("ab") == "AB"
    assert identity.establishment_code_of(" -/- ") == "UNKNOWN"
    assert identity.establishment_code_of("") == "UNKNOWN"
    assert identity.establishment_code_of("x" * 70) == "X" * 64


def _aliases(session: Session) -> list[tuple[str, str, str, str | None]]:
    rows = session.execute(
        select(
            EstablishmentAlias.kind,
            EstablishmentAlias.value,
            Establishment.code,
            Establishment.name,
        )
        .join(Establishment, Establishment.id == EstablishmentAlias.establishment_id)
        .order_by(EstablishmentAlias.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_establishment_from_institution_name(session: Session, tmp_path: Path) -> None:
    findings: list[Finding] = []
    settings = _settings(tmp_path)
    found = identity.resolve_establishment(
        session, settings, SourceInfo(calling_ae="AE1"), "  CH de l'Est ", findings
    )
    assert (found.code, found.name) == ("CH_DE_L_EST", "CH de l'Est")
    again = identity.resolve_establishment(session, settings, SourceInfo(), "CH de l'Est", findings)
    assert again.id == found.id
    assert findings == []
    assert _aliases(session) == [("institution_name", "CH de l'Est", "CH_DE_L_EST", "CH de l'Est")]
    assert found.created_at is not None


def test_establishment_from_the_calling_ae(session: Session, tmp_path: Path) -> None:
    findings: list[Finding] = []
    settings = _settings(tmp_path, "calling_ae")
    found = identity.resolve_establishment(
        session, settings, SourceInfo(calling_ae="CT_SCAN-1"), "Ignored", findings
    )
    assert (found.code, found.name) == ("CT_SCAN_1", "CT_SCAN-1")
    assert _aliases(session) == [("calling_ae", "CT_SCAN-1", "CT_SCAN_1", "CT_SCAN-1")]
    assert findings == []


def test_an_explicit_establishment_wins_and_keeps_its_code(
    session: Session, tmp_path: Path
) -> None:
    findings: list[Finding] = []
    for mode in ("institution_name", "calling_ae", "explicit"):
        found = identity.resolve_establishment(
            session,
            _settings(tmp_path, mode),
            SourceInfo(calling_ae="AE1", establishment="est-a b"),
            "Hopital",
            findings,
        )
        assert (found.code, found.name) == ("est-a b", None)  # not normalised
    assert _aliases(session) == [("explicit", "est-a b", "est-a b", None)]
    long = identity.resolve_establishment(
        session, _settings(tmp_path), SourceInfo(establishment="E" * 250), None, findings
    )
    assert long.code == "E" * 64
    assert _aliases(session)[-1] == ("explicit", "E" * 200, "E" * 64, None)
    assert findings == []


def test_an_institution_name_is_cut_to_200_characters(session: Session, tmp_path: Path) -> None:
    found = identity.resolve_establishment(
        session, _settings(tmp_path), SourceInfo(), " " + "n" * 250, []
    )
    assert (found.code, found.name) == ("N" * 64, "n" * 200)


@pytest.mark.parametrize(
    ("mode", "source", "institution", "what"),
    [
        ("institution_name", SourceInfo(calling_ae="AE"), None, "institution name"),
        ("institution_name", SourceInfo(), "   ", "institution name"),
        ("calling_ae", SourceInfo(), "Hopital", "calling ae"),
        ("calling_ae", SourceInfo(calling_ae=" "), "Hopital", "calling ae"),
    ],
)
def test_nothing_to_identify_the_establishment_is_unknown_with_a_finding(
    session: Session,
    tmp_path: Path,
    mode: str,
    source: SourceInfo,
    institution: str | None,
    what: str,
) -> None:
    findings: list[Finding] = []
    found = identity.resolve_establishment(
        session, _settings(tmp_path, mode), source, institution, findings
    )
    assert (found.code, found.name) == ("UNKNOWN", None)
    assert findings == [
        Finding(
            FindingCode.IDENTITY_ESTABLISHMENT_UNKNOWN,
            f"no {what} to identify the establishment; recorded under UNKNOWN",
        )
    ]
    assert _aliases(session) == [("explicit", "UNKNOWN", "UNKNOWN", None)]


def test_establishment_source_misconfigured(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as bad:
        identity.resolve_establishment(
            session, _settings(tmp_path, "aetitle"), SourceInfo(establishment="A"), "H", []
        )
    assert str(bad.value) == (
        "establishment_source 'aetitle' is not one of institution_name, calling_ae, explicit"
    )
    with pytest.raises(ConfigurationError) as missing:
        identity.resolve_establishment(
            session, _settings(tmp_path, "explicit"), SourceInfo(), "H", []
        )
    assert str(missing.value) == "establishment_source is 'explicit' but no establishment given"


# --------------------------------------------------------------------------- pseudonym


def test_pseudonym_is_the_hmac_of_the_qualified_identifier() -> None:
    expected = hmac.new(b"secret", b"EST:A\x1fP1", hashlib.sha256).hexdigest()
    assert identity.pseudonym(b"secret", "EST:A", "P1") == expected
    assert identity.pseudonym(b"other", "EST:A", "P1") != expected
    assert len(expected) == 64


def test_pseudonym_key_from_the_setting_else_a_private_file(tmp_path: Path) -> None:
    assert identity.pseudonym_key(_settings(tmp_path, key="abc")) == b"abc"
    settings = _settings(tmp_path, key=None)
    key = identity.pseudonym_key(settings)
    path = tmp_path / "d" / "pseudonym.key"
    assert path.read_text().encode() == key
    assert len(key) == 64 and int(key, 16) >= 0  # 32 random bytes, hex
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert identity.pseudonym_key(settings) == key  # kept
    path.write_text(" \n")
    with pytest.raises(ConfigurationError) as empty:
        identity.pseudonym_key(settings)
    assert str(empty.value) == f"pseudonym key file {path} is empty"
    path.write_text("  fixed-key\n")
    assert identity.pseudonym_key(settings) == b"fixed-key"


# --------------------------------------------------------------------------- qualified ids


def _pid(value: str, **kw: str) -> PatientIdentifier:
    return PatientIdentifier(value, **kw)


def test_qualified_id_repr_hides_the_value() -> None:
    qid = QualifiedId("EST:A", "P-SECRET", "local")
    assert repr(qid) == "QualifiedId(issuer='EST:A', kind='local')"
    assert QualifiedId("X") == QualifiedId("X", "", "local")


def test_ins_oid_from_the_universal_id_else_the_issuer() -> None:
    assert identity._ins_oid(_pid("1", issuer_universal_id=f" {NIR} ")) == NIR
    assert identity._ins_oid(_pid("1", issuer="1.2.250.1.213.1.4.10")) == "1.2.250.1.213.1.4.10"
    both = _pid("1", issuer_universal_id="1.2.3", issuer="1.2.250.1.213.1.4.9")
    assert identity._ins_oid(both) == "1.2.250.1.213.1.4.9"
    assert identity._ins_oid(_pid("1", issuer_universal_id="1.2.250.1.213.1.4")) is None
    assert identity._ins_oid(_pid("1", issuer="HOSP")) is None
    assert identity._ins_oid(_pid("1")) is None


def test_qualified_ids_ins_first_then_the_qualified_local_id() -> None:
    patient = PatientFacts(
        patient_id=_pid(" L1 ", issuer="HOSP", issuer_universal_id=" 1.2.3.4 "),
        other_ids=(
            _pid(" 184 ", issuer_universal_id=NIR),
            _pid("184", issuer=NIR),  # the same INS twice: once
            _pid("999", issuer="OTHER"),  # not an INS: not used
            _pid("  ", issuer_universal_id=NIR),  # empty: not used
        ),
    )
    assert identity.qualified_ids(patient, "EST", "9.1") == [
        QualifiedId(f"INS:{NIR}", "184", "ins"),
        QualifiedId("OID:1.2.3.4", "L1", "local"),
    ]


def test_the_local_id_is_qualified_by_oid_else_issuer_else_establishment() -> None:
    def ids(pid: PatientIdentifier | None) -> list[QualifiedId]:
        return identity.qualified_ids(PatientFacts(patient_id=pid), "EST_A", "9.1")

    assert ids(_pid("P1", issuer=" GHT ")) == [QualifiedId("ISSUER:GHT", "P1", "local")]
    assert ids(_pid("P1")) == [QualifiedId("EST:EST_A", "P1", "local")]
    assert ids(_pid("P" * 250, issuer="I" * 250)) == [
        QualifiedId(("ISSUER:" + "I" * 250)[:200], "P" * 200, "local")
    ]
    # a Patient ID issued by an INS OID is the INS, not a local ID
    assert ids(_pid(" 184 ", issuer_universal_id=NIR)) == [QualifiedId(f"INS:{NIR}", "184", "ins")]
    assert ids(_pid("1" * 250, issuer=NIR)) == [QualifiedId(f"INS:{NIR}", "1" * 200, "ins")]
    # no usable identifier: the study is its own person
    assert ids(None) == [QualifiedId("STUDY", "9.1", "study")]
    assert ids(_pid("   ")) == [QualifiedId("STUDY", "9.1", "study")]
    only_other = PatientFacts(other_ids=(_pid("184", issuer=NIR),))
    assert identity.qualified_ids(only_other, "E", "9.1") == [
        QualifiedId(f"INS:{NIR}", "184", "ins")
    ]


# --------------------------------------------------------------------------- persons


def _identifiers(session: Session) -> list[tuple[int, str, str, str]]:
    rows = session.execute(
        select(
            PatientIdentifierRow.person_id,
            PatientIdentifierRow.issuer,
            PatientIdentifierRow.value,
            PatientIdentifierRow.kind,
        ).order_by(PatientIdentifierRow.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _identifier_id(session: Session, issuer: str, value: str) -> int:
    return session.scalars(
        select(PatientIdentifierRow.id).where(
            PatientIdentifierRow.issuer == issuer, PatientIdentifierRow.value == value
        )
    ).one()


def test_a_new_person_is_created_with_its_pseudonym_and_identifiers(session: Session) -> None:
    facts = PatientFacts(
        patient_id=_pid("L1", issuer="HOSP"),
        other_ids=(_pid("184", issuer_universal_id=NIR),),
        sex="F",
        birth_date=date(1960, 5, 1),
    )
    findings: list[Finding] = []
    person_id, identifier_id = identity.resolve_person(session, KEY, facts, "E", "9.1", findings)
    person = session.get(Person, person_id)
    assert person is not None
    assert person.pseudonym == identity.pseudonym(KEY, f"INS:{NIR}", "184")  # the first id
    assert (person.sex, person.birth_date, person.merged_into_id) == ("F", date(1960, 5, 1), None)
    assert person.created_at is not None
    assert _identifiers(session) == [
        (person_id, f"INS:{NIR}", "184", "ins"),
        (person_id, "ISSUER:HOSP", "L1", "local"),
    ]
    # the study is linked through the local identifier (an unlink moves it)
    assert identifier_id == _identifier_id(session, "ISSUER:HOSP", "L1")
    assert findings == []
    # the same patient again: the same person and identifier, nothing added
    assert identity.resolve_person(session, KEY, facts, "E", "9.2", findings) == (
        person_id,
        identifier_id,
    )
    assert len(_identifiers(session)) == 2
    assert findings == []


def test_an_ins_only_patient_is_linked_through_the_ins(session: Session) -> None:
    facts = PatientFacts(patient_id=_pid("184", issuer=NIR))
    person_id, identifier_id = identity.resolve_person(session, KEY, facts, "E", "9.1", [])
    assert identifier_id == _identifier_id(session, f"INS:{NIR}", "184")
    assert _identifiers(session) == [(person_id, f"INS:{NIR}", "184", "ins")]


def test_no_patient_id_is_its_own_person_with_a_finding(session: Session) -> None:
    findings: list[Finding] = []
    a, _ = identity.resolve_person(session, KEY, PatientFacts(), "E", "9.1", findings)
    b, _ = identity.resolve_person(session, KEY, PatientFacts(), "E", "9.2", findings)
    assert a != b
    assert (
        findings
        == [
            Finding(
                FindingCode.IDENTITY_NO_PATIENT_ID,
                "no Patient ID: the study is recorded as its own person",
                "(0010,0020)",
            )
        ]
        * 2
    )
    assert _identifiers(session) == [(a, "STUDY", "9.1", "study"), (b, "STUDY", "9.2", "study")]


def test_a_new_identifier_joins_the_known_person(session: Session) -> None:
    local = PatientFacts(patient_id=_pid("L1", issuer="HOSP"))
    person_id, _ = identity.resolve_person(session, KEY, local, "E", "9.1", [])
    both = PatientFacts(patient_id=_pid("L1", issuer="HOSP"), other_ids=(_pid("184", issuer=NIR),))
    findings: list[Finding] = []
    assert identity.resolve_person(session, KEY, both, "E", "9.2", findings)[0] == person_id
    assert findings == []
    assert _identifiers(session) == [
        (person_id, "ISSUER:HOSP", "L1", "local"),
        (person_id, f"INS:{NIR}", "184", "ins"),
    ]
    assert session.scalar(select(Person.id).where(Person.id != person_id)) is None


def _conflict(what: str) -> Finding:
    return Finding(
        FindingCode.IDENTITY_CONFLICT,
        "the object's identifiers belong to different persons; recorded under the person of "
        f"its {what}; link them manually if they are the same person",
    )


def test_identifiers_of_two_persons_the_ins_wins_with_a_finding(session: Session) -> None:
    by_ins, _ = identity.resolve_person(
        session, KEY, PatientFacts(other_ids=(_pid("184", issuer=NIR),)), "E", "9.1", []
    )
    by_local, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L1", issuer="HOSP")), "E", "9.2", []
    )
    assert by_ins != by_local
    # local id first in the object: the INS still wins
    both = PatientFacts(patient_id=_pid("L1", issuer="HOSP"), other_ids=(_pid("184", issuer=NIR),))
    findings: list[Finding] = []
    chosen, identifier_id = identity.resolve_person(session, KEY, both, "E", "9.3", findings)
    assert chosen == by_ins
    assert findings == [_conflict("INS")]
    # the identifiers stay where they are (never an automatic merge)
    assert identifier_id == _identifier_id(session, "ISSUER:HOSP", "L1")
    assert len(_identifiers(session)) == 2
    assert session.get(Person, by_local) is not None
    assert session.get(Person, by_local).merged_into_id is None  # type: ignore[union-attr]


def test_identifiers_of_two_persons_with_an_unknown_first_ins(session: Session) -> None:
    by_ins, _ = identity.resolve_person(
        session, KEY, PatientFacts(other_ids=(_pid("185", issuer=NIR),)), "E", "9.1", []
    )
    by_local, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L1", issuer="HOSP")), "E", "9.2", []
    )
    # its first INS is new, its second INS and its local ID belong to two persons
    facts = PatientFacts(
        patient_id=_pid("L1", issuer="HOSP"),
        other_ids=(_pid("184", issuer=NIR), _pid("185", issuer=NIR)),
    )
    findings: list[Finding] = []
    chosen, _ = identity.resolve_person(session, KEY, facts, "E", "9.3", findings)
    assert chosen == by_ins  # the first identifier of the object that is known
    assert findings == [_conflict("first identifier")]
    # the new INS joins the chosen person
    assert _identifiers(session)[-1] == (by_ins, f"INS:{NIR}", "184", "ins")
    assert by_local != by_ins


def test_a_merged_person_is_followed_to_the_survivor(session: Session) -> None:
    a, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L1", issuer="HOSP")), "E", "9.1", []
    )
    b, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L2", issuer="HOSP")), "E", "9.2", []
    )
    c, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L3", issuer="HOSP")), "E", "9.3", []
    )
    # a -> b -> c merged by hand (without moving identifiers)
    session.get(Person, a).merged_into_id = b  # type: ignore[union-attr]
    session.get(Person, b).merged_into_id = c  # type: ignore[union-attr]
    session.flush()
    assert identity._live(session, a) == c
    assert identity._live(session, c) == c
    findings: list[Finding] = []
    again = PatientFacts(patient_id=_pid("L1", issuer="HOSP"))
    assert identity.resolve_person(session, KEY, again, "E", "9.4", findings)[0] == c
    # two identifiers of persons merged into one: not a conflict
    two = PatientFacts(patient_id=_pid("L2", issuer="HOSP"), other_ids=(_pid("184", issuer=NIR),))
    identity.resolve_person(session, KEY, PatientFacts(other_ids=two.other_ids), "E", "9.5", [])
    ins_person = session.scalars(
        select(PatientIdentifierRow.person_id).where(PatientIdentifierRow.value == "184")
    ).one()
    session.get(Person, ins_person).merged_into_id = c  # type: ignore[union-attr]
    session.flush()
    assert identity.resolve_person(session, KEY, two, "E", "9.6", findings)[0] == c
    assert findings == []


def test_live_stops_on_a_merge_cycle(session: Session) -> None:
    a, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L1", issuer="HOSP")), "E", "9.1", []
    )
    b, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("L2", issuer="HOSP")), "E", "9.2", []
    )
    session.get(Person, a).merged_into_id = b  # type: ignore[union-attr]
    session.get(Person, b).merged_into_id = a  # type: ignore[union-attr]
    session.flush()
    assert identity._live(session, a) == a  # back at a person already seen
    assert identity._live(session, b) == b


def test_a_new_person_created_under_a_merged_pseudonym_is_followed(session: Session) -> None:
    # a racing creator's row (same pseudonym) already merged into another person
    facts = PatientFacts(patient_id=_pid("L9", issuer="HOSP"))
    keep, _ = identity.resolve_person(
        session, KEY, PatientFacts(patient_id=_pid("K", issuer="HOSP")), "E", "9.1", []
    )
    racing = Person(
        pseudonym=identity.pseudonym(KEY, "ISSUER:HOSP", "L9"),
        merged_into_id=keep,
        created_at=datetime.now(UTC),
    )
    session.add(racing)
    session.flush()
    person_id, identifier_id = identity.resolve_person(session, KEY, facts, "E", "9.2", [])
    assert person_id == keep
    row = session.get(PatientIdentifierRow, identifier_id)
    assert row is not None and (row.person_id, row.value, row.kind) == (keep, "L9", "local")


# --------------------------------------------------------------------------- link / unlink


def _three_persons(session: Session) -> tuple[int, int, int, list[int]]:
    ids = []
    for value, study in (("L1", "9.1"), ("L2", "9.2"), ("L3", "9.3")):
        facts = PatientFacts(patient_id=_pid(value, issuer="HOSP"))
        ids.append(identity.resolve_person(session, KEY, facts, "E", study, []))
    est = identity.establishment_for_alias(session, "explicit", "E")
    for (person_id, identifier_id), study in zip(ids, ("9.1", "9.2", "9.3"), strict=True):
        session.add(
            Study(
                study_instance_uid=study,
                person_id=person_id,
                identifier_id=identifier_id,
                establishment_id=est.id,
                created_at=datetime.now(UTC),
            )
        )
    session.flush()
    return ids[0][0], ids[1][0], ids[2][0], [i for _, i in ids]


def _audits(session: Session) -> list[tuple[str, str, str, str, str, dict[str, object]]]:
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    for row in rows:
        assert row.at is not None
    return [(r.action, r.target_type, r.target_id, r.reason, r.actor, r.details) for r in rows]


def _person_of_studies(session: Session) -> dict[str, int]:
    rows = session.execute(select(Study.study_instance_uid, Study.person_id)).all()
    return {str(uid): int(person) for uid, person in rows}


def test_link_moves_identifiers_and_studies_and_is_audited(session: Session) -> None:
    a, b, c, _ = _three_persons(session)
    identity.link_persons(session, a, b, "same patient", "alice")
    assert session.get(Person, b).merged_into_id == a  # type: ignore[union-attr]
    assert session.get(Person, a).merged_into_id is None  # type: ignore[union-attr]
    assert _person_of_studies(session) == {"9.1": a, "9.2": a, "9.3": c}
    assert [p for p, *_ in _identifiers(session)] == [a, a, c]
    # linking through the merged person reaches the survivor
    identity.link_persons(session, c, b, "also the same", "bob")
    assert _person_of_studies(session) == {"9.1": c, "9.2": c, "9.3": c}
    assert _audits(session) == [
        (
            "person.link",
            "person",
            str(a),
            "same patient",
            "alice",
            {"merged_person": b, "identifiers_moved": 1, "studies_moved": 1},
        ),
        (
            "person.link",
            "person",
            str(c),
            "also the same",
            "bob",
            {"merged_person": a, "identifiers_moved": 2, "studies_moved": 2},
        ),
    ]


def test_link_refusals(session: Session) -> None:
    a, b, _, _ = _three_persons(session)
    cases: list[tuple[Callable[[], None], str]] = [
        (lambda: identity.link_persons(session, a, b, " \t", "x"), "a link needs a reason"),
        (lambda: identity.link_persons(session, a, 9999, "r", "x"), "unknown person 9999"),
        (lambda: identity.link_persons(session, 9998, b, "r", "x"), "unknown person 9998"),
        (
            lambda: identity.link_persons(session, a, a, "r", "x"),
            f"persons {a} and {a} are already the same person",
        ),
    ]
    for call, message in cases:
        with pytest.raises(LedgerError) as refused:
            call()
        assert str(refused.value) == message
    identity.link_persons(session, a, b, "r", "x")
    with pytest.raises(LedgerError) as same:
        identity.link_persons(session, b, a, "r", "x")
    assert str(same.value) == f"persons {b} and {a} are already the same person"
    assert len(_audits(session)) == 1


def test_unlink_detaches_one_identifier_and_its_studies(session: Session) -> None:
    a, b, _, identifier_ids = _three_persons(session)
    identity.link_persons(session, a, b, "r", "alice")
    old_pseudonyms = set(session.scalars(select(Person.pseudonym)))
    new = identity.unlink_identifier(session, KEY, identifier_ids[1], "wrong link", "bob")
    person = session.get(Person, new)
    assert person is not None and person.merged_into_id is None
    assert person.pseudonym not in old_pseudonyms and len(person.pseudonym) == 64
    assert person.created_at is not None
    assert _person_of_studies(session)["9.2"] == new
    assert _person_of_studies(session)["9.1"] == a
    row = session.get(PatientIdentifierRow, identifier_ids[1])
    assert row is not None and row.person_id == new
    assert _audits(session)[-1] == (
        "person.unlink",
        "patient_identifier",
        str(identifier_ids[1]),
        "wrong link",
        "bob",
        {"from_person": a, "new_person": new, "studies_moved": 1},
    )


def test_unlink_refusals(session: Session) -> None:
    a, _, _, identifier_ids = _three_persons(session)
    cases: list[tuple[int, str, str]] = [
        (identifier_ids[0], " ", "an unlink needs a reason"),
        (9999, "r", "unknown patient identifier 9999"),
        (identifier_ids[0], "r", f"identifier {identifier_ids[0]} is the only one of person {a}"),
    ]
    for identifier_id, reason, message in cases:
        with pytest.raises(LedgerError) as refused:
            identity.unlink_identifier(session, KEY, identifier_id, reason, "x")
        assert str(refused.value) == message
    assert _audits(session) == []


def test_establishment_code_strips_only_separators() -> None:
    assert identity.establishment_code_of("Xenon X") == "XENON_X"
    assert identity.establishment_code_of("_x_") == "X"


def test_each_unlink_gets_a_new_pseudonym(session: Session) -> None:
    a, b, c, identifier_ids = _three_persons(session)
    identity.link_persons(session, a, b, "r", "x")
    identity.link_persons(session, a, c, "r", "x")
    # two identifiers of one issuer, then the same identifier twice (re-linked in between)
    first = identity.unlink_identifier(session, KEY, identifier_ids[1], "r", "x")
    second = identity.unlink_identifier(session, KEY, identifier_ids[2], "r", "x")
    identity.link_persons(session, a, first, "r", "x")
    third = identity.unlink_identifier(session, KEY, identifier_ids[1], "r", "x")
    session.flush()
    pseudonyms = list(session.scalars(select(Person.pseudonym)))
    assert len(pseudonyms) == len(set(pseudonyms)) == 6
    assert len({first, second, third, a}) == 4


def test_unlink_moves_only_the_studies_of_the_identifiers_person(session: Session) -> None:
    # person B: INS 185 and local L1; person A: INS 184. An object with INS 184 and L1 is
    # recorded under A (the INS wins) through the local identifier L1, which is B's.
    est = identity.establishment_for_alias(session, "explicit", "E")
    pairs = {}
    for study, facts in (
        ("9.1", PatientFacts(patient_id=_pid("184", issuer=NIR))),
        (
            "9.2",
            PatientFacts(patient_id=_pid("L1", issuer="H"), other_ids=(_pid("185", issuer=NIR),)),
        ),
        (
            "9.3",
            PatientFacts(patient_id=_pid("L1", issuer="H"), other_ids=(_pid("184", issuer=NIR),)),
        ),
    ):
        person_id, identifier_id = identity.resolve_person(session, KEY, facts, "E", study, [])
        pairs[study] = (person_id, identifier_id)
        session.add(
            Study(
                study_instance_uid=study,
                person_id=person_id,
                identifier_id=identifier_id,
                establishment_id=est.id,
                created_at=datetime.now(UTC),
            )
        )
    session.flush()
    a, b = pairs["9.1"][0], pairs["9.2"][0]
    assert a != b and pairs["9.3"] == (a, pairs["9.2"][1])  # linked through B's identifier
    new = identity.unlink_identifier(session, KEY, pairs["9.2"][1], "wrong", "x")
    assert _person_of_studies(session) == {"9.1": a, "9.2": new, "9.3": a}


def test_an_alias_is_looked_up_by_kind_and_value(session: Session, tmp_path: Path) -> None:
    explicit = identity.establishment_for_alias(session, "explicit", "est a")
    named = identity.establishment_for_alias(session, "institution_name", "est a")
    assert (explicit.code, explicit.name) == ("est a", None)
    assert (named.code, named.name) == ("EST_A", "est a")
    assert identity.establishment_for_alias(session, "explicit", "est a").id == explicit.id


def test_the_key_file_is_made_in_a_new_or_existing_data_directory(tmp_path: Path) -> None:
    nested = Settings(
        data_dir=tmp_path / "a" / "b" / "d", database_url="sqlite://", pseudonym_key=None
    )
    assert len(identity.pseudonym_key(nested)) == 64
    existing = tmp_path / "e"
    existing.mkdir()
    there = Settings(data_dir=existing, database_url="sqlite://", pseudonym_key=None)
    assert len(identity.pseudonym_key(there)) == 64


def test_an_ins_patient_id_comes_before_the_other_ids() -> None:
    facts = PatientFacts(
        patient_id=_pid("184", issuer=NIR), other_ids=(_pid("185", issuer_universal_id=NIR),)
    )
    assert identity.qualified_ids(facts, "E", "9.1") == [
        QualifiedId(f"INS:{NIR}", "184", "ins"),
        QualifiedId(f"INS:{NIR}", "185", "ins"),
    ]
