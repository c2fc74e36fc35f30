"""The per-file ingest section that ``make bench`` writes into BENCHMARKS.md."""

from __future__ import annotations

from bench.ingest_files import render_section


def _run(ingest: float, base: float) -> dict[str, object]:
    return {
        "files": 3,
        "outcomes": {"recorded": 3},
        "ingest": {"median_ms": ingest, "p90_ms": ingest * 1.2},
        "bare_read": {"median_ms": base, "p90_ms": base * 1.1},
        "ratio_median": round(ingest / base, 3),
    }


def test_one_row_per_object_and_ledger_with_its_ratio_and_target() -> None:
    result = {
        "load_average_start": 1.25,
        "load_average_end": 0.5,
        "files": {
            "siemens_ct_125_items": {
                "copies": 100,
                "target_ms": 10.0,
                "sqlite": _run(37.2, 30.0),
                "postgresql": _run(73.0, 32.5),
            }
        },
    }
    text = render_section(result)
    rows = [line for line in text.splitlines() if line.startswith("| Siemens")]
    assert rows == [
        "| Siemens CT RDSR, 125 items | 100 | SQLite | 37.2 ms (44.6) | 30.0 ms | **1.24** "
        "| <= 10 ms |",
        "| Siemens CT RDSR, 125 items | 100 | PostgreSQL | 73.0 ms (87.6) | 32.5 ms | "
        "**2.25** | <= 10 ms |",
    ]
    assert "Load average 1.25 at start, 0.50 at end." in text


def test_a_failed_run_is_reported_not_rendered_as_figures() -> None:
    text = render_section({"error": "PostgreSQL unreachable"})
    assert text.endswith("Failed: PostgreSQL unreachable\n")
    assert "| " not in text
