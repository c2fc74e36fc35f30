"""Alembic environment: run migrations on the engine given by ``dosewatch.ledger.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from dosewatch.ledger import auth_models  # noqa: F401 - registers the account tables
from dosewatch.ledger.db import make_engine
from dosewatch.ledger.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    config = context.config
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not used
    raise SystemExit("dosewatch migrations run online only")
run_migrations_online()
