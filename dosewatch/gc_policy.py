"""Garbage-collector policy for ingest workers and service processes.

Reading a dose object allocates many short-lived container objects; CPython's generational
collector would run several full collections per file over every long-lived object (imported
modules, reference tables, ORM metadata). Workers therefore freeze what exists after their
imports and set-up (:func:`gc.freeze`: those objects move to a permanent generation no
collection scans), keep the collector off while a file is read and recorded, and collect
between files — the young generations after each file, the whole heap every
:data:`FULL_EVERY` files — so that the cyclic garbage of one file does not outlive the next
few.

A service process freezes too, once its application is built: a full (generation 2)
collection that starts during a request otherwise scans every start-up object (~180,000:
modules, ORM metadata, reference tables); measured here, one such pass added ~80 ms to a
40 ms cumulative view, once in every ~8 views of a 500-exam person (``bench/cumulative.py``).
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_after_setup() -> None:
    """Call once in a worker or a service process after its imports and initialisation."""
    gc.collect()
    gc.freeze()


#: after every file the young generations are collected (where a file's cyclic garbage
#: is: everything it allocated is in generation 0 when it ends), the whole heap after every
#: FULL_EVERY-th file. A full collection after every file cost a small CT report 5-8 ms
#: (a fifth of its ingest, BENCHMARKS.md); a young one costs well under 0.1 ms.
FULL_EVERY = 50
_handled = itertools.count(1)


@contextmanager
def one_file() -> Iterator[None]:
    """No collection while one file is handled; a collection after it (see FULL_EVERY)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect(2 if next(_handled) % FULL_EVERY == 0 else 1)
