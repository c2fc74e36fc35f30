"""Loopback load test of the patient-history endpoint over a >= 1,000,000-event
PostgreSQL ledger (``python -m bench.service_history``; bounded: 60 s of load).

* The ledger is built in its own database (default ``bench_service``) with set-based SQL
  (``generate_series``): 50 establishments, persons with ~5 studies of 2 CT events each,
  one current effective-dose estimate and two organ doses per event in ingest's slot shape;
  the real schema (Alembic head).
* The service runs under uvicorn in a subprocess (``--workers``, default 1); 50 concurrent
  clients (asyncio + httpx, each a closed loop with a think time) ask ``GET
  /api/persons/{id}/history`` (or ``/cumulative``, ``--endpoint``) for random persons with
  an admin token (regional scope, so every exam is returned and an audit row is written
  per read). ``--reuse`` runs against the ledger an earlier ``--keep`` run left.
* Baseline of the same run: ``GET /api/me`` (authentication only) under the same load;
  the figure is p95(history) and its ratio to p95(baseline), with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import ROOT

ADMIN_TOKEN_LABEL = "bench"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def build_ledger(server: str, database: str, persons: int, seed: int) -> dict[str, int]:
    """Create ``database`` afresh and fill it; returns the row counts."""
    with psycopg.connect(_libpq(f"{server}/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = f"{server}/{database}"
    from dosewatch.ledger import db

    db.upgrade(db.make_engine(url))
    studies_per_person, events_per_study = 5, 2
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute(f"SELECT setseed({(seed % 1000) / 1000})")
        conn.execute(
            "INSERT INTO establishment (id, code, name, created_at) "
            "SELECT g, 'EST' || g, 'Establishment ' || g, now() FROM generate_series(1, 50) g"
        )
        conn.execute(
            "INSERT INTO device (id, establishment_id, device_key, manufacturer, model) "
            "SELECT g, g, md5(g::text), 'ACME', 'CT-' || g FROM generate_series(1, 50) g"
        )
        conn.execute(
            "INSERT INTO person (id, pseudonym, sex, created_at) "
            "SELECT g, md5('p' || g) || md5('q' || g), 'F', now() "
            "FROM generate_series(1, %s) g",
            (persons,),
        )
        conn.execute(
            "INSERT INTO patient_identifier (person_id, issuer, value, kind, created_at) "
            "SELECT g, 'ISSUER:BENCH', 'ID' || g, 'local', now() FROM generate_series(1, %s) g",
            (persons,),
        )
        studies = persons * studies_per_person
        conn.execute(
            "INSERT INTO study (id, study_instance_uid, person_id, establishment_id, "
            "study_date, created_at) "
            "SELECT g, '2.25.' || g, (g - 1) / %s + 1, 1 + (random() * 49)::int, "
            "date '2015-01-01' + (random() * 3650)::int, now() FROM generate_series(1, %s) g",
            (studies_per_person, studies),
        )
        conn.execute(
            "INSERT INTO dose_report (id, sop_instance_uid, sop_class_uid, study_id, device_id, "
            "establishment_id, source_kind, modality, status, sha256, event_count, event_keys, "
            "received_at) "
            "SELECT s.id, '2.25.9' || s.id, '1.2.840.10008.5.1.4.1.1.88.67', s.id, "
            "s.establishment_id, s.establishment_id, 'xray_rdsr', 'CT', 'current', "
            "md5(s.id::text), 2, '[]', now() FROM study s"
        )
        conn.execute(
            "INSERT INTO irradiation_event (id, study_id, report_id, event_key, event_uid, kind, "
            "modality, from_header, counted, conflict, value_hash, acquisition_protocol, "
            "ctdivol_mgy, dlp_mgy_cm) "
            "SELECT (s.id - 1) * 2 + e, s.id, s.id, '2.25.8' || s.id || e, "
            "'2.25.8' || s.id || e, 'ct', 'CT', false, true, false, md5(s.id::text || e), "
            "'Thorax', 5 + random() * 10, 100 + random() * 500 "
            "FROM study s, generate_series(1, %s) e",
            (events_per_study,),
        )
        # one current effective dose and two organ doses per event, in ingest's slot shape
        conn.execute(
            "INSERT INTO estimate (report_id, study_id, event_id, quantity, organ_scheme, "
            "organ_value, organ_meaning, value, unit, uncertainty_pct, model_id, model_version, "
            "table_version, basis, indicative, upper_bound, method, inputs, current, created_at, "
            "slot_key, origin, selection, selection_reason) "
            "SELECT ev.report_id, ev.study_id, ev.id, 'effective_dose', NULL, NULL, NULL, "
            "ev.dlp_mgy_cm * 0.014, 'mSv', 40, 'ct.k_dlp', '1', 'bench', 'ICRP103', false, "
            "false, 'E = k * DLP', '{}', true, now(), "
            "ev.event_key || '|effective_dose||ICRP103', 'model', 'counted', 'bench' "
            "FROM irradiation_event ev"
        )
        conn.execute(
            "INSERT INTO estimate (report_id, study_id, event_id, quantity, organ_scheme, "
            "organ_value, organ_meaning, value, unit, uncertainty_pct, model_id, model_version, "
            "table_version, basis, indicative, upper_bound, method, inputs, current, created_at, "
            "slot_key, origin, selection, selection_reason) "
            "SELECT ev.report_id, ev.study_id, ev.id, 'organ_dose', 'SCT', o.v, o.m, "
            "ev.ctdivol_mgy * o.k, 'mGy', 35, 'ct.organ.korg_h', '1', 'bench', NULL, false, "
            "false, 'D = k * CTDIvol', '{}', true, now(), "
            "ev.event_key || '|organ_dose|SCT:' || o.v || '|', 'model', 'counted', 'bench' "
            "FROM irradiation_event ev, "
            "(VALUES ('39607008', 'Lung', 1.4), ('76752008', 'Breast', 1.2)) o(v, m, k)"
        )
        for table in (
            "establishment",
            "device",
            "person",
            "study",
            "dose_report",
            "irradiation_event",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("ANALYZE")
        conn.commit()
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("person", "study", "irradiation_event", "estimate")
        }
    return counts


def existing_counts(server: str, database: str) -> dict[str, int] | None:
    """The row counts of a ledger built by an earlier run (``--reuse``), or None."""
    try:
        conn = psycopg.connect(_libpq(f"{server}/{database}"))
    except psycopg.OperationalError:
        return None
    with conn:
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("person", "study", "irradiation_event", "estimate")
        }
    return counts if counts["irradiation_event"] > 0 else None


def admin_token(url: str) -> str:
    from sqlalchemy import select

    from dosewatch.ledger import accounts, db
    from dosewatch.ledger.auth_models import User

    engine = db.make_engine(url)
    with db.transaction(db.session_factory(engine)) as session:
        user = session.scalars(select(User).where(User.username == "bench-admin")).first()
        if user is None:  # a reused ledger keeps the account of the run that built it
            user = accounts.create_user(session, "bench-admin", "admin", [])
        token = accounts.issue_token(session, user, ADMIN_TOKEN_LABEL)
    engine.dispose()
    return token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(
    base: str, token: str, paths: list[str], clients: int, seconds: float, think_s: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one(index: int) -> None:
            nonlocal errors
            rng = random.Random(index)
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(rng.choice(paths))
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))

        await asyncio.gather(*(one(i) for i in range(clients)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rate_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.service_history")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_service")
    parser.add_argument("--persons", type=int, default=100_000)  # x5 studies x2 events
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--think-s", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the ledger of an earlier --keep run as it is"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--endpoint",
        choices=("history", "cumulative"),
        default="history",
        help="person resource under load (cumulative: lifetime sums, coverage, timeline)",
    )
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    print(f"seed {args.seed}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started = time.perf_counter()
    reused = existing_counts(args.server, args.database) if args.reuse else None
    if reused is not None:
        counts, build_s = reused, 0.0
        args.persons = counts["person"]
        print(f"ledger reused: {counts}", flush=True)
    else:
        counts = build_ledger(args.server, args.database, args.persons, args.seed)
        build_s = time.perf_counter() - started
        print(f"ledger built in {build_s:.0f} s: {counts}", flush=True)
    url = f"{args.server}/{args.database}"
    token = admin_token(url)
    port = _free_port()
    env = {**os.environ, "DOSEWATCH_DATABASE_URL": url, "DOSEWATCH_MODE": "development"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app_from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the service did not start")
        rng = random.Random(args.seed)
        history = [
            f"/api/persons/{rng.randint(1, args.persons)}/{args.endpoint}" for _ in range(5000)
        ]
        load_before = os.getloadavg()[0]
        baseline = asyncio.run(
            _load(base, token, ["/api/me"], args.clients, args.baseline_seconds, args.think_s)
        )
        measured = asyncio.run(
            _load(base, token, history, args.clients, args.seconds, args.think_s)
        )
        load_after = os.getloadavg()[0]
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a client connection kept it in graceful shutdown
            server.kill()
            server.wait()
    if not (args.keep or args.reuse):
        with psycopg.connect(_libpq(f"{args.server}/postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    result = {
        "ledger": counts,
        "build_s": round(build_s, 1),
        "reused": reused is not None,
        "workers": args.workers,
        "endpoint": args.endpoint,
        "clients": args.clients,
        "think_s": args.think_s,
        "seconds": args.seconds,
        "baseline_me": baseline,
        "history": measured,
        "p95_ratio_to_baseline": round(measured["p95_ms"] / max(baseline["p95_ms"], 0.1), 2),
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }
    print(json.dumps(result, indent=2), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
