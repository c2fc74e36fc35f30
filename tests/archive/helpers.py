"""Shared test helpers: canonical ledger dumps comparable across transports."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from dosewatch.ingest import Ingestor
from dosewatch.ledger.dump import canonical_dump
from dosewatch.ledger.identity import SourceInfo


def transport_neutral(dump: dict[str, Any]) -> dict[str, Any]:
    """The dump without byte digests: a C-STORE or WADO-RS receiver rebuilds the File Meta
    Information, so the received bytes (not the dataset) differ from the file's."""
    out = copy.deepcopy(dump)
    for report in out.get("reports", []):
        report.pop("sha256", None)
    if "quarantine" in out:
        out["quarantine"] = sorted(entry.split("|", 1)[1] for entry in out["quarantine"])
    return out


def ledger_of(ingestor: Ingestor) -> dict[str, Any]:
    with ingestor.readers() as session:
        return transport_neutral(canonical_dump(session))


def ingest_files(ingestor: Ingestor, files: list[Path], establishment: str, ae: str) -> None:
    for path in files:
        ingestor.ingest_path(
            path, SourceInfo(label=str(path), calling_ae=ae, establishment=establishment)
        )
