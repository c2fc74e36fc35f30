"""What the entry points inject into the ingest use case (never read from the environment).

* :data:`RecordedHook` / :data:`StudyHook` — called inside each report's transaction
  (alert evaluation; patient facts and NRD indicators), so the ledger and this package never
  import the packages that build on them.
* :data:`Checkpoint` — called with the name of each point of :data:`KILL_POINTS` as the use
  case passes it. Product entry points pass nothing; the crash-safety tests pass a callable
  that SIGKILLs the process at a chosen point.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from dosewatch.domain.report import DoseReport

#: e.g. ``dosewatch.cumulative.alerts.on_recorded``, with the recorded person's id
RecordedHook = Callable[[Session, int], None]
#: e.g. ``dosewatch.nrd.store.on_study_recorded``, with the recorded study's id and the report
StudyHook = Callable[[Session, int, DoseReport], None]
#: called with a point name of :data:`KILL_POINTS`
Checkpoint = Callable[[str], None]

#: the named points a :data:`Checkpoint` is called at, in the order a new report passes them
KILL_POINTS = (
    "after_parse",
    "after_identity",
    "after_report_insert",
    "after_events",
    "before_commit",
    "after_commit",
    "quarantine_before_commit",
)
#: the point :func:`dosewatch.ingest.recompute.run` passes after each committed report
RECOMPUTE_POINTS = ("recompute_after_report",)


def no_checkpoint(_point: str) -> None:
    """The production checkpoint: nothing happens."""
