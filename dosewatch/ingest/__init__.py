"""The ingest use case: read → parse → estimate → record, and its runners.

* :mod:`dosewatch.ingest.pipeline` — the stateless steps (read, SHA-256, parse, estimate)
  and :class:`Ingestor`, the recording use case (one transaction per report).
* :mod:`dosewatch.ingest.local_pool` — the local process-pool runner (``--workers N``).

The ledger (:mod:`dosewatch.ledger`) is persistence only and imports nothing of this package.
"""

from dosewatch.ingest.pipeline import Ingestor, Outcome, Prepared, estimate_report, prepare_bytes

__all__ = ["Ingestor", "Outcome", "Prepared", "estimate_report", "prepare_bytes"]
