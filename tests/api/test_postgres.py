"""The service on PostgreSQL (the production database): the authorization matrix over a
fresh schema, and a lost database connection answered 503 (problem+json) then recovered.
Skipped locally without a server, required under CI (``tests/ledger/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Mode, ServiceSettings
from dosewatch.ledger import accounts, db
from tests.api.conftest import build_world
from tests.api.test_authorization_matrix import run_matrix
from tests.ledger.conftest import _libpq, new_database, postgres_base_url

pytestmark = pytest.mark.postgres
__all__ = ["new_database"]  # the fixture of tests/ledger, used here


@pytest.fixture
def pg_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def backend() -> str:  # the new_database factory of tests/ledger, PostgreSQL only
    return "postgresql"


def test_matrix_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    world = build_world(tmp_path, pg_url)
    with TestClient(world.app) as client:
        run_matrix(client, world)
    world.app.state.engine.dispose()


@pytest.fixture
def tagged_app(tmp_path: Path, pg_url: str) -> Iterator[tuple[TestClient, str, str]]:
    tag = f"dw-{tmp_path.name[-12:]}"
    url = f"{pg_url}&application_name={tag}"
    settings = ServiceSettings(data_dir=tmp_path, database_url=url, mode=Mode.DEVELOPMENT)
    app = create_app(settings)  # the service's own engine: no pre-ping round trip
    with db.transaction(app.state.sessions) as session:
        user = accounts.create_user(session, "ops", "admin", [])
        token = accounts.issue_token(session, user, "tests")
    with TestClient(app) as client:
        yield client, token, tag
    app.state.engine.dispose()


def test_lost_connection_is_503_then_recovers(tagged_app: tuple[TestClient, str, str]) -> None:
    client, token, tag = tagged_app
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    with psycopg.connect(_libpq(postgres_base_url()), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (tag,),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    lost = client.get("/api/me", headers=headers)
    assert lost.status_code == 503, lost.text
    assert lost.headers["content-type"] == "application/problem+json"
    assert lost.headers["retry-after"] == "1"
    assert lost.json()["title"] == "database.unavailable"
    assert client.get("/api/me", headers=headers).status_code == 200
