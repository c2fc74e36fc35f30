"""Ledger fixtures: every database test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL: ``DOSEWATCH_TEST_POSTGRES_URL`` (default the server of this machine,
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets a fresh schema
(``search_path``), dropped afterwards, so parallel runs do not see each other. When ``CI``
is set and the server is unreachable the tests FAIL; locally they are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import Engine

from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import make_engine, upgrade
from dosewatch.settings import Settings

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("DOSEWATCH_TEST_POSTGRES_URL", PG_DEFAULT)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _unreachable(url: str) -> str | None:
    try:
        with psycopg.connect(_libpq(url), connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {url.split('@')[-1]} unreachable: {exc}".strip()
    return None


def _require_postgres() -> str:
    base = postgres_base_url()
    reason = _unreachable(base)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires PostgreSQL: {reason}")
        pytest.skip(reason)
    return base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_database(backend: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of empty databases (SQLite files, or fresh PostgreSQL schemas)."""
    schemas: list[str] = []
    base = _require_postgres() if backend == "postgresql" else ""

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options={quote(f'-csearch_path={name}')}"

    yield make
    if schemas:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            for name in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def make_ingestor(
    new_database: Callable[[], str], tmp_path: Path
) -> Iterator[Callable[[], Ingestor]]:
    """A factory of ingestors, each on its own empty, upgraded database."""
    engines: list[Engine] = []

    def make() -> Ingestor:
        url = new_database()
        settings = Settings(
            data_dir=tmp_path / f"data{len(engines)}", database_url=url, pseudonym_key="k"
        )
        engine = make_engine(url)
        upgrade(engine)
        engines.append(engine)
        return Ingestor(settings, engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, pseudonym_key="k")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.effective_database_url())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def ingestor(settings: Settings, engine: Engine) -> Ingestor:
    return Ingestor(settings, engine)
