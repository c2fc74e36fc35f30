"""Request-scoped dependencies (``Annotated`` aliases): the database session, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.config import ServiceSettings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request; routes commit what they write (audit rows included) before
    answering, anything uncommitted is rolled back when the request ends. Opening a session
    does no I/O (it runs on the event loop); closing one with an open transaction rolls it
    back over the network, so that runs in the thread pool (after a commit the connection is
    already back in the pool and closing is local)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


def get_settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[ServiceSettings, Depends(get_settings)]

#: a row id in a path: positive and within a 32-bit INTEGER column (SQLite and PostgreSQL)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

#: pagination of lists: ``page`` starts at 1
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]
