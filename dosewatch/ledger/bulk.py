"""Bulk writes of many rows in the caller's transaction, below the ORM (issue 14).

A CT RDSR brings ~125 estimates and their inputs; written through SQLAlchemy's unit of
work or its ``insertmanyvalues`` these cost more than parsing the object. Here:

* **ids are reserved first** (:func:`reserve_ids`), so that rows referring to each other
  (an estimate and its inputs) are built in Python and each table is written once. On
  PostgreSQL the ids come from the column's sequence (``nextval`` over
  ``generate_series``: unique under any concurrency); on SQLite from ``max(id)``, which is
  safe because every ledger write transaction holds SQLite's write lock from its start
  (``BEGIN IMMEDIATE``, :mod:`dosewatch.ledger.db`).
* **one statement per table** (:func:`insert_rows`): PostgreSQL ``COPY ... FROM STDIN``
  (one statement, so the statement-level triggers of ``estimate`` run once per report);
  SQLite one ``executemany`` of a prepared positional statement, each value passed through
  the column type's own bind processor (the same stored form as an ORM write).

JSON columns receive text serialised by :func:`json_text` (the same JSON the ORM writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def json_text(value: Any) -> str:
    """JSON text of a column value (as the ORM would store it; not-a-number becomes null)."""
    return orjson.dumps(value).decode()


def _raw(session: Session) -> Any:
    """The DB-API connection of the session's current transaction."""
    return session.connection().connection.driver_connection


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new primary-key values of ``table`` (integer ``id``), in ascending order."""
    if count <= 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = _raw(session).cursor()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (_qualified(table), count),
        )
        return sorted(row[0] for row in cursor.fetchall())
    cursor = _raw(session).cursor()
    cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table.name}"')
    start = int(cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def _qualified(table: Table) -> str:
    return table.name if table.schema is None else f"{table.schema}.{table.name}"


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) in one statement per table.

    JSON columns take text from :func:`json_text`; other values are Python values of the
    column's type.
    """
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(f'"{name}"' for name in columns)
    if connection.dialect.name == "postgresql":
        cursor = _raw(session).cursor()
        with cursor.copy(f"COPY {_quoted(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    processors = _processors(connection.dialect, table, tuple(columns))
    if processors:
        converted: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for position, processor in processors:
                if values[position] is not None:
                    values[position] = processor(values[position])
            converted.append(values)
        rows = converted
    marks = ", ".join("?" for _ in columns)
    _raw(session).executemany(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        rows,
    )


def _quoted(table: Table) -> str:
    if table.schema is None:
        return f'"{table.name}"'
    return f'"{table.schema}"."{table.name}"'


@cache
def _processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[tuple[int, Any], ...]:
    """(position, bind processor) of the columns whose values need one on ``dialect``.

    None for JSON (text is passed as is) and for Boolean: the sqlite3 module binds a Python
    bool as the integer 1 or 0, which is what the type's processor would produce.
    """
    out: list[tuple[int, Any]] = []
    for position, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, JSON | Boolean):
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            out.append((position, processor))
    return tuple(out)
