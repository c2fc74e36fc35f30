"""Benchmark: estimation cost per event vs parse cost per event, measured in the same run.

Usage: python -m bench.estimate [DATA_DIR] [--repeat N]
Parses every sample file (tests/data, else ../shared/corpus) with rdsr_parsers.parse,
then runs organ_models.estimate_with_reasons on each report; prints per-event costs and
their ratio (target: estimation < 10 % of parsing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.report import DoseReport
from organ_models import estimate_with_reasons, patient_from_report
from rdsr_parsers import parse

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = (ROOT / "tests" / "data", ROOT.parent / "shared" / "corpus")


def run(data_dir: Path, repeat: int) -> dict[str, float]:
    files = sorted(data_dir.glob("*/*.dcm"))
    contents = [p.read_bytes() for p in files]
    reports: list[DoseReport] = []
    start = time.perf_counter()
    for _ in range(repeat):
        reports = []
        for path, content in zip(files, contents, strict=True):
            try:
                reports.append(parse(content, name=path.name).report)
            except DoseWatchError:
                continue
    parse_s = (time.perf_counter() - start) / repeat
    events = sum(max(1, len(r.events)) for r in reports)
    patients = [patient_from_report(r) for r in reports]
    n_estimates = 0
    start = time.perf_counter()
    for _ in range(repeat):
        n_estimates = 0
        for report, patient in zip(reports, patients, strict=True):
            n_estimates += len(estimate_with_reasons(report, patient).estimates)
    estimate_s = (time.perf_counter() - start) / repeat
    return {
        "files": float(len(files)),
        "reports": float(len(reports)),
        "events": float(events),
        "estimates": float(n_estimates),
        "parse_us_per_event": parse_s / events * 1e6,
        "estimate_us_per_event": estimate_s / events * 1e6,
        "ratio": estimate_s / parse_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = args.data or next((c for c in CANDIDATES if any(c.glob("*/*.dcm"))), None)
    if data is None:
        sys.stderr.write("no sample files found\n")
        return 1
    # warm-up: load and validate the reference tables once, outside the timing
    run(data, 1)
    figures = run(data, args.repeat)
    lines = [f"bench.estimate data={data}"] + [f"{k}={v:.4g}" for k, v in figures.items()]
    lines.append(f"target ratio < 0.10: {'PASS' if figures['ratio'] < 0.10 else 'FAIL'}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
