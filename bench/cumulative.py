"""Cumulative view and alert-evaluation cost (issue 7).

1. **Cumulative view** of one person with 500 exams in a PostgreSQL ledger of >= 1,000,000
   irradiation events: p95 of :func:`dosewatch.cumulative.summary.cumulative` over repeated
   calls, against the same-run baseline :func:`dosewatch.ledger.repository.history` (the
   existing one-query history of the same person). The bulk of the ledger is written with
   ``INSERT ... SELECT generate_series`` (ingesting a million events through the parser
   would take hours on this machine); the measured person's rows have the shape ingest writes
   (counted events, one current E and three organ doses per event).
2. **Alert overhead**: the same synthetic objects ingested (SQLite) with and without the
   alert hook into two ledgers, object by object in alternating order; the median of the
   rounds' ratios.
3. **Cost of the kept sums** (``estimate_sum``, migration ``cumview_03``) to PostgreSQL
   ingest: one ledger, its triggers switched on and off every two objects.

``python -m bench.cumulative [--events N] [--write BENCHMARKS.md]`` — the section
``## Cumulative`` of the file is replaced (other sections untouched).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dosewatch import gc_policy, synth
from dosewatch.cumulative import alerts
from dosewatch.cumulative.summary import cumulative
from dosewatch.cumulative.window import parse_window
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import repository
from dosewatch.ledger.db import make_engine, session_factory, upgrade
from dosewatch.ledger.identity import SourceInfo
from dosewatch.nrd.store import on_study_recorded
from dosewatch.settings import Settings

PG = os.environ.get("DOSEWATCH_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
#: persisted between runs (built once, reused while its schema head and size match)
DB = "dosewatch_bench"
SECTION = "## Cumulative (`bench/cumulative.py`, issue 7)"


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], check=True, capture_output=True
    )


BULK = """
INSERT INTO establishment (id, code, name, created_at)
  SELECT g, 'EST' || g, NULL, now() FROM generate_series(1, 3) g;
INSERT INTO person (id, pseudonym, created_at)
  SELECT g, md5(g::text) || md5((g + 1)::text), now() FROM generate_series(1, :persons) g;
INSERT INTO study (id, study_instance_uid, person_id, establishment_id, study_date, created_at)
  SELECT g, '2.25.' || g, CASE WHEN g <= 500 THEN 1 ELSE 2 + (g % (:persons - 1)) END,
         1 + g % 3, date '2010-01-01' + (g % 5000), now()
  FROM generate_series(1, :studies) g;
INSERT INTO dose_report (id, sop_instance_uid, sop_class_uid, study_id, establishment_id,
    source_kind, modality, status, sha256, event_count, event_keys, received_at)
  SELECT g, '2.25.9' || g, '1.2.840.10008.5.1.4.1.1.88.67', g, 1 + g % 3, 'xray_rdsr', 'CT',
         'current', md5(g::text), :per, '[]', now()
  FROM generate_series(1, :studies) g;
INSERT INTO irradiation_event (id, study_id, report_id, event_key, event_uid, kind, modality,
    from_header, counted, conflict, value_hash, ctdivol_mgy, dlp_mgy_cm)
  SELECT g, 1 + (g - 1) / :per, 1 + (g - 1) / :per, '2.25.8' || g, '2.25.8' || g, 'ct', 'CT',
         false, true, false, md5(g::text), 10.0, 400.0
  FROM generate_series(1, :events) g;
INSERT INTO estimate (report_id, study_id, event_id, quantity, organ_scheme, organ_value,
    organ_meaning, value, unit, uncertainty_pct, model_id, model_version, table_version, basis,
    indicative, upper_bound, method, inputs, current, created_at, slot_key, origin, selection,
    selection_reason)
  SELECT 1 + (g - 1) / :per, 1 + (g - 1) / :per, g, 'effective_dose', NULL, NULL, NULL, 8.4,
         'mSv', 40.0, 'ct.effective.k_dlp', '1', 't', 'ICRP103', false, false, '', '{}', true,
         now(), '2.25.8' || g || '|effective_dose||ICRP103', 'model', 'counted', 'bench'
  FROM generate_series(1, :events) g;
INSERT INTO estimate (report_id, study_id, event_id, quantity, organ_scheme, organ_value,
    organ_meaning, value, unit, uncertainty_pct, model_id, model_version, table_version, basis,
    indicative, upper_bound, method, inputs, current, created_at, slot_key, origin, selection,
    selection_reason)
  SELECT 1 + (g - 1) / :per, 1 + (g - 1) / :per, g, 'organ_dose', 'SCT', o.v, o.m, 13.6, 'mGy',
         35.0, 'ct.organ.korg_h', '1', 't', NULL, false, false, '', '{}', true, now(),
         '2.25.8' || g || '|organ_dose|SCT:' || o.v || '|', 'model', 'counted', 'bench'
  FROM generate_series(1, 500 * :per) g,
       (VALUES ('39607008', 'Lung'), ('80891009', 'Heart'), ('76752008', 'Breast')) o(v, m);
"""


def _reusable(url: str, events: int) -> bool:
    """True when the persisted ledger exists with ``events`` rows (then upgraded to the head)."""
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM irradiation_event")).scalar()
    except SQLAlchemyError:  # a half-built database is rebuilt
        engine.dispose()
        return False
    if count != (events // 4) * 4:
        engine.dispose()
        return False
    upgrade(engine)  # a later migration (new table, index) applies to the persisted ledger
    _vacuum(engine)  # a migration's backfill leaves dead rows that autovacuum would clear
    engine.dispose()
    return True


def _vacuum(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE")  # visibility map + statistics, as autovacuum would leave them
        )


def build_ledger(events: int, *, rebuild: bool = False) -> str:
    """The bench ledger ``dosewatch_bench`` (built once with SQL, then reused)."""
    url = f"{PG}/{DB}"
    if not rebuild and _reusable(url, events):
        return url
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    engine = make_engine(url)
    upgrade(engine)
    per = 4
    studies = events // per
    persons = max(studies // 3, 10)
    sql = BULK
    for name, value in {
        ":persons": persons,
        ":studies": studies,
        ":per": per,
        ":events": studies * per,
    }.items():
        sql = sql.replace(name, str(value))
    with engine.begin() as connection:
        for statement in sql.split(";"):
            if statement.strip():
                connection.execute(text(statement))
    _vacuum(engine)
    engine.dispose()
    return url


def time_view(url: str, calls: int) -> dict[str, float]:
    """The view as a service process serves it: start-up objects frozen (as
    :func:`api.app.create_app_from_environment` does), after 3 untimed warm-up views (the
    first view of a process compiles its statements; it is reported apart)."""
    engine = make_engine(url)
    window = parse_window("all", datetime(2025, 1, 1).date())
    factory = session_factory(engine, read_only=True)
    gc_policy.freeze_after_setup()
    cold_ms = []
    for _ in range(3):
        with factory() as session:
            t0 = time.perf_counter()
            cumulative(session, 1, window)
            repository.history(session, 1)
            cold_ms.append(1000 * (time.perf_counter() - t0))
    view_ms: list[float] = []
    base_ms: list[float] = []
    exams = 0
    for _ in range(calls):
        with factory() as session:
            t0 = time.perf_counter()
            view = cumulative(session, 1, window)
            t1 = time.perf_counter()
            repository.history(session, 1)
            t2 = time.perf_counter()
        exams = view.exams
        view_ms.append(1000 * (t1 - t0))
        base_ms.append(1000 * (t2 - t1))
    with engine.connect() as connection:
        total_events = connection.execute(text("SELECT count(*) FROM irradiation_event")).scalar()
    engine.dispose()

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    return {
        "ledger_events": float(total_events or 0),
        "exams": float(exams),
        "view_p95_ms": p95(view_ms),
        "view_median_ms": statistics.median(view_ms),
        "history_p95_ms": p95(base_ms),
        "ratio_p95": p95(view_ms) / p95(base_ms),
        "calls": float(calls),
        "first_ms": cold_ms[0],
    }


def _ct_objects(reports: int) -> list[bytes]:
    """``reports`` CT RDSRs of 3 events each, for 20 persons, a day apart."""
    objects = []
    for i in range(reports):
        header = synth.Header(
            patient=synth.PatientSpec(patient_id=f"P{i % 20}", issuer="BENCH"),
            study=synth.StudySpec(
                study_datetime=datetime(2024, 1, 1, 9) + timedelta(days=i),
                study_instance_uid=f"2.25.77{i}",
                sop_instance_uid=f"2.25.78{i}",
            ),
        )
        spec = synth.CtReportSpec(
            events=tuple(
                synth.CtEventSpec(dlp_mgy_cm=300.0 + j, irradiation_event_uid=f"2.25.79{i}.{j}")
                for j in range(3)
            )
        )
        objects.append(synth.ct_report_bytes(spec, header))
    return objects


SUMS_DB = "dosewatch_bench_sums"
_SUM_TRIGGERS = ("estimate_sum_insert", "estimate_sum_update", "estimate_sum_delete")


def sum_trigger_cost(reports: int) -> dict[str, float]:
    """What keeping ``estimate_sum`` (migration ``cumview_03``) adds to PostgreSQL ingest:
    ``reports`` CT RDSRs ingested into one fresh ledger, the triggers switched on and off
    every two objects (the same ledger growing under both arms); median per object."""
    _psql(f"DROP DATABASE IF EXISTS {SUMS_DB}")
    _psql(f"CREATE DATABASE {SUMS_DB}")
    url = f"{PG}/{SUMS_DB}"
    engine = make_engine(url)
    upgrade(engine)
    spent: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, pseudonym_key="k")
        ingestor = Ingestor(settings, engine)
        for n, data in enumerate(_ct_objects(reports)):
            mode = "on" if (n // 2) % 2 == 0 else "off"
            if n % 2 == 0:
                switch = "ENABLE" if mode == "on" else "DISABLE"
                with engine.begin() as connection:
                    for trigger in _SUM_TRIGGERS:
                        connection.execute(text(f"ALTER TABLE estimate {switch} TRIGGER {trigger}"))
            t0 = time.perf_counter()
            ingestor.ingest_bytes(data, SourceInfo(f"s{n}"))
            spent[mode].append(time.perf_counter() - t0)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM estimate")).scalar_one()
    engine.dispose()
    _psql(f"DROP DATABASE IF EXISTS {SUMS_DB}")
    on, off = statistics.median(spent["on"][4:]), statistics.median(spent["off"][4:])
    return {
        "reports": float(reports),
        "estimates": float(rows),
        "on_ms": 1000.0 * on,
        "off_ms": 1000.0 * off,
        "overhead_pct": 100.0 * (on - off) / off,
    }


def alert_overhead(reports: int, rounds: int) -> dict[str, float]:
    """Ingest ``reports`` CT RDSRs of 20 persons with and without the alert hook (SQLite)."""
    objects = _ct_objects(reports)
    times: dict[str, list[float]] = {"without": [], "with": []}
    hook_s: list[float] = []

    def timed_hook(session: Session, person_id: int) -> None:
        t = time.perf_counter()
        alerts.on_recorded(session, person_id)
        hook_s[-1] += time.perf_counter() - t

    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            ingestors: dict[str, Ingestor] = {}
            engines = []
            for mode in ("without", "with"):
                url = f"sqlite:///{tmp}/{mode}.sqlite3"
                engine = make_engine(url)
                upgrade(engine)
                engines.append(engine)
                settings = Settings(data_dir=Path(tmp) / mode, database_url=url, pseudonym_key="k")
                ingestors[mode] = Ingestor(
                    settings,
                    engine,
                    on_recorded=timed_hook if mode == "with" else None,
                    on_study_recorded=on_study_recorded,
                )
            hook_s.append(0.0)
            spent = {"without": 0.0, "with": 0.0}
            # the two ledgers are written object by object, in alternating order: the
            # machine's drift (load, clock) weighs on both arms alike
            for n, data in enumerate(objects):
                for mode in ("without", "with") if n % 2 == 0 else ("with", "without"):
                    t0 = time.perf_counter()
                    ingestors[mode].ingest_bytes(data, SourceInfo(f"b{n}"))
                    spent[mode] += time.perf_counter() - t0
            for mode, seconds in spent.items():
                times[mode].append(seconds)
            for engine in engines:
                engine.dispose()
    without, with_ = statistics.median(times["without"]), statistics.median(times["with"])
    share = statistics.median(h / t for h, t in zip(hook_s, times["with"], strict=True))
    # the ratio of each round's two arms (interleaved object by object)
    paired = [w / o for w, o in zip(times["with"], times["without"], strict=True)]
    return {
        "reports": float(reports),
        "rounds": float(rounds),
        "without_s": without,
        "with_s": with_,
        "overhead_pct": 100.0 * (statistics.median(paired) - 1.0),
        "paired_min_pct": 100.0 * (min(paired) - 1.0),
        "paired_max_pct": 100.0 * (max(paired) - 1.0),
        # the hook's own time (it includes flushing the report's pending rows, which the
        # commit would otherwise do) over the time of the same ingest without it
        "hook_pct": 100.0 * share / (1.0 - share),
    }


def render(
    view: dict[str, float], alert: dict[str, float], sums: dict[str, float], load: float
) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            f"Load average (1 min) at start {load:.2f}, at end {os.getloadavg()[0]:.2f} "
            "(2 cores, shared with other sessions).",
            "",
            "| measure | value | baseline (same run) | ratio | target |",
            "|---|---|---|---|---|",
            f"| cumulative view, person with {int(view['exams'])} exams, PostgreSQL ledger of "
            f"{int(view['ledger_events']):,} events: p95 | **{view['view_p95_ms']:.1f} ms** "
            f"(median {view['view_median_ms']:.1f} ms) | `repository.history` p95 "
            f"{view['history_p95_ms']:.1f} ms | {view['ratio_p95']:.2f} | p95 <= 50 ms |",
            f"| ingest of {int(alert['reports'])} CT RDSRs (SQLite) with the alert hook, "
            f"{int(alert['rounds'])} rounds, the two ledgers written object by object in "
            "alternating order: median of the rounds' with/without ratios "
            f"(range {alert['paired_min_pct']:+.1f} to {alert['paired_max_pct']:+.1f} %) | "
            f"{alert['with_s']:.2f} s (median) | without: {alert['without_s']:.2f} s (median) | "
            f"**{alert['overhead_pct']:+.1f} %** | <= 10 % |",
            f"| the alert hook's own time in the same runs, over the ingest without it | "
            f"**{alert['hook_pct']:.1f} %** | | | <= 10 % |",
            f"| PostgreSQL ingest of {int(sums['reports'])} CT RDSRs "
            f"({int(sums['estimates']):,} estimates) with the `estimate_sum` triggers, median "
            f"per object | {sums['on_ms']:.1f} ms | triggers off (switched every 2 objects): "
            f"{sums['off_ms']:.1f} ms | **{sums['overhead_pct']:+.1f} %** | |",
            "",
            f"The view is timed over {int(view['calls'])} calls as a service process serves "
            "it: start-up objects frozen (`dosewatch.gc_policy`, as `dosewatch serve` does), "
            "after 3 untimed warm-up views; the first view of the process (statements "
            f"compiled) took {view['first_ms']:.0f} ms (view and history).",
            "",
            "The bulk of the ledger is written by SQL (`generate_series`), not by ingest, once, "
            f"into the persisted database `{DB}` (reused while its size matches; "
            "`--rebuild` to redo); the measured person's rows have ingest's shape (4 counted "
            "events per exam, one current E and three organ doses per event). The alert "
            "overhead ingests with the NRD hook in both arms (the CLI's configuration); only "
            "the alert hook differs. On PostgreSQL the view reads the per-study sums that the "
            "database keeps as estimates are written (`estimate_sum`, statement triggers of "
            "migration `cumview_03`), not the person's 8,000 estimate rows; the sums' triggers "
            "are switched off in the last row's other arm only.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--reports", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sum-reports", type=int, default=160)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the ledger")
    parser.add_argument("--view-only", action="store_true", help="skip the alert overhead")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    url = build_ledger(args.events, rebuild=args.rebuild)
    view = time_view(url, args.calls)
    if args.view_only:
        print(view)
        return
    alert = alert_overhead(args.reports, args.rounds)
    sums = sum_trigger_cost(args.sum_reports)
    section = render(view, alert, sums, load)
    print(section)
    if args.write:
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        pattern = re.compile(re.escape(SECTION) + r".*?(?=^## |\Z)", re.S | re.M)
        new = pattern.sub(section, old) if SECTION in old else old.rstrip() + "\n\n" + section
        args.write.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
