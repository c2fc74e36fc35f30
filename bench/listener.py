"""Sustained listener receive rate: storescu pushes N synthetic reports into ``dosewatch``'s
C-STORE listener (spool fsync + ingest, 1 worker, SQLite), as a ratio to ingesting the same
files from disk (1 process, SQLite) in the same run. Target ratio >= 0.8 (issue #10).

``python -m bench.listener [--persons P] [--json-out F]`` — the synthetic region is generated
first (``dosewatch synth``, seed 0); the rate counts objects *ingested* per second, end to end
(from the first byte sent to the last object recorded). ``bench/run.py`` runs it in a
subprocess and renders :func:`render_section`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dosewatch.archive.listener import Listener, ListenerConfig
from dosewatch.ingest import Ingestor
from dosewatch.ledger.db import make_engine, upgrade
from dosewatch.ledger.identity import SourceInfo
from dosewatch.settings import Settings


def _ingestor(root: Path, name: str) -> Ingestor:
    url = f"sqlite:///{root / (name + '.sqlite3')}"
    engine = make_engine(url)
    upgrade(engine)
    return Ingestor(Settings(data_dir=root / name, database_url=url, pseudonym_key="b"), engine)


def measure(persons: int) -> dict[str, Any]:
    """Both rates and their ratio, with the load average at start and end."""
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(
            ["dosewatch", "synth", str(root / "region"), "-p", str(persons), "-n", "0"],
            check=True,
            capture_output=True,
        )
        files = sorted((root / "region").rglob("*.dcm"))
        print(f"{len(files)} synthetic reports; load average {load_start:.2f}")

        files_ingestor = _ingestor(root, "files")
        start = time.perf_counter()
        for path in files:
            files_ingestor.ingest_path(path, SourceInfo(label=str(path), establishment="BENCH"))
        file_seconds = time.perf_counter() - start

        config = ListenerConfig("DOSEWATCH", {"MODALITY1": "BENCH"}, root / "spool", port=0)
        listener = Listener(config, _ingestor(root, "listened"))
        port = listener.start()
        # dcmtk's storescu, not pynetdicom's app of the same name in the virtualenv
        outside = os.pathsep.join(
            d for d in os.environ["PATH"].split(os.pathsep) if not d.startswith(sys.prefix)
        )
        storescu = shutil.which("storescu", path=outside) or "/usr/bin/storescu"
        start = time.perf_counter()
        # one association per 200 files (a modality sends per study, an archive in batches)
        for i in range(0, len(files), 200):
            subprocess.run(
                [storescu, "-R", "-aet", "MODALITY1", "-aec", "DOSEWATCH", "127.0.0.1", str(port)]
                + [str(p) for p in files[i : i + 200]],
                check=False,  # a refused deviation file must not stop the batch
                capture_output=True,
            )
        idle = listener.wait_idle(3600)
        listen_seconds = time.perf_counter() - start
        listener.stop()
        done = listener.stats.done
    return {
        "reports": len(files),
        "received": listener.stats.received,
        "ingested": dict(sorted(listener.stats.ingested.items())),
        "drained": idle,
        "file_rate": len(files) / file_seconds,
        "listen_rate": done / listen_seconds,
        "ratio": (done / listen_seconds) / (len(files) / file_seconds),
        "load_average": [load_start, os.getloadavg()[0]],
    }


def render_section(result: dict[str, Any]) -> str:
    """The listener section of BENCHMARKS.md."""
    title = "## Listener (`bench/listener.py`, issue 10)"
    if "error" in result:
        return f"{title}\n\nFailed: {result['error']}\n"
    ingested = ", ".join(f"{k} {v}" for k, v in result["ingested"].items())
    return "\n".join(
        [
            title,
            "",
            f"`dosewatch synth` region (seed 0) of {result['reports']:,} reports, ingested from "
            "files (1 process, SQLite) and pushed by dcmtk `storescu` (associations of 200 "
            "files) into the C-STORE listener (fsync'd spool, 1 ingest worker, SQLite), in the "
            f"same run. Load average {result['load_average'][0]:.2f} at start, "
            f"{result['load_average'][1]:.2f} at end.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| baseline: ingest from files | {result['file_rate']:.1f} objects/s |",
            f"| storescu -> listener -> ledger | {result['listen_rate']:.1f} objects/s |",
            f"| ratio listener / files | **{result['ratio']:.2f}** (target >= 0.8) |",
            f"| received, outcomes | {result['received']:,}; {ingested} |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=850)  # >= 2,000 reports (issue #10)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    result = measure(args.persons)
    print(render_section(result))
    if args.json_out:
        args.json_out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
