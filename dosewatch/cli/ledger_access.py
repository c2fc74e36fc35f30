"""Opening the ledger from the CLI: one line naming the setting when it cannot be, never a
traceback (an unreachable database, a data directory that cannot be created or written)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from dosewatch.ledger import db
from dosewatch.settings import Settings


class LedgerUnavailable(Exception):
    """The ledger cannot be opened; the message names the setting to fix."""


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(getattr(orig, "strerror", None) or orig).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:200]


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def check_data_dir(settings: Settings) -> None:
    """The data directory exists (created if needed) and is writable, or LedgerUnavailable."""
    where = f"DOSEWATCH_DATA_DIR={settings.data_dir}"
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerUnavailable(f"the data directory {where} is unusable: {_reason(exc)}") from exc
    if not os.access(settings.data_dir, os.W_OK | os.X_OK):
        raise LedgerUnavailable(f"the data directory {where} is not writable")


def open_ledger(settings: Settings) -> Engine:
    """An engine on the upgraded ledger, or LedgerUnavailable naming the setting."""
    check_data_dir(settings)
    url = settings.effective_database_url()
    setting = (
        f"DOSEWATCH_DATABASE_URL={_shown_url(url)}"
        if settings.database_url
        else f"the default SQLite ledger under DOSEWATCH_DATA_DIR={settings.data_dir}"
    )
    try:
        engine = db.engine_from_settings(settings)
        db.upgrade(engine)
    except ArgumentError as exc:
        raise LedgerUnavailable(f"{setting} is not a usable database URL: {_reason(exc)}") from exc
    except (SQLAlchemyError, OSError) as exc:
        raise LedgerUnavailable(f"cannot open the ledger ({setting}): {_reason(exc)}") from exc
    return engine


def ready_engine(settings: Settings) -> Engine:
    """:func:`open_ledger` for a command: on failure one line on stderr, exit status 2."""
    try:
        return open_ledger(settings)
    except LedgerUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def check_paths(paths: list[Path], files_under: Callable[[list[Path]], Iterator[Path]]) -> None:
    """Every path named on the command line exists, and a folder holds at least one file
    (``files_under`` lists them as the command will): else one line, exit status 2."""
    for path in paths:
        if not path.exists():
            typer.echo(f"error: no such file or folder: {path}", err=True)
            raise typer.Exit(2)
        if path.is_dir() and next(iter(files_under([path])), None) is None:
            typer.echo(f"error: the folder {path} holds no dose object files", err=True)
            raise typer.Exit(2)
