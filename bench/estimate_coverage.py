"""Estimate completeness: share of exams with an effective dose and with >= 5 organ doses.

Usage: python -m bench.estimate_coverage [--persons N] [--seed S]
Over the bundled samples (tests/data) and a generated region of every modality
(dosewatch.synth); prints a markdown table (the BENCHMARKS.md "Estimate coverage" section).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.report import DoseReport
from dosewatch.synth import iter_region
from organ_models.coverage import MIN_ORGANS, ModalityCoverage, coverage
from rdsr_parsers import parse

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data"


def sample_reports() -> Iterator[DoseReport]:
    for path in sorted(SAMPLES.glob("*/*.dcm")):
        try:
            yield parse(path).report
        except DoseWatchError:
            continue


def region_reports(persons: int, seed: int) -> Iterator[DoseReport]:
    for name, data in iter_region(establishments=2, persons=persons, seed=seed):
        if not name.endswith(".dcm"):
            continue
        try:
            yield parse(data).report
        except DoseWatchError:
            continue


def table(title: str, rows: dict[str, ModalityCoverage]) -> list[str]:
    lines = [
        f"{title}:",
        "",
        f"| modality | exams | with E | with >= {MIN_ORGANS} organ doses | gaps without a reason |",
        "|---|---|---|---|---|",
    ]
    for modality, c in sorted(rows.items()):
        lines.append(
            f"| {modality} | {c.exams} | {c.with_effective_dose} "
            f"({c.share(c.with_effective_dose):.0%})"
            f" | {c.with_min_organs} ({c.share(c.with_min_organs):.0%})"
            f" | {c.unexplained_effective + c.unexplained_organs} |"
        )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    lines = table("Samples (tests/data)", coverage(sample_reports()))
    lines += table(
        f"Generated region ({args.persons} persons, seed {args.seed})",
        coverage(region_reports(args.persons, args.seed)),
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
