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
from bench import parse as parse_bench
from bench.common import ROOT, SAMPLES


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average at start {load[0]:.2f}"
    )


def _ingest(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ingest.json"
        command = [sys.executable, "-m", "bench.ingest", "--json-out", str(out)]
        if quick:
            command += ["--reports", "600", "--history-events", "100000"]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if completed.returncode != 0 or not out.exists():
            return {"error": (completed.stderr or completed.stdout)[-2000:]}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


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
    else:
        lines += [
            "```json",
            json.dumps(ingest, indent=1, default=str)[:6000],
            "```",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    parser.add_argument("--quick", action="store_true", help="smoke sizes")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    parse = parse_bench.run(rounds=5 if args.quick else 15)
    print(json.dumps({k: v for k, v in parse.items() if k != "per_file"}, indent=1))
    estimate_bench.run(SAMPLES, 1)  # warm-up: reference tables loaded and validated
    est = estimate_bench.run(SAMPLES, 2 if args.quick else 5)
    print(json.dumps(est, indent=1))
    ingest = {"error": "skipped (--skip-ingest)"} if args.skip_ingest else _ingest(args.quick)
    print(json.dumps(ingest, indent=1, default=str)[:4000])
    if args.write:
        args.write.write_text(render(parse, est, ingest, args.quick), encoding="utf-8")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
