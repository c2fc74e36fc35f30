"""Benchmark helpers: repeatable timing, medians, peak RSS; no timed assertions in tests."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data"


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*.dcm") if p.is_file())


def load_bytes(paths: list[Path]) -> list[tuple[str, bytes]]:
    """Files read into memory once, so that disk I/O is outside every measurement."""
    return [(p.name, p.read_bytes()) for p in paths]


@dataclass(frozen=True)
class Timing:
    """Seconds per round over ``rounds`` rounds (one round = every item once)."""

    rounds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)


def time_rounds(work: Callable[[], None], *, rounds: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        work()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return Timing(out)


def interleaved(
    a: Callable[[], None], b: Callable[[], None], *, rounds: int
) -> tuple[Timing, Timing]:
    """Time a and b alternately, so machine noise hits both alike."""
    a()
    b()
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        a()
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b()
        tb.append(time.perf_counter() - start)
    return Timing(ta), Timing(tb)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
