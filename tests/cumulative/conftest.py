"""The ledger fixtures (SQLite and PostgreSQL) for the cumulative tests."""

from tests.ledger.conftest import (  # noqa: F401 - pytest fixtures
    backend,
    database_url,
    engine,
    ingestor,
    make_ingestor,
    new_database,
    settings,
)
