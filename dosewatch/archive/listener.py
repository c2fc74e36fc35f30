"""DICOM C-STORE / C-ECHO SCP: IHE REM RAD-62 "Store Dose Information", consumer side.

Accepted storage SOP classes: X-Ray Radiation Dose SR (…88.67), Radiopharmaceutical
Radiation Dose SR (…88.68), Enhanced X-Ray Radiation Dose SR (…88.76), Enhanced and
Comprehensive SR (…88.22 / …88.33, some CT scanners send dose reports in them) and the image
classes the parsers read for header extraction (:data:`rdsr_parsers.sop.IMAGE_CLASSES`); plus
Verification (C-ECHO). Anything else has no presentation context and is refused by the
association negotiation itself. Patient Radiation Dose SR is not accepted: it is an estimate
(possibly our own output), not a device dose report.

Associations whose calling AE title is not in the allow-list are rejected at association
(A-ASSOCIATE-RJ, "calling AE title not recognised"). An accepted object is written durably
to the :class:`~dosewatch.archive.spool.Spool` *before* the success status (0x0000) is
returned; then it goes into a bounded queue read by ingest worker threads. A full queue
blocks the C-STORE handler, so a fast sender is slowed down (back-pressure) instead of the
process growing. At start the spool is replayed. Each spool entry is removed only after the
ingest use case recorded or quarantined it (bad content is quarantined with its reason by
the use case; the listener keeps serving).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from dosewatch.archive.spool import Spool, SpoolEntry
from dosewatch.domain.errors import ConfigurationError, DoseWatchError
from dosewatch.ingest import Ingestor, Outcome
from dosewatch.ledger.identity import SourceInfo
from rdsr_parsers import sop

log = logging.getLogger(__name__)

#: storage SOP classes the listener accepts (see the module docstring)
DOSE_STORAGE_CLASSES = (
    sop.XRAY_RDSR,
    sop.RADIOPHARMACEUTICAL_RDSR,
    sop.ENHANCED_XRAY_RDSR,
    sop.ENHANCED_SR,
    sop.COMPREHENSIVE_SR,
)
ACCEPTED_STORAGE_CLASSES: tuple[str, ...] = DOSE_STORAGE_CLASSES + tuple(sorted(sop.IMAGE_CLASSES))
#: C-STORE status "Out of Resources" (PS3.4 B.2.3) when the spool cannot be written
STATUS_OUT_OF_RESOURCES = 0xA700
STATUS_SUCCESS = 0x0000


def parse_allow(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``CALLING_AE=ESTABLISHMENT`` items as a mapping; a bad item is a user error."""
    allow: dict[str, str] = {}
    for item in items:
        ae_title, sep, establishment = item.partition("=")
        ae_title, establishment = ae_title.strip(), establishment.strip()
        if not sep or not ae_title or not establishment or len(ae_title) > 16:
            raise ConfigurationError(
                f"--allow {item!r}: expected CALLING_AE=ESTABLISHMENT (AE title <= 16 chars)"
            )
        allow[ae_title] = establishment
    return allow


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    """Where and whom the listener serves."""

    ae_title: str
    allow: Mapping[str, str]  # calling AE title -> establishment code
    spool_dir: Path
    host: str = "127.0.0.1"
    port: int = 11112  # 0: any free port (tests)
    queue_size: int = 64
    workers: int = 1

    def __post_init__(self) -> None:
        if not self.allow:
            raise ConfigurationError("the listener needs at least one --allow CALLING_AE=EST")
        if not 0 < len(self.ae_title) <= 16:
            raise ConfigurationError("--ae-title must be 1 to 16 characters")


@dataclass(slots=True)
class ListenerStats:
    """Counters (read by the CLI and the benchmark)."""

    received: int = 0
    ingested: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: Outcome) -> None:
        with self.lock:
            self.ingested[outcome.status] = self.ingested.get(outcome.status, 0) + 1

    @property
    def done(self) -> int:
        with self.lock:
            return sum(self.ingested.values())


_STOP = object()


class Listener:
    """The SCP, its spool, queue and ingest workers."""

    def __init__(self, config: ListenerConfig, ingestor: Ingestor) -> None:
        self.config = config
        self.ingestor = ingestor
        self.spool = Spool(config.spool_dir)
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=config.queue_size)
        self.stats = ListenerStats()
        self._workers: list[threading.Thread] = []
        self._server: Any = None
        self._ae = self._make_ae()

    def _make_ae(self) -> AE:
        ae = AE(ae_title=self.config.ae_title)
        ae.require_calling_aet = list(self.config.allow)
        ae.add_supported_context(Verification)
        for uid in ACCEPTED_STORAGE_CLASSES:
            ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES)
        ae.maximum_pdu_size = 0  # no limit on what we receive
        return ae

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> int:
        """Replay the spool, start the workers and the server; returns the bound port."""
        for _ in range(self.config.workers):
            worker = threading.Thread(target=self._work, name="dosewatch-ingest", daemon=True)
            worker.start()
            self._workers.append(worker)
        replay = list(self.spool.pending())
        if replay:
            log.info("replaying %d spooled objects", len(replay))
        # the server starts only after the replay is queued, so replayed objects go first;
        # a replay larger than the queue is fed by a thread to keep start-up bounded
        feeder = threading.Thread(target=self._feed, args=(replay,), daemon=True)
        feeder.start()
        handlers: list[Any] = [
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_C_ECHO, lambda _event: STATUS_SUCCESS),
            (evt.EVT_REJECTED, self._on_rejected),
        ]
        self._server = self._ae.start_server(
            (self.config.host, self.config.port), block=False, evt_handlers=handlers
        )
        port: int = self._server.server_address[1]
        return port

    def _feed(self, entries: list[SpoolEntry]) -> None:
        for entry in entries:
            self.queue.put(entry)

    def stop(self, *, drain: bool = True) -> None:
        """Stop accepting, then (``drain``) let the workers finish the queue."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        for _ in self._workers:
            self.queue.put(_STOP)
        if drain:
            for worker in self._workers:
                worker.join()
        self._workers.clear()

    def wait_idle(self, timeout: float) -> bool:
        """True once the queue is empty and every taken entry is finished."""
        done = threading.Event()

        def joiner() -> None:
            self.queue.join()
            done.set()

        threading.Thread(target=joiner, daemon=True).start()
        return done.wait(timeout)

    # ------------------------------------------------------------------ handlers

    def _on_rejected(self, event: Any) -> None:
        log.warning(
            "association from calling AE %r rejected: not in the allow-list",
            event.assoc.requestor.ae_title,
        )

    def _on_store(self, event: Any) -> int:
        calling_ae = str(event.assoc.requestor.ae_title).strip()
        establishment = self.config.allow.get(calling_ae)
        if establishment is None:  # pragma: no cover - refused at association already
            return STATUS_OUT_OF_RESOURCES
        try:
            data = bytes(event.encoded_dataset())
            entry = self.spool.put(data, calling_ae, establishment)
        except OSError as exc:
            log.error("spool write failed (%s): object refused, sender may retry", exc.strerror)
            return STATUS_OUT_OF_RESOURCES
        with self.stats.lock:
            self.stats.received += 1
        self.queue.put(entry)  # blocks when full: back-pressure on the sender
        return STATUS_SUCCESS

    # ------------------------------------------------------------------ workers

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                self._ingest(item)
            finally:
                self.queue.task_done()

    def _ingest(self, entry: SpoolEntry) -> None:
        source = SourceInfo(
            label=f"dicom:{entry.calling_ae}",
            calling_ae=entry.calling_ae,
            establishment=entry.establishment,
        )
        try:
            outcome = self.ingestor.ingest_bytes(entry.read(), source)
        except (DoseWatchError, OSError) as exc:
            # kept in the spool: replayed at next start
            log.error("ingest of spooled %s failed: %s", entry.sha256[:12], exc)
            return
        self.stats.count(outcome)
        self.spool.done(entry)


def run_forever(listener: Listener, announce: Callable[[int], None], stop: threading.Event) -> None:
    """Start, announce the port, serve until ``stop`` is set, then drain."""
    port = listener.start()
    announce(port)
    stop.wait()
    listener.stop(drain=True)
