"""Crash-test harness: run an ingest entry point with a checkpoint that SIGKILLs the process.

``python -m tests.ingest.kill_harness POINT[:N] ingest PATH...``, ``... retry`` or
``... recompute`` (every current report, as ``dosewatch recompute`` does): settings
come from the environment like the CLI's, the hooks are the CLI's; the checkpoint (injected,
not read from the environment by product code) kills the process the N-th time (default
first) it reaches POINT (one of :data:`dosewatch.ingest.hooks.KILL_POINTS`).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from dosewatch.cumulative.alerts import on_recorded
from dosewatch.ingest import local_pool, retry
from dosewatch.ingest.hooks import KILL_POINTS, RECOMPUTE_POINTS
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import db
from dosewatch.nrd.store import on_study_recorded
from dosewatch.settings import Settings


@dataclass(slots=True)
class KillAt:
    """A checkpoint: SIGKILL this process the ``nth`` time it reaches ``point``."""

    point: str
    nth: int = 1
    seen: int = 0

    def __post_init__(self) -> None:
        known = (*KILL_POINTS, *RECOMPUTE_POINTS)
        if self.point not in known:
            raise ValueError(f"unknown kill point {self.point!r}; known: {known}")

    def __call__(self, point: str) -> None:
        if point != self.point:
            return
        self.seen += 1
        if self.seen >= self.nth:
            os.kill(os.getpid(), signal.SIGKILL)


def parse_spec(spec: str) -> KillAt:
    name, _, nth = spec.partition(":")
    return KillAt(name, int(nth or "1"))


def main(argv: list[str]) -> int:
    spec, command, *paths = argv
    kill = parse_spec(spec)
    settings = Settings()
    engine = db.engine_from_settings(settings)
    db.upgrade(engine)
    if command == "ingest":
        engine.dispose()
        local_pool.run(
            settings,
            [Path(p) for p in paths],
            on_recorded=on_recorded,
            on_study_recorded=on_study_recorded,
            checkpoint=kill,
        )
    elif command == "retry":
        ingestor = Ingestor(
            settings,
            engine,
            on_recorded=on_recorded,
            on_study_recorded=on_study_recorded,
            checkpoint=kill,
        )
        retry.retry_open(ingestor, retry.Audit("crash-test"))
    elif command == "recompute":
        from dosewatch.ingest import recompute

        recompute.run(
            db.session_factory(engine),
            settings,
            recompute.Scope(),
            actor="crash-test",
            on_changed=on_recorded,
            checkpoint=kill,
        )
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
