"""Ingest benchmark: end-to-end files/s into SQLite and PostgreSQL, 1 and 2 workers.

Usage::

    python -m bench.ingest [--reports 5000] [--seed 7] [--postgres URL] [--history-events N]

1. A synthetic region of at least ``--reports`` objects is generated once
   (``dosewatch.synth.region.generate_region``) in a temporary folder.
2. Baseline, same files, same run: a bare pydicom read of every file (bytes from disk,
   ``dcmread`` + a walk of the SR content tree, as in ``bench.parse``), in one process.
3. Each configuration (SQLite / PostgreSQL, 1 and 2 workers) ingests the whole region into an
   empty ledger in a *separate process* (``--measure``), which reports its wall time and its
   own peak RSS and that of its worker processes, with the hooks ``dosewatch ingest`` composes
   (alerts, NRD facts). Figures are ratios to the baseline: time ratio (1 worker; issue 14
   target <= 1.0) and throughput ratio 2 workers / 1 worker (target >= 1.7). ``--source
   samples`` ingests fresh-UID copies of the 50 real samples (:mod:`bench.copies`) instead.
4. History query: a PostgreSQL ledger of ``--history-events`` irradiation events (default
   1,000,000) generated with ``INSERT ... SELECT generate_series`` (not through files); p95 of
   one person's full history query (``repository.history``) over 200 random persons
   (target <= 20 ms).

Prints one JSON object (``--json-out`` writes it to a file too) and human-readable lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from bench.parse import baseline_one

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


# --------------------------------------------------------------------------- one measurement


def measure(url: str, workers: int, folder: Path, data_dir: Path) -> dict[str, Any]:
    """Run in a child process: ingest ``folder`` into ``url`` and report time and memory."""
    from dosewatch.cumulative.alerts import on_recorded
    from dosewatch.ingest import local_pool as pool
    from dosewatch.ingest.pipeline import Ingestor
    from dosewatch.ledger import db
    from dosewatch.nrd.store import on_study_recorded
    from dosewatch.settings import Settings

    # the hooks `dosewatch ingest` composes: alerts, patient facts + NRD indicators
    settings = Settings(data_dir=data_dir, database_url=url, pseudonym_key="bench")
    engine = db.make_engine(url)
    db.upgrade(engine)
    ingestor = (
        Ingestor(settings, engine, on_recorded=on_recorded, on_study_recorded=on_study_recorded)
        if workers == 1
        else None
    )
    if workers > 1:
        engine.dispose()
    start = time.perf_counter()
    summary = pool.run(
        settings,
        [folder],
        workers=workers,
        ingestor=ingestor,
        on_recorded=on_recorded,
        on_study_recorded=on_study_recorded,
    )
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "files": summary.files,
        "recorded": summary.recorded,
        "duplicates": summary.duplicates,
        "quarantined": summary.quarantined,
        "failed": summary.failed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "peak_rss_workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
    }


def _child(url: str, workers: int, folder: Path, data_dir: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ingest",
            "--measure",
            url,
            str(workers),
            str(folder),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bare_read_seconds(folder: Path) -> tuple[float, int]:
    files = sorted(p for p in folder.rglob("*.dcm"))
    start = time.perf_counter()
    for path in files:
        baseline_one(path.read_bytes())
    return time.perf_counter() - start, len(files)


# --------------------------------------------------------------------------- history query


HISTORY_SQL = """
INSERT INTO establishment (id, code, name, created_at)
SELECT g, 'E' || g, 'Establishment ' || g, now() FROM generate_series(1, 50) g;
INSERT INTO person (id, pseudonym, created_at)
SELECT g, md5('p' || g), now() FROM generate_series(1, :persons) g;
INSERT INTO patient_identifier (id, person_id, issuer, value, kind, created_at)
SELECT g, g, 'EST:E' || (1 + g % 50), 'P' || g, 'local', now()
FROM generate_series(1, :persons) g;
INSERT INTO study (id, study_instance_uid, person_id, identifier_id, establishment_id,
                   study_date, created_at)
SELECT g, '2.25.' || g, 1 + (g * 7919) % :persons, 1 + (g * 7919) % :persons, 1 + g % 50,
       date '2015-01-01' + (g % 3650), now()
FROM generate_series(1, :studies) g;
INSERT INTO dose_report (id, sop_instance_uid, sop_class_uid, study_id, establishment_id,
                         source_kind, modality, status, sha256, event_count, event_keys,
                         received_at)
SELECT g, '2.25.9' || g, '1.2.840.10008.5.1.4.1.1.88.67', g, 1 + g % 50, 'xray_rdsr', 'CT',
       'current', md5('r' || g) || md5('s' || g), :per_study, '[]', now()
FROM generate_series(1, :studies) g;
INSERT INTO irradiation_event (study_id, report_id, event_key, event_uid, kind, modality,
                               from_header, counted, conflict, value_hash, datetime_started,
                               acquisition_protocol, ctdivol_mgy, dlp_mgy_cm)
SELECT s, s, '2.25.8' || s || '.' || e, '2.25.8' || s || '.' || e, 'ct', 'CT', false, true,
       false, md5(s || '.' || e), timestamp '2015-01-01' + (s % 3650) * interval '1 day',
       'Body', 5 + (s + e) % 20, 200 + (s * e) % 500
FROM generate_series(1, :studies) s, generate_series(1, :per_study) e;
"""


def history_benchmark(base: str, events: int, persons: int, queries: int) -> dict[str, Any]:
    """p95 of a person's full history on a PostgreSQL ledger of ``events`` events."""
    from dosewatch.ledger import db, repository

    per_study = 4
    studies = events // per_study
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = _schema_url(base, schema)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        sql = (
            HISTORY_SQL.replace(":persons", str(persons))
            .replace(":studies", str(studies))
            .replace(":per_study", str(per_study))
        )
        start = time.perf_counter()
        with psycopg.connect(_libpq(url), autocommit=False) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            for statement in filter(str.strip, sql.split(";")):
                conn.execute(statement)
            conn.commit()
            conn.autocommit = True
            conn.execute("ANALYZE")
        build_s = time.perf_counter() - start
        rng = random.Random(7)
        sessions = db.session_factory(engine, read_only=True)
        timings: list[float] = []
        sizes: list[int] = []
        with sessions() as session:
            repository.history(session, 1)  # warm the connection and plan cache
            for _ in range(queries):
                person = rng.randint(1, persons)
                t0 = time.perf_counter()
                rows = repository.history(session, person)
                timings.append((time.perf_counter() - t0) * 1000.0)
                sizes.append(len(rows))
        engine.dispose()
        timings.sort()
        return {
            "events": studies * per_study,
            "persons": persons,
            "build_seconds": round(build_s, 1),
            "queries": queries,
            "events_per_person_median": statistics.median(sizes),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
            "max_ms": round(timings[-1], 2),
        }
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", nargs=4, metavar=("URL", "WORKERS", "DIR", "DATA"))
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get("DOSEWATCH_TEST_POSTGRES_URL"))
    parser.add_argument("--history-events", type=int, default=1_000_000)
    parser.add_argument("--history-persons", type=int, default=50_000)
    parser.add_argument(
        "--source",
        choices=("region", "samples"),
        default="region",
        help="a generated region, or fresh-UID copies of the 50 real samples",
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.measure:
        url, workers, folder, data = args.measure
        print(json.dumps(measure(url, int(workers), Path(folder), Path(data))))
        return

    pg_base = args.postgres or PG_DEFAULT
    results: dict[str, Any] = {"reports_target": args.reports}
    with tempfile.TemporaryDirectory(prefix="dosewatch-bench-") as tmp:
        root = Path(tmp)
        if not args.skip_ingest:
            results.update(_ingest_benchmarks(root, args.reports, args.seed, pg_base, args.source))
    if not args.skip_history:
        results["history"] = history_benchmark(
            pg_base, args.history_events, args.history_persons, queries=200
        )
    text = json.dumps(results, indent=1)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    for line in _human(results):
        print(line)


def _ingest_benchmarks(
    root: Path, reports: int, seed: int, pg_base: str, source: str = "region"
) -> dict[str, Any]:
    folder = root / source
    start = time.perf_counter()
    if source == "samples":
        # real-sized objects: copies of the 50 real samples, fresh UIDs and patient each
        from bench.common import sample_files
        from bench.copies import write_copies

        samples = sample_files()
        written = write_copies(samples, folder, max(1, reports // len(samples)))
        distinct = len(written)
    else:
        from dosewatch.synth.region import generate_region

        # ~2.3 distinct reports per person in the default mix: aim above the target
        persons = max(10, int(reports / 2.1) + 1)
        summary = generate_region(folder, establishments=50, persons=persons, seed=seed)
        distinct = summary.expected_recorded_reports
    generated = time.perf_counter() - start
    bare_s, files = bare_read_seconds(folder)
    out: dict[str, Any] = {
        "source": source,
        "files": files,
        "distinct_reports": distinct,
        "generate_seconds": round(generated, 1),
        "bare_read_seconds": round(bare_s, 2),
        "bare_read_files_per_s": round(files / bare_s, 1),
        "configs": {},
    }
    for backend in ("sqlite", "postgresql"):
        for workers in (1, 2):
            name = f"{backend}-{workers}w"
            data_dir = root / f"data-{name}"
            schema = None
            if backend == "sqlite":
                url = f"sqlite:///{root / (name + '.sqlite3')}"
            else:
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(_libpq(pg_base), autocommit=True) as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                url = _schema_url(pg_base, schema)
            try:
                measured = _child(url, workers, folder, data_dir)
            finally:
                if schema:
                    with psycopg.connect(_libpq(pg_base), autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            measured["files_per_s"] = round(measured["files"] / measured["seconds"], 1)
            measured["time_ratio_to_bare_read"] = round(measured["seconds"] / bare_s, 2)
            out["configs"][name] = measured
    for backend in ("sqlite", "postgresql"):
        one = out["configs"][f"{backend}-1w"]["seconds"]
        two = out["configs"][f"{backend}-2w"]["seconds"]
        out[f"{backend}_speedup_2w"] = round(one / two, 2)
    return out


def _human(results: dict[str, Any]) -> list[str]:
    lines = []
    if "configs" in results:
        lines.append(
            f"bare pydicom read: {results['files']} files in {results['bare_read_seconds']} s "
            f"({results['bare_read_files_per_s']} files/s)"
        )
        for name, m in results["configs"].items():
            lines.append(
                f"{name}: {m['files_per_s']} files/s, {m['time_ratio_to_bare_read']}x the bare "
                f"read time, peak RSS {m['peak_rss_mb']:.0f} MB (workers "
                f"{m['peak_rss_workers_mb']:.0f} MB), recorded {m['recorded']}, "
                f"duplicates {m['duplicates']}, quarantined {m['quarantined']}"
            )
        for backend in ("sqlite", "postgresql"):
            lines.append(
                f"{backend}: 2 workers / 1 worker throughput {results[f'{backend}_speedup_2w']}x"
            )
    if "history" in results:
        h = results["history"]
        lines.append(
            f"history query on {h['events']} events / {h['persons']} persons: "
            f"p50 {h['p50_ms']} ms, p95 {h['p95_ms']} ms (built in {h['build_seconds']} s)"
        )
    return lines


if __name__ == "__main__":
    main()
