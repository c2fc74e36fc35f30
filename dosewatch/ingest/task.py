"""The task: one object reference → an :class:`Outcome`, whatever runs it.

:func:`ingest_ref` is the whole use case for one reference (the same stateless parse and
estimate steps and the same one-transaction record as every other entry point).
:func:`ingest_item` wraps it for a backfill item delivered by a task engine *at least once*:

* the start is counted (``backfill_item.attempts``, committed) before any work, so a worker
  killed mid-task leaves a count behind and nothing half-written (the record is one
  transaction);
* a second delivery of a finished item answers the stored outcome; an unfinished one runs
  again and the ledger's idempotency (SOP Instance UID, SHA-256) makes it exactly-once in
  effect;
* a delivery beyond ``max_attempts`` (the object kills or fails its workers every time) is
  quarantined as ``ingest.abandoned`` with its bytes, and the item is done — a poison
  object never blocks the queue; an exception on the last allowed attempt does the same.
"""

from __future__ import annotations

import logging

from dosewatch.domain.errors import DoseWatchError, TaskAbandonedError
from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.prepare import sha256_of
from dosewatch.ingest.sources import is_file_ref, path_of, read_ref
from dosewatch.ledger import backfill, quarantine
from dosewatch.ledger.db import transaction
from dosewatch.ledger.identity import SourceInfo

log = logging.getLogger(__name__)


def ingest_ref(ingestor: Ingestor, ref: str, source: SourceInfo | None = None) -> Outcome:
    """One object reference through the whole use case (a file, or a registered scheme's
    object read through :func:`~dosewatch.ingest.sources.read_ref`)."""
    source = source or SourceInfo(label=ref)
    if is_file_ref(ref):
        return ingestor.ingest_path(path_of(ref), source)
    data = read_ref(ref)
    if isinstance(data, quarantine.Rejection):
        return ingestor.quarantine(sha256_of(ref.encode()), None, source, data)
    return ingestor.ingest_bytes(data, source)


def abandon(ingestor: Ingestor, ref: str, source: SourceInfo, attempts: int) -> Outcome:
    """Quarantine an object no worker could finish, with its bytes when they can be read."""
    error = TaskAbandonedError(
        f"delivered {attempts} times without finishing (its workers died, ran out of memory "
        "or failed); quarantined so that the queue goes on"
    )
    rejection = quarantine.Rejection(error.code, str(error))
    try:
        data = read_ref(ref)
    except DoseWatchError:  # not a reference this worker can read: nothing to keep
        data = rejection
    if isinstance(data, quarantine.Rejection):
        return ingestor.quarantine(sha256_of(ref.encode()), None, source, rejection)
    return ingestor.quarantine(sha256_of(data), data, source, rejection)


def ingest_item(ingestor: Ingestor, item_id: int, max_attempts: int) -> Outcome:
    """One backfill item, delivered at least once (see the module docstring)."""
    with transaction(ingestor.sessions) as session:
        started = backfill.start_attempt(session, item_id)
    if started.done:
        return Outcome.from_json(
            {
                "status": started.outcome,
                "sop_instance_uid": started.sop_instance_uid,
                "reason": started.reason,
            }
        )
    source = SourceInfo(label=started.ref, establishment=started.establishment)
    if started.attempts > max_attempts:
        outcome = abandon(ingestor, started.ref, source, started.attempts - 1)
    else:
        try:
            outcome = ingest_ref(ingestor, started.ref, source)
        except Exception:
            if started.attempts < max_attempts:
                raise  # the engine delivers it again
            log.exception("backfill item %d failed on its last attempt", item_id)
            outcome = abandon(ingestor, started.ref, source, started.attempts)
    with transaction(ingestor.sessions) as session:
        backfill.finish(session, item_id, outcome.status, outcome.reason, outcome.sop_instance_uid)
    return outcome
