"""Sustained listener receive rate: storescu pushes N synthetic reports into ``dosewatch``'s
C-STORE listener (spool fsync + ingest, 1 worker, SQLite), as a ratio to ingesting the same
files from disk (1 process, SQLite) in the same run. Target ratio >= 0.8 (issue #10).

``python -m bench.listener [--persons P]`` — the synthetic region is generated first
(``dosewatch synth``, seed 0); the rate counts objects *ingested* per second, end to end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=850)  # >= 2,000 reports (issue #10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(
            ["dosewatch", "synth", str(root / "region"), "-p", str(args.persons), "-n", "0"],
            check=True,
            capture_output=True,
        )
        files = sorted((root / "region").rglob("*.dcm"))
        print(f"{len(files)} synthetic reports; load average {os.getloadavg()[0]:.2f}")

        files_ingestor = _ingestor(root, "files")
        start = time.perf_counter()
        for path in files:
            files_ingestor.ingest_path(path, SourceInfo(label=str(path), establishment="BENCH"))
        file_rate = len(files) / (time.perf_counter() - start)

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
        listener.wait_idle(3600)
        listen_rate = listener.stats.done / (time.perf_counter() - start)
        listener.stop()
        print(f"received {listener.stats.received}, ingested {listener.stats.ingested}")
        print(f"ingest from files: {file_rate:.1f} objects/s")
        print(f"storescu -> listener -> ledger: {listen_rate:.1f} objects/s")
        print(f"ratio listener / files: {listen_rate / file_rate:.2f} (target >= 0.8)")
        print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
