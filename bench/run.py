"""``make bench``: every benchmark in one run; figures as ratios to baselines of that run.

Writes BENCHMARKS.md (``--write``). The ingest benchmark runs in a subprocess (it measures
its own children's peak RSS); ``--quick`` shrinks sizes for a smoke run, and its figures
are labelled as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import estimate as estimate_bench
from bench import ingest_files as ingest_files_bench
from bench import listener as listener_bench
from bench import nrd as nrd_bench
from bench import parse as parse_bench
from bench.common import ROOT, SAMPLES


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average at start {load[0]:.2f}"
    )


def _bench_json(module: str, extra: list[str]) -> dict[str, Any]:
    """``python -m bench.<module> --json-out F`` in a subprocess; its JSON, or the error."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{module}.json"
        command = [sys.executable, "-m", f"bench.{module}", "--json-out", str(out), *extra]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if completed.returncode != 0 or not out.exists():
            return {"error": (completed.stderr or completed.stdout)[-2000:]}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _ingest(quick: bool) -> dict[str, Any]:
    """``bench.ingest`` (it measures its own children's peak RSS)."""
    return _bench_json(
        "ingest", ["--reports", "600", "--history-events", "100000"] if quick else []
    )


def _nrd(quick: bool) -> dict[str, Any]:
    """``bench.nrd`` (it builds and drops its own database ``bench_nrd``)."""
    return _bench_json("nrd", ["--exams", "200000"] if quick else [])


def _listener(quick: bool) -> dict[str, Any]:
    """``bench.listener`` (its own listener thread, storescu children)."""
    return _bench_json("listener", ["--persons", "60"] if quick else [])


def _ingest_files(quick: bool) -> dict[str, Any]:
    """``bench.ingest_files``: per-file medians of the Siemens CT and Azurion RDSRs."""
    sizes = ["--ct-copies", "20", "--rf-copies", "3"] if quick else []
    return _bench_json("ingest_files", sizes)


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def render(
    parse: dict[str, Any], est: dict[str, float], ingest: dict[str, Any], quick: bool
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `make bench`"
        f"{' --quick (smoke sizes, not the reference figures)' if quick else ''} on {_machine()}.",
        "Every figure is a ratio against a baseline measured in the same run, so that machine",
        "speed and load cancel out; absolute times are given for context only.",
        "",
        "## Parse (`bench/parse.py`, issue 2)",
        "",
        "Baseline: `pydicom.dcmread` of the in-memory bytes (`stop_before_pixels`, as the parser",
        "reads) plus a full content-tree walk touching every item's concept name and value",
        "element; image objects: every top-level attribute value. Rounds interleaved.",
        "",
        "| files | baseline ms/file | parse ms/file | ratio | target |",
        "|---|---|---|---|---|",
        f"| {parse['files']} | {_fmt(parse['baseline_median_ms_per_file'])} | "
        f"{_fmt(parse['parse_median_ms_per_file'])} | **{_fmt(parse['ratio'])}** | <= 1.5 |",
        "",
        f"Worst single file: {parse['worst_file']['file']} at ratio "
        f"{_fmt(parse['worst_file']['ratio'])} ({_fmt(parse['worst_file']['parse_ms'])} ms).",
        "",
        "## Estimation (`bench/estimate.py`, issue 4)",
        "",
        "| reports | events | estimates | parse µs/event | estimate µs/event | ratio | target |",
        "|---|---|---|---|---|---|---|",
        f"| {int(est['reports'])} | {int(est['events'])} | {int(est['estimates'])} | "
        f"{_fmt(est['parse_us_per_event'])} | {_fmt(est['estimate_us_per_event'])} | "
        f"**{_fmt(est['ratio'])}** | < 0.10 |",
        "",
        "## Ingest (`bench/ingest.py`, issue 3)",
        "",
    ]
    if "error" in ingest:
        lines += ["The ingest benchmark failed in this run:", "", "```", ingest["error"], "```"]
        return "\n".join(lines) + "\n"
    if "_source" in ingest:
        lines += [f"Figures {ingest['_source']}.", ""]
    lines += [
        f"{ingest['files']} synthetic files ({ingest['distinct_reports']} distinct reports, "
        "the rest re-sent copies). Baseline: a bare pydicom read (dcmread + full walk) of the "
        f"same files in the same run: {_fmt(ingest['bare_read_seconds'])} s "
        f"({_fmt(ingest['bare_read_files_per_s'])} files/s).",
        "",
        "| configuration | files/s | time / bare read | peak RSS parent | peak RSS per worker |",
        "|---|---|---|---|---|",
    ]
    for name, config in ingest["configs"].items():
        worker_rss = config.get("peak_rss_workers_mb") or 0
        ratio = _fmt(config["time_ratio_to_bare_read"])
        lines.append(
            f"| {name} | {_fmt(config['files_per_s'])} | **{ratio}** "
            f"| {_fmt(config['peak_rss_mb'])} MB | "
            f"{'—' if not worker_rss else _fmt(worker_rss) + ' MB'} |"
        )
    lines += [
        "",
        f"2 workers vs 1: SQLite **{_fmt(ingest['sqlite_speedup_2w'])}x**, PostgreSQL "
        f"**{_fmt(ingest['postgresql_speedup_2w'])}x** (target >= 1.7x). Targets: 1 worker "
        "<= 2x the bare read time; peak RSS <= 300 MB.",
    ]
    history = ingest.get("history")
    if history:
        lines += [
            "",
            "### One person's full history on PostgreSQL",
            "",
            f"{history['events']:,} irradiation events, {history['persons']:,} persons "
            f"(median {_fmt(history['events_per_person_median'])} events each), built by bulk "
            f"insert in {_fmt(history['build_seconds'])} s; {history['queries']} queries: "
            f"p50 {_fmt(history['p50_ms'])} ms, **p95 {_fmt(history['p95_ms'])} ms**, "
            f"max {_fmt(history['max_ms'])} ms (target p95 <= 20 ms).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    parser.add_argument("--quick", action="store_true", help="smoke sizes")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-cumulative", action="store_true")
    parser.add_argument("--skip-nrd", action="store_true")
    parser.add_argument("--skip-listener", action="store_true")
    parser.add_argument("--skip-ingest-files", action="store_true")
    parser.add_argument(
        "--ingest-json",
        type=Path,
        help="reuse the JSON of an earlier `python -m bench.ingest --json-out` run "
        "(its own baselines; labelled as such in the report)",
    )
    args = parser.parse_args()
    parse = parse_bench.run(rounds=5 if args.quick else 15)
    print(json.dumps({k: v for k, v in parse.items() if k != "per_file"}, indent=1))
    estimate_bench.run(SAMPLES, 1)  # warm-up: reference tables loaded and validated
    est = estimate_bench.run(SAMPLES, 2 if args.quick else 5)
    print(json.dumps(est, indent=1))
    if args.ingest_json:
        ingest = json.loads(args.ingest_json.read_text())
        ingest["_source"] = f"reused from {args.ingest_json.name} (measured in its own run)"
    elif args.skip_ingest:
        ingest = {"error": "skipped (--skip-ingest)"}
    else:
        ingest = _ingest(args.quick)
    print(json.dumps(ingest, indent=1, default=str)[:4000])
    nrd = {"error": "skipped (--skip-nrd)"} if args.skip_nrd else _nrd(args.quick)
    listened = (
        {"error": "skipped (--skip-listener)"} if args.skip_listener else _listener(args.quick)
    )
    per_file = (
        {"error": "skipped (--skip-ingest-files)"}
        if args.skip_ingest_files
        else _ingest_files(args.quick)
    )
    if args.write:
        report = (
            render(parse, est, ingest, args.quick)
            + "\n"
            + ingest_files_bench.render_section(per_file)
            + "\n"
            + nrd_bench.render_section(nrd)
            + "\n"
            + listener_bench.render_section(listened)
        )
        args.write.write_text(report, encoding="utf-8")
        print(f"wrote {args.write}")
    if not args.skip_cumulative:  # issue 7: its own section of the same file
        command = [sys.executable, "-m", "bench.cumulative"]
        if args.quick:
            command += ["--events", "100000", "--calls", "10", "--reports", "20", "--rounds", "1"]
        if args.write:
            command += ["--write", str(args.write)]
        subprocess.run(command, cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
