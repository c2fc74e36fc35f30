"""Crash-test harness for the pull: ``python -m tests.archive.pull_kill_harness POINT[:N] URL``.

Settings come from the environment like the CLI's, the ingest hooks are the CLI's; the
checkpoint (injected, see :mod:`dosewatch.ingest.hooks`) SIGKILLs the process the N-th time
it reaches POINT. Prints the pull summary as JSON when it is not killed.
"""

from __future__ import annotations

import json
import sys

from dosewatch.archive.pull import Puller
from dosewatch.cumulative.alerts import on_recorded
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import db
from dosewatch.nrd.store import on_study_recorded
from dosewatch.settings import Settings
from tests.ingest.kill_harness import parse_spec


def main(argv: list[str]) -> int:
    spec, url = argv
    settings = Settings()
    engine = db.engine_from_settings(settings)
    db.upgrade(engine)
    ingestor = Ingestor(
        settings,
        engine,
        on_recorded=on_recorded,
        on_study_recorded=on_study_recorded,
        checkpoint=parse_spec(spec),
    )
    summary = Puller(url, ingestor, establishment="HOPITAL_A", attempts=1).pull()
    print(json.dumps(summary.as_json()))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
