"""The garbage collector paused while one object is parsed (every thread's parse counts).

Parsing a large dose object allocates hundreds of thousands of container objects (the
structural index, the lazily decoded data sets, the content tree) that form no reference
cycles: reference counting frees them all when the parse ends. With the collector on, their
allocation alone triggers generational collections that scan them, and full collections
that scan every long-lived object of the process: measured on the 1.3 MB Azurion RDSR, the
collector took about two thirds of the parse (BENCHMARKS.md). :func:`paused` turns it off
for the parse and back on after the last concurrent parse ends — unless it was off before
(an ingest worker keeps it off for the whole file: :mod:`dosewatch.gc_policy`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # parses running now, in every thread
_restore = False  # the collector was on when the first of them started


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
