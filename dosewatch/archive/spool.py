"""A durable spool: every accepted object is on disk (fsync'd) before success is returned.

Layout: ``<dir>/<sha256>-<reception>.dcm`` holds the bytes, ``<dir>/<same stem>.json`` the
source (calling AE, establishment). Each reception has its own entry (the suffix is random),
so the same bytes received twice (a sender's retry while the first copy is still queued, or
from two calling AEs) are two entries: one entry's removal never takes the other's bytes.
Each file is written to a temporary name, fsync'd, renamed, and the directory fsync'd, so
after a crash an entry is either complete or absent (a stray ``.tmp`` is removed on open).
The JSON is written last: an entry without its JSON is incomplete and is discarded (its
sender was never acknowledged). Entries are removed only after the ingest use case has
recorded or quarantined the object, so a replay after a crash re-ingests at most what was
not finished; ingest is idempotent by bytes and SOP Instance UID.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    """One spooled object: its digest, bytes path and where it came from."""

    sha256: str
    path: Path
    calling_ae: str | None
    establishment: str | None

    def read(self) -> bytes:
        return self.path.read_bytes()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(target: Path, data: bytes) -> None:
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(target)


class Spool:
    """A directory of received objects not yet ingested."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        for stray in directory.glob("*.tmp"):
            stray.unlink(missing_ok=True)

    def put(self, data: bytes, calling_ae: str | None, establishment: str | None) -> SpoolEntry:
        """Write ``data`` durably; returns when it is on stable storage."""
        digest = hashlib.sha256(data).hexdigest()
        stem = f"{digest}-{uuid.uuid4().hex[:16]}"
        body = self.directory / f"{stem}.dcm"
        meta = self.directory / f"{stem}.json"
        _write_durably(body, data)
        source = {"calling_ae": calling_ae, "establishment": establishment}
        _write_durably(meta, json.dumps(source).encode())
        _fsync_dir(self.directory)
        return SpoolEntry(digest, body, calling_ae, establishment)

    def pending(self) -> Iterator[SpoolEntry]:
        """Complete entries, oldest first; bodies without metadata are discarded."""
        bodies = sorted(self.directory.glob("*.dcm"), key=lambda p: p.stat().st_mtime_ns)
        for body in bodies:
            meta = body.with_suffix(".json")
            try:
                source = json.loads(meta.read_text())
            except (OSError, ValueError):
                log.warning("discarding incomplete spool entry %s", body.stem[:12])
                body.unlink(missing_ok=True)
                continue
            digest = body.stem.split("-", 1)[0]
            yield SpoolEntry(digest, body, source.get("calling_ae"), source.get("establishment"))

    def done(self, entry: SpoolEntry) -> None:
        """Forget an entry once the ledger has it (recorded, duplicate or quarantined)."""
        entry.path.with_suffix(".json").unlink(missing_ok=True)
        entry.path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json"))
