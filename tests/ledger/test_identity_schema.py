"""Schema migrations, identity (establishment, person, link/unlink) and quarantine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from dosewatch.domain.errors import LedgerError
from dosewatch.ingest.pipeline import Ingestor, prepare_bytes
from dosewatch.ledger import auth_models, identity, repository  # noqa: F401 - account tables
from dosewatch.ledger.db import (
    current_revision,
    head_revision,
    session_factory,
    transaction,
    upgrade,
)
from dosewatch.ledger.models import (
    AuditEvent,
    Base,
    Establishment,
    PatientIdentifierRow,
    Person,
    Quarantine,
    Study,
)
from dosewatch.settings import Settings
from tests.ledger.builders import ct_event, patient, prepared, report, source


def test_upgrading_an_empty_database_reaches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # a second upgrade is a no-op
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert {"irradiation_event", "dose_report", "estimate", "quarantine"} <= set(
        inspect(engine).get_table_names()
    )


def persons(ingestor: Ingestor) -> int:
    with session_factory(ingestor.engine)() as session:
        return repository.stats(session).persons


def test_same_local_id_at_two_establishments_is_two_persons(ingestor: Ingestor) -> None:
    ingestor.record(prepared(report("1.1", "9.1", (ct_event("5.1", 1.0),))), source("EST_A"))
    ingestor.record(prepared(report("1.2", "9.2", (ct_event("5.2", 1.0),))), source("EST_B"))
    assert persons(ingestor) == 2
    with session_factory(ingestor.engine)() as session:
        issuers = sorted(session.scalars(select(PatientIdentifierRow.issuer)).all())
    assert issuers == ["EST:EST_A", "EST:EST_B"]


def test_issuer_of_patient_id_qualifies_across_establishments(ingestor: Ingestor) -> None:
    who = patient("P1", issuer="GHT-NORD")
    ingestor.record(prepared(report("1.1", "9.1", (), who=who)), source("EST_A"))
    ingestor.record(prepared(report("1.2", "9.2", (), who=who)), source("EST_B"))
    assert persons(ingestor) == 1


def test_ins_links_persons_across_sites(ingestor: Ingestor) -> None:
    a = patient("LOCAL-A", ins="1840512345678")
    b = patient("LOCAL-B", ins="1840512345678")
    ingestor.record(prepared(report("1.1", "9.1", (ct_event("5.1", 1.0),), who=a)), source("A"))
    ingestor.record(prepared(report("1.2", "9.2", (ct_event("5.2", 2.0),), who=b)), source("B"))
    assert persons(ingestor) == 1
    with session_factory(ingestor.engine)() as session:
        (person_id,) = repository.find_persons(session, "1840512345678")
        history = repository.history(session, person_id)
    assert sorted(e.establishment for e in history) == ["A", "B"]


def test_establishment_from_institution_name_or_unknown(ingestor: Ingestor) -> None:
    ingestor.record(prepared(report("1.1", "9.1", (), institution="CH de l'Est")), source())
    ingestor.record(prepared(report("1.2", "9.2", (), institution=None)), source())
    with session_factory(ingestor.engine)() as session:
        codes = sorted(session.scalars(select(Establishment.code)).all())
    assert codes == ["CH_DE_L_EST", "UNKNOWN"]


def test_link_and_unlink_are_audited(ingestor: Ingestor, settings: Settings) -> None:
    ingestor.record(prepared(report("1.1", "9.1", (ct_event("5.1", 1.0),))), source("A"))
    ingestor.record(prepared(report("1.2", "9.2", (ct_event("5.2", 1.0),))), source("B"))
    sessions = session_factory(ingestor.engine)
    with sessions() as session:
        a, b = session.scalars(select(Study.person_id).order_by(Study.study_instance_uid)).all()
    try:
        with transaction(sessions) as session:
            identity.link_persons(session, a, b, "  ", "tester")
        raise AssertionError("a link without reason must be refused")
    except LedgerError:
        pass
    with transaction(sessions) as session:
        identity.link_persons(session, a, b, "same patient, checked", "tester")
    assert persons(ingestor) == 1
    with sessions() as session:
        assert len(repository.history(session, a)) == 2
        row_b = session.scalars(
            select(PatientIdentifierRow).where(PatientIdentifierRow.issuer == "EST:B")
        ).one()
    with transaction(sessions) as session:
        new = identity.unlink_identifier(session, ingestor.key, row_b.id, "wrong link", "tester")
    assert persons(ingestor) == 2
    with sessions() as session:
        assert [e.study_instance_uid for e in repository.history(session, new)] == ["9.2"]
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["person.link", "person.unlink"]
        assert session.get(Person, b) is not None  # merged, kept


def test_bad_input_is_quarantined_with_its_file(ingestor: Ingestor, settings: Settings) -> None:
    data = b"not a DICOM object at all" * 10
    item = prepare_bytes(data, "junk.dcm")
    outcome = ingestor.record(item, identity.SourceInfo("junk.dcm"))
    assert outcome.status == "quarantined"
    assert outcome.reason == "input.unreadable"
    again = ingestor.ingest_bytes(data, identity.SourceInfo("junk.dcm"))
    assert again.status == "quarantined"
    with session_factory(ingestor.engine)() as session:
        (row,) = session.scalars(select(Quarantine)).all()
        assert repository.stats(session).quarantined == 1
    assert row.reason_code == "input.unreadable" and row.source == "junk.dcm"
    assert row.stored_path is not None
    kept = settings.quarantine_dir / row.sha256[:2] / f"{row.sha256}.dcm"
    assert str(kept) == row.stored_path and kept.read_bytes() == data
