"""Ingest fixtures: the ledger fixtures (every test on SQLite and on PostgreSQL)."""

from __future__ import annotations

from tests.ledger.conftest import (  # noqa: F401 - re-exported fixtures
    backend,
    database_url,
    engine,
    ingestor,
    make_ingestor,
    new_database,
    settings,
)
