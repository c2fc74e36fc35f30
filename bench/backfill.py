"""Backfill benchmark: distributed ingest throughput with 1, 2 and 4 Celery worker processes
against the local process pool, same files, same run, PostgreSQL ledger.

Usage::

    python -m bench.backfill [--persons 120] [--seed 5] [--workers 1,2,4]
        [--broker redis://127.0.0.1:6379/8] [--postgres URL] [--json-out F]

1. A synthetic region (``dosewatch.synth.region.generate_region``) is generated once.
2. Baselines of the same run: ``local_pool.run`` with 1 and 2 processes (``dosewatch
   ingest --workers N``, with the same alert and NRD hooks as the workers), each into an
   empty PostgreSQL schema.
3. For each N of ``--workers``: an empty schema, one ``dosewatch worker --concurrency N``
   (N pool processes), timed from the first enqueue to the last item done
   (``dosewatch.ingest.backfill.run``); the worker's start-up is outside the timing.
4. Figures: objects/s, ratio to 1 Celery worker and to the local 1-process pool, and the
   per-object wall cost with 1 worker (the input of docs/SCALE.md). The load average is
   read before and after every configuration (this machine has 2 cores and is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOSEWATCH = str(Path(sys.executable).parent / "dosewatch")


def _load() -> float:
    return os.getloadavg()[0]


class Schema:
    """A fresh PostgreSQL schema, dropped on exit."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        separator = "&" if "?" in base else "?"
        self.url = f"{base}{separator}options={quote(f'-csearch_path={self.name}')}"

    def _run(self, sql: str) -> None:
        libpq = self.base.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self) -> Schema:
        self._run(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *_exc: object) -> None:
        self._run(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    def table_bytes(self) -> dict[str, int]:
        """On-disk size (heap + indexes + TOAST) of each table of the schema."""
        libpq = self.base.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            rows = conn.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind = 'r'",
                (self.name,),
            ).fetchall()
        return {str(name): int(size) for name, size in rows}


def local(folder: Path, base: str, workers: int, data_dir: Path) -> dict[str, Any]:
    from dosewatch.cumulative.alerts import on_recorded
    from dosewatch.ingest import local_pool
    from dosewatch.ledger import db
    from dosewatch.nrd.store import on_study_recorded
    from dosewatch.settings import Settings

    with Schema(base) as schema:
        settings = Settings(data_dir=data_dir, database_url=schema.url, pseudonym_key="bench")
        engine = db.make_engine(schema.url)
        db.upgrade(engine)
        engine.dispose()
        load = _load()
        start = time.perf_counter()
        # the hooks `dosewatch ingest` and `dosewatch worker` inject (alerts, NRD facts)
        summary = local_pool.run(
            settings,
            [folder],
            workers=workers,
            on_recorded=on_recorded,
            on_study_recorded=on_study_recorded,
        )
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "objects": summary.files, "load_before": load, "load": _load()}


def distributed(
    folder: Path, base: str, broker: str, workers: int, data_dir: Path, logs: Path
) -> dict[str, Any]:
    from dosewatch.ingest import backfill, celery_runner
    from dosewatch.ledger import db
    from dosewatch.settings import Settings

    queue = f"bench.{uuid.uuid4().hex[:10]}"
    with Schema(base) as schema:
        env = {
            **os.environ,
            "DOSEWATCH_DATA_DIR": str(data_dir),
            "DOSEWATCH_DATABASE_URL": schema.url,
            "DOSEWATCH_PSEUDONYM_KEY": "bench",
            "DOSEWATCH_BROKER_URL": broker,
            "DOSEWATCH_BROKER_QUEUE": queue,
        }
        settings = Settings(
            data_dir=data_dir,
            database_url=schema.url,
            pseudonym_key="bench",
            broker_url=broker,
            broker_queue=queue,
        )
        engine = db.make_engine(schema.url)
        db.upgrade(engine)
        log = logs / f"worker-{workers}.log"
        with log.open("wb") as handle:
            proc = subprocess.Popen(
                [DOSEWATCH, "worker", "--concurrency", str(workers), "--hostname", queue],
                env=env,
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 120
            while " ready." not in log.read_text(errors="replace"):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"worker did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
            app = celery_runner.make_app(settings)
            request = backfill.Request(str(folder))
            load = _load()
            start = time.perf_counter()
            status = backfill.run(
                settings, engine, request, lambda ids: celery_runner.publish(app, settings, ids)
            )
            seconds = time.perf_counter() - start
            sizes = schema.table_bytes()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
            engine.dispose()
    return {
        "seconds": seconds,
        "objects": status.total,
        "outcomes": status.outcomes,
        "table_bytes": sizes,
        "load_before": load,
        "load": _load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=120)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--postgres", default=os.environ.get("DOSEWATCH_TEST_POSTGRES_URL"))
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    base = args.postgres or PG_DEFAULT
    from dosewatch.synth.region import generate_region

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "region"
        generate_region(folder, establishments=5, persons=args.persons, seed=args.seed)
        logs = root / "logs"
        logs.mkdir()
        result: dict[str, Any] = {"persons": args.persons, "load_at_start": _load()}
        configs: dict[str, dict[str, Any]] = {}
        configs["local-1"] = local(folder, base, 1, root / "l1")
        for n in (int(w) for w in args.workers.split(",")):
            configs[f"celery-{n}"] = distributed(folder, base, args.broker, n, root / f"c{n}", logs)
        configs["local-2"] = local(folder, base, 2, root / "l2")
        for config in configs.values():
            config["objects_per_s"] = config["objects"] / config["seconds"]
        one = configs["celery-1"]["objects_per_s"]
        base_local = configs["local-1"]["objects_per_s"]
        for config in configs.values():
            config["vs_celery_1"] = config["objects_per_s"] / one
            config["vs_local_1"] = config["objects_per_s"] / base_local
        result["configs"] = configs
        result["seconds_per_object_celery_1"] = 1.0 / one
        sizes = configs["celery-1"]["table_bytes"]
        objects = configs["celery-1"]["objects"]
        progress_tables = {"backfill_item", "backfill_run"}
        result["ledger_bytes_per_object"] = (
            sum(v for k, v in sizes.items() if k not in progress_tables) / objects
        )
        result["progress_bytes_per_object"] = (
            sum(v for k, v in sizes.items() if k in progress_tables) / objects
        )
        result["load_at_end"] = _load()
    text = json.dumps(result, indent=2)
    if args.json_out:
        args.json_out.write_text(text)
    print(text)
    for name, config in configs.items():
        print(
            f"{name:10s} {config['objects']} objects {config['seconds']:.1f} s "
            f"{config['objects_per_s']:.2f}/s  x{config['vs_celery_1']:.2f} vs celery-1  "
            f"x{config['vs_local_1']:.2f} vs local-1  load {config['load_before']:.1f}"
            f"->{config['load']:.1f}"
        )


if __name__ == "__main__":
    main()
