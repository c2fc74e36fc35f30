"""Per-file ingest time of two real dose objects, as `dosewatch ingest` records them (issue 14).

Usage::

    python -m bench.ingest_files [--ct-copies 200] [--rf-copies 20] [--postgres URL]

For the 125-item Siemens CT RDSR (``CT-RDSR-Siemens_Flash-TAP-SS.dcm``) and the 89-event
Philips Azurion fluoroscopy RDSR (``RF-RDSR-Philips_Azurion.dcm``): copies with fresh UIDs and
a fresh patient each (:mod:`bench.copies`, written before timing), each ingested by one
in-process :class:`~dosewatch.ingest.pipeline.Ingestor` with the hooks the CLI composes
(alerts, NRD facts), one transaction per file, into an empty SQLite ledger and an empty
PostgreSQL schema. Reported: the median and p90 milliseconds per file, and the ratio to a
baseline measured in the same run, interleaved file by file: the bare pydicom read + content
walk of the same copy (``bench.parse.baseline_one``, default garbage collector). The
ingest runs as a worker does: under :mod:`dosewatch.gc_policy` (start-up objects frozen, no
collection during a file, one full collection after it — inside the measured time).
Targets (issue 14): <= 10 ms (CT) and <= 150 ms (Azurion) per file on this machine kind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.common import SAMPLES
from bench.copies import write_copies
from bench.ingest import PG_DEFAULT, _libpq, _schema_url
from bench.parse import baseline_one
from dosewatch import gc_policy

FILES = {
    "siemens_ct_125_items": "CT-RDSR-Siemens_Flash-TAP-SS.dcm",
    "philips_azurion_89_events": "RF-RDSR-Philips_Azurion.dcm",
}
TARGET_MS = {"siemens_ct_125_items": 10.0, "philips_azurion_89_events": 150.0}


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"median_ms": round(statistics.median(values) * 1000, 2), "p90_ms": round(p90 * 1000, 2)}


def run_one(url: str, data_dir: Path, paths: list[Path]) -> dict[str, Any]:
    """Ingest ``paths`` one by one into ``url``, interleaved with the baseline read of each."""
    from dosewatch.cumulative.alerts import on_recorded
    from dosewatch.ingest.pipeline import Ingestor
    from dosewatch.ledger import db
    from dosewatch.nrd.store import on_study_recorded
    from dosewatch.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=url, pseudonym_key="bench")
    engine = db.make_engine(url)
    db.upgrade(engine)
    ingestor = Ingestor(
        settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded
    )
    ingest_s: list[float] = []
    base_s: list[float] = []
    statuses: dict[str, int] = {}
    # as an ingest worker runs (dosewatch.gc_policy): start-up objects frozen, no collection
    # during a file, one full collection after it, inside the measured time; the baseline
    # keeps the default collector (a bare pydicom read)
    gc_policy.freeze_after_setup()
    try:
        for path in paths:
            data = path.read_bytes()  # disk I/O outside both measurements (page cache)
            start = time.perf_counter()
            baseline_one(data)
            base_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            with gc_policy.one_file():
                outcome = ingestor.ingest_path(path)
            ingest_s.append(time.perf_counter() - start)
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    finally:
        engine.dispose()
    ingest, base = _ms(ingest_s), _ms(base_s)
    return {
        "files": len(paths),
        "outcomes": statuses,
        "ingest": ingest,
        "bare_read": base,
        "ratio_median": round(ingest["median_ms"] / base["median_ms"], 3),
    }


LABELS = {
    "siemens_ct_125_items": "Siemens CT RDSR, 125 items",
    "philips_azurion_89_events": "Philips Azurion RDSR, 89 events",
}


def render_section(result: dict[str, Any]) -> str:
    """The per-file ingest section of BENCHMARKS.md."""
    title = "## Per-file ingest of two real objects (`python -m bench.ingest_files`, issue 14)"
    if "error" in result:
        return f"{title}\n\nFailed: {result['error']}\n"
    lines = [
        title,
        "",
        "Fresh-UID copies (a new patient each, `bench/copies.py`), one in-process `Ingestor` "
        "with the CLI's hooks (alerts, NRD facts), one transaction per file, empty ledgers; "
        "baseline of the same run, interleaved file by file: the bare pydicom read + content "
        "walk of the same copy (default garbage collector); ingest under the workers' GC "
        "policy (`dosewatch.gc_policy`: no collection during a file, one after it, counted). "
        f"Load average {result['load_average_start']:.2f} at start, "
        f"{result['load_average_end']:.2f} at end.",
        "",
        "| object | copies | ledger | ingest median (p90) | bare read median | ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, per in result["files"].items():
        for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            run = per[backend]
            lines.append(
                f"| {LABELS.get(key, key)} | {per['copies']} | {name} | "
                f"{run['ingest']['median_ms']:,.1f} ms ({run['ingest']['p90_ms']:,.1f}) | "
                f"{run['bare_read']['median_ms']:,.1f} ms | **{run['ratio_median']:.2f}** | "
                f"<= {per['target_ms']:g} ms |"
            )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_files")
    parser.add_argument("--ct-copies", type=int, default=200)
    parser.add_argument("--rf-copies", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("DOSEWATCH_TEST_POSTGRES_URL"))
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    pg_base = args.postgres or PG_DEFAULT
    load_start = os.getloadavg()[0]
    results: dict[str, Any] = {"load_average_start": round(load_start, 2), "files": {}}
    with tempfile.TemporaryDirectory(prefix="dw-bench-files-") as tmp:
        root = Path(tmp)
        for label, name in FILES.items():
            copies = args.ct_copies if label.startswith("siemens") else args.rf_copies
            source = next(SAMPLES.rglob(name))
            paths = write_copies([source], root / label, copies)
            per_backend: dict[str, Any] = {"copies": copies, "target_ms": TARGET_MS[label]}
            sqlite_url = f"sqlite:///{root / (label + '.sqlite3')}"
            per_backend["sqlite"] = run_one(sqlite_url, root / f"data-{label}-sqlite", paths)
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(_libpq(pg_base), autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                per_backend["postgresql"] = run_one(
                    _schema_url(pg_base, schema), root / f"data-{label}-pg", paths
                )
            finally:
                with psycopg.connect(_libpq(pg_base), autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            results["files"][label] = per_backend
    results["load_average_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
