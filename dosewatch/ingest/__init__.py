"""The ingest use case: read → parse → estimate → record, and its runners.

* :mod:`dosewatch.ingest.prepare` — the stateless steps (read, SHA-256, parse, estimate).
* :mod:`dosewatch.ingest.pipeline` — :class:`Ingestor`, the recording use case (one
  transaction per report, retried on a lost race); :mod:`dosewatch.ingest.writer` — what that
  transaction writes.
* :mod:`dosewatch.ingest.outcome` — :class:`Outcome`, the JSON-serialisable result of a task.
* :mod:`dosewatch.ingest.hooks` — what entry points inject (per-report hooks, checkpoint).
* :mod:`dosewatch.ingest.retry` — the quarantine retry use case.
* :mod:`dosewatch.ingest.local_pool` — the local process-pool runner (``--workers N``).

The ledger (:mod:`dosewatch.ledger`) is persistence only and imports nothing of this package.
"""

from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.prepare import Prepared, estimate_report, prepare_bytes

__all__ = ["Ingestor", "Outcome", "Prepared", "estimate_report", "prepare_bytes"]
