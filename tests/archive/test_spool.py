"""The spool keeps one entry per reception, even of identical bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dosewatch.archive.spool import Spool


def test_the_same_bytes_received_twice_are_two_entries(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    data = b"\x00" * 128 + b"DICM" + b"same object, sent twice"
    first = spool.put(data, "MODALITY1", "HOPITAL_A")
    second = spool.put(data, "MODALITY2", "CLINIQUE_B")  # a retry while the first is queued
    assert first.path != second.path
    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert len(spool) == 2
    spool.done(first)  # the first copy ingested: the second keeps its bytes and its source
    assert second.read() == data
    (pending,) = spool.pending()
    assert (pending.sha256, pending.calling_ae, pending.establishment) == (
        second.sha256,
        "MODALITY2",
        "CLINIQUE_B",
    )
    spool.done(second)
    assert len(spool) == 0 and not list(spool.directory.iterdir())
