"""NRD fixtures: the ledger fixtures (SQLite and PostgreSQL) plus a few ledger rows."""

from __future__ import annotations

from tests.ledger.conftest import (  # noqa: F401 - re-exported fixtures
    backend,
    database_url,
    engine,
    ingestor,
    new_database,
    settings,
)
