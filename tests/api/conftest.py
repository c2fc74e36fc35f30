"""Service fixtures: a real SQLite ledger with two establishments, one user per role
attached to establishment A (admin: regional), an API token for each, and the app.

Person P has two studies at A (built reports) and one at B plus a real CT RDSR at A (with
estimates, for ``explain``); person Q has one study at B only. Carol (the alert scenario of
``tests.cumulative.scenario``, real RDSR bytes) has two fluoroscopy procedures at A (Ka,r
6 Gy, then a repeat 40 days later: SRDL and repeat alerts, skin follow-up) and two chest
CTs at B (repeat-CT and cumulative-E alerts). The ingest runs with the alert hook, as the
service and the CLI do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.config import Mode, ServiceSettings
from dosewatch.cumulative import alerts
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import accounts, db
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.auth_models import Role
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import Establishment, EstimateRow, EventRow, Person, Study
from dosewatch.nrd.store import on_study_recorded
from tests.cumulative import scenario
from tests.ledger import builders as b

DATA = Path(__file__).resolve().parents[1] / "data" / "openrem"
CT_SAMPLE = DATA / "CT-RDSR-Siemens_Flash-TAP-SS.dcm"
INS_P = "1840175123456"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class World:
    app: FastAPI
    settings: ServiceSettings
    tokens: dict[Role, str]
    usernames: dict[Role, str]
    est_a: int
    est_b: int
    person_p: int
    person_q: int
    study_a: str
    study_b: str
    study_q: str
    event_a: int
    event_b: int
    estimate_a: int
    estimate_b: int | None
    pseudonym_q: str
    person_carol: int
    alert_a: int  # an alert routed to establishment A (Carol's Ka,r)
    alert_b: int  # an alert routed to establishment B (Carol's repeat CT)
    carol_studies_b: tuple[str, ...]  # her CT studies at B


def build_world(data_dir: Path, database_url: str | None = None) -> World:
    settings = ServiceSettings(
        data_dir=data_dir,
        database_url=database_url,
        mode=Mode.DEVELOPMENT,
        pseudonym_key="test-key-not-secret",
        login_max_failures=3,
    )
    engine = db.make_engine(settings.effective_database_url())
    db.upgrade(engine)
    ingestor = Ingestor(
        settings, engine, on_recorded=alerts.on_recorded, on_study_recorded=on_study_recorded
    )
    p = b.patient("LOC-P", issuer="HOSP", ins=INS_P)
    q = b.patient("LOC-Q", issuer="HOSP")
    reports = [
        (b.report("1.2.3.1", "1.2.3.100", (b.ct_event("1.2.3.1.1", 500.0),), who=p), "EST_A"),
        (b.report("1.2.3.2", "1.2.3.101", (b.ct_event("1.2.3.2.1", 300.0),), who=p), "EST_A"),
        (b.report("1.2.3.3", "1.2.3.200", (b.ct_event("1.2.3.3.1", 800.0),), who=p), "EST_B"),
        (b.report("1.2.3.4", "1.2.3.300", (b.ct_event("1.2.3.4.1", 900.0),), who=q), "EST_B"),
    ]
    for report, establishment in reports:
        outcome = ingestor.record(b.prepared(report), b.source(establishment))
        assert outcome.status == "recorded", outcome
    outcome = ingestor.ingest_path(CT_SAMPLE, SourceInfo("ct", establishment="EST_A"))
    assert outcome.status == "recorded", outcome
    for name, data in sorted(scenario.carol_files().items()):
        site = "EST_A" if name.startswith("rf") else "EST_B"
        outcome = ingestor.ingest_bytes(data, SourceInfo(name, establishment=site))
        assert outcome.status in ("recorded", "duplicate"), outcome
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        est = {e.code: e.id for e in session.scalars(select(Establishment)).all()}
        study = {s.study_instance_uid: s for s in session.scalars(select(Study)).all()}
        person_p = study["1.2.3.100"].person_id
        person_q = study["1.2.3.300"].person_id
        event_id = {
            uid: session.scalar(
                select(EventRow.id).where(EventRow.study_id == study[uid].id).limit(1)
            )
            for uid in ("1.2.3.100", "1.2.3.200")
        }
        estimate_a = session.scalar(select(EstimateRow.id).limit(1))
        assert estimate_a is not None, "the CT sample gave no estimate"
        pseudonym_q = session.get(Person, person_q).pseudonym  # type: ignore[union-attr]
        alert_site = dict(
            session.execute(select(AlertRow.rule_id, AlertRow.id).where(AlertRow.active)).all()
        )
        person_carol = study[scenario.uid("rf1")].person_id
        tokens: dict[Role, str] = {}
        usernames: dict[Role, str] = {}
        for role in Role:
            scope = [] if role is Role.ADMIN else ["EST_A"]
            name = f"user-{role.value}"
            user = accounts.create_user(session, name, role, scope, PASSWORD)
            tokens[role] = accounts.issue_token(session, user, "tests")
            usernames[role] = name
    app = create_app(settings, engine)
    return World(
        app=app,
        settings=settings,
        tokens=tokens,
        usernames=usernames,
        est_a=est["EST_A"],
        est_b=est["EST_B"],
        person_p=person_p,
        person_q=person_q,
        study_a="1.2.3.100",
        study_b="1.2.3.200",
        study_q="1.2.3.300",
        event_a=int(event_id["1.2.3.100"] or 0),
        event_b=int(event_id["1.2.3.200"] or 0),
        estimate_a=int(estimate_a),
        estimate_b=None,
        pseudonym_q=pseudonym_q,
        person_carol=person_carol,
        alert_a=alert_site["srdl_ka_r"],
        alert_b=alert_site["repeat_ct_region"],
        carol_studies_b=(scenario.uid("ct1"), scenario.uid("ct2")),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("service"))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app) as test_client:
        yield test_client
