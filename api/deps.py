"""Request-scoped dependencies (``Annotated`` aliases): the database session, settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from api.config import ServiceSettings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; routes commit what they write (audit rows included) before
    answering, anything uncommitted is rolled back when the request ends."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


def get_settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[ServiceSettings, Depends(get_settings)]

#: a row id in a path: positive and within a 32-bit INTEGER column (SQLite and PostgreSQL)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
