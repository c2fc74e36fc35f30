"""Distributed ingest end to end: real Celery worker processes on Redis and on RabbitMQ, the
PostgreSQL ledger, a worker and the enqueuer SIGKILLed mid-backfill.

The final ledger (canonical dump) must equal a single-process ingest of the same files, the
object the killed worker held must have been delivered again, the enqueuer must resume its
run, and a second backfill of the same folder must change nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import Engine, select

from dosewatch.cumulative.alerts import on_recorded
from dosewatch.ingest import local_pool
from dosewatch.ledger.backfill_models import BackfillItem, ItemState
from dosewatch.ledger.db import make_engine, session_factory, upgrade
from dosewatch.ledger.dump import canonical_dump
from dosewatch.nrd.store import on_study_recorded
from dosewatch.settings import Settings
from dosewatch.synth.region import generate_region

DATA = Path(__file__).parents[1] / "data"
DOSEWATCH = str(Path(sys.executable).parent / "dosewatch")
BROKERS = {
    "redis": os.environ.get("DOSEWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "rabbitmq": os.environ.get("DOSEWATCH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
DEADLINE_S = 240


def _require_broker(url: str) -> None:
    try:
        app = Celery(broker=url, set_as_current=False)
        with app.connection_for_write(connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises transport-specific errors
        reason = f"broker {url.split('@')[-1]} unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the broker: {reason}")
        pytest.skip(reason)


@pytest.fixture
def backend() -> str:
    return "postgresql"  # workers on several hosts share a server ledger


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("region")
    generate_region(root / "synth", establishments=3, persons=8, seed=11)
    for name in ("openrem/ESR_non-dose.dcm", "openrem/CT-RDSR-Siemens-Continued-1.dcm"):
        shutil.copy(DATA / name, root / Path(name).name)
    return root


def ledger_dump(engine: Engine) -> dict[str, Any]:
    with session_factory(engine)() as session:
        return canonical_dump(session)


def items(engine: Engine) -> list[BackfillItem]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(BackfillItem).order_by(BackfillItem.id)))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Processes:
    """Subprocesses of one test, each in its own session (killed as a group)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [DOSEWATCH, *args],
            env=self.env,
            stdout=subprocess.PIPE if name.startswith("backfill") else log,
            stderr=log,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--concurrency", "1", "--hostname", name)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool child, like a lost host
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
            for p in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Processes]]:
    made: list[Processes] = []

    def make(env: dict[str, str]) -> Processes:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        made.append(Processes(env, logs))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_backfill_with_a_worker_killed_mid_task_equals_a_single_process_ingest(
    broker: str,
    region: Path,
    new_database: Callable[[], str],
    tmp_path: Path,
    processes: Callable[[dict[str, str]], Processes],
) -> None:
    _require_broker(BROKERS[broker])
    reference_url, url = new_database(), new_database()
    reference = Settings(data_dir=tmp_path / "ref", database_url=reference_url, pseudonym_key="k")
    engines = [make_engine(reference_url), make_engine(url)]
    try:
        for engine in engines:
            upgrade(engine)
        local_pool.run(
            reference, [region], on_recorded=on_recorded, on_study_recorded=on_study_recorded
        )
        expected = ledger_dump(engines[0])
        run_distributed(broker, region, url, engines[1], tmp_path, processes, expected)
    finally:
        for engine in engines:
            engine.dispose()


def run_distributed(
    broker: str,
    region: Path,
    url: str,
    engine: Engine,
    tmp_path: Path,
    processes: Callable[[dict[str, str]], Processes],
    expected: dict[str, Any],
) -> None:
    env = {
        **os.environ,
        "DOSEWATCH_DATA_DIR": str(tmp_path / "dist"),
        "DOSEWATCH_DATABASE_URL": url,
        "DOSEWATCH_PSEUDONYM_KEY": "k",
        "DOSEWATCH_BROKER_URL": BROKERS[broker],
        "DOSEWATCH_BROKER_QUEUE": f"test.{uuid.uuid4().hex[:12]}",
        "DOSEWATCH_BROKER_VISIBILITY_TIMEOUT_S": "5",  # Redis: redeliver a lost task soon
        # a live task older than the visibility timeout is delivered again too (counted):
        # on a loaded machine that must not make a good object look like a poison one
        "DOSEWATCH_TASK_MAX_ATTEMPTS": "20",
        "DOSEWATCH_BACKFILL_WINDOW": "4",  # the enqueuer stays busy: it can be killed mid-run
    }
    procs = processes(env)
    enqueuer = procs.start("backfill-1", "backfill", "--from", str(region), "--json")
    # one worker first, so that the object in progress when it is killed is surely its own
    held: list[int] = []
    for attempt in range(3):
        first = procs.worker(f"w{attempt}")

        def in_progress() -> list[int]:
            return [
                i.id for i in items(engine) if i.attempts >= 1 and i.state != ItemState.DONE.value
            ]

        wait_for(
            lambda: (
                sum(i.state == ItemState.DONE.value for i in items(engine)) >= 3
                and bool(in_progress())
            ),
            f"the first worker on {broker} to be mid-task\n{procs.log_tail()}",
        )
        procs.kill(first)
        held = in_progress()  # the killed worker's task: started, never finished
        if held:
            break
    assert held, "never caught the worker mid-task"
    procs.kill(enqueuer)  # the enqueuer too, mid-run
    for name in ("w-a", "w-b"):
        procs.worker(name)
    resumed = procs.start("backfill-2", "backfill", "--from", str(region), "--json")
    out, _ = resumed.communicate(timeout=DEADLINE_S)
    assert resumed.returncode == 0, procs.log_tail()
    status = json.loads(out.decode().strip().splitlines()[-1])
    files = sum(1 for _ in local_pool.iter_files([region]))
    assert status["run"] == 1 and status["finished"], status  # the same run, resumed
    assert (status["objects"], status["done"]) == (files, files), status
    assert status["outcomes"]["quarantined"] == 1  # the non-dose object
    by_id = {i.id: i for i in items(engine)}
    for item_id in held:
        assert by_id[item_id].state == ItemState.DONE.value
        assert by_id[item_id].attempts >= 2, "the lost task was not delivered again"
    assert ledger_dump(engine) == expected

    again = procs.start("backfill-3", "backfill", "--from", str(region), "--json")
    out, _ = again.communicate(timeout=DEADLINE_S)
    assert again.returncode == 0, procs.log_tail()
    second = json.loads(out.decode().strip().splitlines()[-1])
    assert second["run"] == 2 and second["done"] == files
    assert "recorded" not in second["outcomes"], second  # nothing new: all duplicates
    assert ledger_dump(engine) == expected
