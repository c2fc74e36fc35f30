"""The backfill enqueuer: enumerate a source, record every reference as a backfill item,
publish tasks with back-pressure, follow progress until every item is done.

Resumable after any crash: the run of the same source and window is picked up again
(:func:`dosewatch.ledger.backfill.open_run`), enumeration inserts only what is missing,
items still ``pending`` are published, items already ``enqueued`` are the broker's (it
delivers them at least once). Back-pressure: at most ``DOSEWATCH_BACKFILL_WINDOW`` items
are enqueued and not done at any time, so the broker's queue and the enqueuer's memory
stay bounded whatever the size of the archive.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from dosewatch.ingest.sources import enumerate_source
from dosewatch.ledger import backfill as progress
from dosewatch.ledger.db import session_factory, transaction
from dosewatch.settings import Settings

ENUMERATE_BATCH = 500
POLL_S = 0.5

Publish = Callable[[list[int]], None]


@dataclass(frozen=True, slots=True)
class Request:
    source: str
    since: date | None = None
    until: date | None = None
    establishment: str | None = None


def _batches(refs: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(itertools.islice(refs, size)):
        yield batch


def run(
    settings: Settings,
    engine: Engine,
    request: Request,
    publish: Publish,
    *,
    wait: bool = True,
    on_progress: Callable[[progress.RunStatus], None] | None = None,
) -> progress.RunStatus:
    """Enqueue the source's objects; with ``wait``, return when every item is done."""
    settings.require_explicit_pseudonym_key()
    refs = enumerate_source(request.source, request.since, request.until)  # refused at once
    sessions = session_factory(engine)
    readers = session_factory(engine, read_only=True)
    with transaction(sessions) as session:
        run_ = progress.open_run(
            session, request.source, request.since, request.until, request.establishment
        )
        run_id, enumerated = run_.id, run_.enumerated
    batches = None if enumerated else _batches(refs, ENUMERATE_BATCH)

    def current() -> progress.RunStatus:
        with readers() as session:
            (status,) = progress.status(session, [run_id])
        return status

    status = current()
    while True:
        room = settings.backfill_window - status.in_flight
        pending = status.states.get("pending", 0)
        if batches is not None and pending < room:
            batch = next(batches, None)
            with transaction(sessions) as session:
                if batch is None:
                    progress.mark_enumerated(session, run_id)
                    batches = None
                else:
                    progress.add_items(session, run_id, batch)
        elif room > 0 and pending:
            with readers() as session:
                ids = progress.pending(session, run_id, room)
            publish(ids)
            with transaction(sessions) as session:
                progress.mark_enqueued(session, ids)
        elif batches is None and pending == 0 and (not wait or status.done == status.total):
            break
        else:
            time.sleep(POLL_S)
        status = current()
        if on_progress is not None:
            on_progress(status)
    with transaction(sessions) as session:
        progress.close_if_done(session, run_id)
    return current()
