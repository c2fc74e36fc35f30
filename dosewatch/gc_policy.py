"""Garbage-collector policy for ingest workers and service processes.

Reading a dose object allocates many short-lived container objects; CPython's generational
collector would run several full collections per file over every long-lived object (imported
modules, reference tables, ORM metadata). Workers therefore freeze what exists after their
imports and set-up (:func:`gc.freeze`: those objects move to a permanent generation no
collection scans), keep the collector off while a file is read and recorded, and collect once
between files, so that cyclic garbage of one file never outlives it.

A service process freezes too, once its application is built: a full (generation 2)
collection that starts during a request otherwise scans every start-up object (~180,000:
modules, ORM metadata, reference tables); measured here, one such pass added ~80 ms to a
40 ms cumulative view, once in every ~8 views of a 500-exam person (``bench/cumulative.py``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_after_setup() -> None:
    """Call once in a worker or a service process after its imports and initialisation."""
    gc.collect()
    gc.freeze()


@contextmanager
def one_file() -> Iterator[None]:
    """No collection while one file is handled; one collection after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()
