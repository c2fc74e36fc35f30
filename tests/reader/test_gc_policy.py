"""The worker GC policy: frozen set-up objects, no collection during a file, one after it."""

from __future__ import annotations

import gc

from dosewatch import gc_policy


def test_no_collection_during_a_file_and_one_after() -> None:
    collections: list[str] = []

    def watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collections.append("collect")

    gc.callbacks.append(watch)
    try:
        with gc_policy.one_file():
            assert not gc.isenabled()
            for _ in range(50_000):  # far past the generation-0 threshold
                a: list[object] = []
                a.append(a)
            assert collections == []
        assert gc.isenabled()
        assert collections, "one collection runs after the file"
    finally:
        gc.callbacks.remove(watch)


def test_freeze_moves_setup_objects_out_of_reach() -> None:
    try:
        gc_policy.freeze_after_setup()
        assert gc.get_freeze_count() > 1000  # the imported modules and their objects
    finally:
        gc.unfreeze()
