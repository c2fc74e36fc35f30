"""Run the ingest use case over many files, in this process or in N worker processes.

Design: each worker process owns its own engine and sessions and runs the *whole* use case
for the files it is given (read → parse → estimate → record in one transaction). Parsing is
the expensive, CPU-bound part and is stateless; recording is short and made safe by unique
constraints, the study row lock and retry — so workers need no coordination and the same
task function (:func:`ingest_one`) can run unchanged under a distributed task engine.

The parent only lists files lazily and keeps a bounded number of tasks in flight, so its
memory does not grow with the corpus. Sidecar files that are not DICOM objects by
convention (``.json``, ``.csv``, ``.md``, ``.txt``) are skipped and counted as such; every
other file ends recorded, duplicate or quarantined.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dosewatch import gc_policy
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest.hooks import Checkpoint, RecordedHook, StudyHook, no_checkpoint
from dosewatch.ingest.outcome import Outcome
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.identity import SourceInfo
from dosewatch.settings import Settings

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = frozenset({".json", ".csv", ".md", ".txt"})
IN_FLIGHT_PER_WORKER = 4  # chunks in flight per worker
CHUNK = 4  # files per task


@dataclass(slots=True)
class Summary:
    """Counts of one run (``files`` excludes skipped sidecars)."""

    files: int = 0
    recorded: int = 0
    duplicates: int = 0
    superseded: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.files += 1
        if outcome.status == "recorded":
            self.recorded += 1
        elif outcome.status == "duplicate":
            self.duplicates += 1
        else:
            self.quarantined += 1
            reason = outcome.reason or "unknown"
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
        self.superseded += outcome.superseded


def iter_files(
    paths: Iterable[Path], skipped: Callable[[Path], None] | None = None
) -> Iterator[Path]:
    """Files under ``paths`` (recursively, sorted per directory), lazily."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if name.startswith(".") or candidate.suffix.lower() in SIDECAR_SUFFIXES:
                        if skipped:
                            skipped(candidate)
                        continue
                    yield candidate
        else:
            yield path


# --------------------------------------------------------------------------- worker side

_INGESTOR: Ingestor | None = None


def _init_worker(
    settings_data: dict[str, Any],
    on_recorded: RecordedHook | None = None,
    on_study_recorded: StudyHook | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> None:
    global _INGESTOR
    _INGESTOR = Ingestor(
        Settings(**settings_data),
        on_recorded=on_recorded,
        on_study_recorded=on_study_recorded,
        checkpoint=checkpoint,
    )
    gc_policy.freeze_after_setup()


def ingest_one(path: str, establishment: str | None, calling_ae: str | None) -> Outcome:
    """The task: one file through the whole use case (in a worker process)."""
    if _INGESTOR is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker not initialised")
    source = SourceInfo(label=path, calling_ae=calling_ae, establishment=establishment)
    with gc_policy.one_file():
        return _INGESTOR.ingest_path(Path(path), source)


def ingest_chunk(
    paths: list[str], establishment: str | None, calling_ae: str | None
) -> list[Outcome | str]:
    """A few files per task (less inter-process traffic); an error becomes its message."""
    out: list[Outcome | str] = []
    for path in paths:
        try:
            out.append(ingest_one(path, establishment, calling_ae))
        except DoseWatchError as exc:
            out.append(f"could not ingest {path}: {exc}")
    return out


# --------------------------------------------------------------------------- parent side


def _chunks(files: Iterator[Path], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for path in files:
        chunk.append(str(path))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(
    settings: Settings,
    paths: Iterable[Path],
    *,
    workers: int = 1,
    establishment: str | None = None,
    calling_ae: str | None = None,
    on_outcome: Callable[[Summary], None] | None = None,
    ingestor: Ingestor | None = None,
    on_recorded: RecordedHook | None = None,
    on_study_recorded: StudyHook | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> Summary:
    """Ingest every file under ``paths``; ``on_outcome`` is called after each file.

    ``on_recorded`` and ``on_study_recorded`` (module-level functions, so that worker
    processes can receive them) are the ingestor's per-report hooks (alert evaluation; patient
    facts and NRD indicators); ``checkpoint`` (picklable) is the crash tests' hook.
    """
    summary = Summary()

    def skipped(_path: Path) -> None:
        summary.skipped += 1

    files = iter_files(paths, skipped)
    if workers <= 1:
        local = ingestor or Ingestor(
            settings,
            on_recorded=on_recorded,
            on_study_recorded=on_study_recorded,
            checkpoint=checkpoint,
        )
        for path in files:
            source = SourceInfo(str(path), calling_ae, establishment)
            try:
                summary.add(local.ingest_path(path, source))
            except DoseWatchError as exc:
                summary.failed += 1
                log.error("could not ingest %s: %s", path, exc)
            if on_outcome:
                on_outcome(summary)
        return summary

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    settings_data = settings.model_dump()
    limit = workers * IN_FLIGHT_PER_WORKER
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(settings_data, on_recorded, on_study_recorded, checkpoint),
    ) as pool:
        pending: set[Future[list[Outcome | str]]] = set()

        def drain() -> None:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                for result in future.result():
                    if isinstance(result, str):
                        summary.failed += 1
                        log.error("%s", result)
                    else:
                        summary.add(result)
                    if on_outcome:
                        on_outcome(summary)

        for chunk in _chunks(files, CHUNK):
            if len(pending) >= limit:
                drain()
            pending.add(pool.submit(ingest_chunk, chunk, establishment, calling_ae))
        while pending:
            drain()
    return summary
