"""Mutation score per module from mutmut's result files (``mutants/**/*.py.meta``).

    python -m bench.mutation_score [organ_models/ct.py ...]

Score = killed (incl. timeouts and type-check kills) / (mutants - skipped - excluded as
equivalent). Equivalent mutants are listed, each with its one-line argument, in
docs/MUTATION.md under "Equivalent mutants" as ``- `mutant_name`: argument``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")
DOC = Path("docs/MUTATION.md")

#: mutmut 3 exit codes (mutmut/stats.py)
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = {34}


def equivalent_mutants(doc: Path = DOC) -> set[str]:
    """Mutant names argued equivalent in docs/MUTATION.md."""
    if not doc.exists():
        return set()
    text = doc.read_text(encoding="utf-8")
    section = text.split("## Equivalent mutants", 1)
    if len(section) < 2:
        return set()
    body = section[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)`:", body, flags=re.MULTILINE))


def module_results(meta: Path) -> dict[str, int | None]:
    data = json.loads(meta.read_text(encoding="utf-8"))
    codes: dict[str, int | None] = data.get("exit_code_by_key", {})
    return codes


def score_rows(modules: list[str]) -> list[tuple[str, Counter[str], float | None]]:
    equivalent = equivalent_mutants()
    rows = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        if modules and module not in modules:
            continue
        counts: Counter[str] = Counter()
        for name, code in module_results(meta).items():
            if name in equivalent:
                counts["equivalent"] += 1
            elif code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED:
                counts["survived"] += 1
            elif code in NO_TESTS:
                counts["no_tests"] += 1
            elif code in SKIPPED:
                counts["skipped"] += 1
            elif code is None:
                counts["not_checked"] += 1
            else:
                counts["suspicious"] += 1
        if not counts:
            continue
        tested = counts["killed"] + counts["survived"] + counts["no_tests"] + counts["suspicious"]
        rows.append((module, counts, counts["killed"] / tested if tested else None))
    return rows


def survivors(module: str) -> list[str]:
    meta = MUTANTS / f"{module}.meta"
    equivalent = equivalent_mutants()
    return sorted(
        name
        for name, code in module_results(meta).items()
        if code in SURVIVED | NO_TESTS and name not in equivalent
    )


def main(argv: list[str]) -> int:
    rows = score_rows(argv)
    if not rows:
        print("no mutation results: run `make mutation` first")
        return 1
    print("| module | mutants | killed | survived | no tests | equivalent | score |")
    print("|---|---|---|---|---|---|---|")
    for module, c, score in rows:
        total = sum(c.values())
        shown = "n/a" if score is None else f"{score:.0%}"
        print(
            f"| {module} | {total} | {c['killed']} | {c['survived']} | {c['no_tests']} "
            f"| {c['equivalent']} | {shown} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
