"""The distributed runner: Celery over Redis or RabbitMQ (``DOSEWATCH_BROKER_URL``), the
PostgreSQL ledger shared by every worker.

One message = one backfill item id (:func:`dosewatch.ingest.task.ingest_item`): the task
is acknowledged *late* (after it returned) and rejected back to the queue when its worker
process is lost, so delivery is at least once; the ledger's idempotency makes it
exactly-once in effect and the attempt count in ``backfill_item`` turns a poison object
into a quarantine entry after ``DOSEWATCH_TASK_MAX_ATTEMPTS``. An exception (a database
restart, a lost race given up) is retried with a capped exponential delay. Workers
prefetch one message per process, so a slow object never holds others back, and each
worker process opens its own engine after the fork.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from dosewatch import gc_policy
from dosewatch.domain.errors import ConfigurationError
from dosewatch.ingest.hooks import RecordedHook, StudyHook
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ingest.task import ingest_item
from dosewatch.settings import Settings

TASK_NAME = "dosewatch.ingest_item"
MAX_RETRY_DELAY_S = 60


@dataclass(frozen=True, slots=True)
class WorkerHooks:
    """The per-report hooks of every worker's ingestor (injected by the CLI)."""

    on_recorded: RecordedHook | None = None
    on_study_recorded: StudyHook | None = None


def broker_url(settings: Settings) -> str:
    if not settings.broker_url:
        raise ConfigurationError(
            "DOSEWATCH_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0 or "
            "amqp://guest:guest@127.0.0.1:5672//)"
        )
    return settings.broker_url


def make_app(settings: Settings, hooks: WorkerHooks | None = None) -> Celery:
    """The Celery app with the ingest task registered (nothing connects until used)."""
    app = Celery("dosewatch", broker=broker_url(settings), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.broker_queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    chosen = hooks or WorkerHooks()
    ingestors: list[Ingestor] = []  # one per worker process, built after the fork

    def ingestor() -> Ingestor:
        if not ingestors:
            ingestors.append(
                Ingestor(
                    settings,
                    on_recorded=chosen.on_recorded,
                    on_study_recorded=chosen.on_study_recorded,
                )
            )
        return ingestors[0]

    def set_up(**_signal: Any) -> None:
        """In each pool process after the fork: its own engine, then the GC freeze."""
        ingestor()
        gc_policy.freeze_after_setup()

    worker_process_init.connect(set_up, weak=False)

    def ingest(task: Any, item_id: int) -> dict[str, Any]:
        try:
            with gc_policy.one_file():
                return ingest_item(ingestor(), item_id, settings.task_max_attempts).to_json()
        except Exception as exc:
            delay = min(MAX_RETRY_DELAY_S, 2 ** int(task.request.retries))
            raise task.retry(exc=exc, countdown=delay, max_retries=None) from exc

    app.task(name=TASK_NAME, bind=True)(ingest)
    return app


def publish(app: Celery, settings: Settings, item_ids: Iterable[int]) -> None:
    """Send one task per item id on one producer connection."""
    with app.producer_or_acquire() as producer:
        for item_id in item_ids:
            app.send_task(TASK_NAME, args=[item_id], queue=settings.broker_queue, producer=producer)


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    hostname: str | None = None,
    hooks: WorkerHooks | None = None,
    loglevel: str = "INFO",
) -> None:
    """Start a Celery worker (blocks); refuses without an explicit pseudonym key."""
    settings.require_explicit_pseudonym_key()
    app = make_app(settings, hooks)
    name = hostname or f"dosewatch-{socket.gethostname()}"
    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--queues={settings.broker_queue}",
            f"--loglevel={loglevel}",
            f"--hostname={name}@%h",
            "--prefetch-multiplier=1",
            "--without-gossip",
            "--without-mingle",
        ]
    )
