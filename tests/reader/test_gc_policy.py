"""The worker GC policy: frozen set-up objects, no collection during a file, one after it."""

from __future__ import annotations

import gc

from dosewatch import gc_policy


def test_no_collection_during_a_file_and_one_after() -> None:
    collections: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        with gc_policy.one_file():
            assert not gc.isenabled()
            for _ in range(50_000):  # far past the generation-0 threshold
                a: list[object] = []
                a.append(a)
            assert collections == []
        assert gc.isenabled()
        assert len(collections) == 1, "one collection runs after the file"
    finally:
        gc.callbacks.remove(watch)


def test_the_young_generations_after_each_file_the_heap_every_full_every_files() -> None:
    collections: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        gc.disable()  # no automatic collection between the files of this test
        for _ in range(2 * gc_policy.FULL_EVERY):
            with gc_policy.one_file():
                pass
    finally:
        gc.callbacks.remove(watch)
        gc.enable()
    assert len(collections) == 2 * gc_policy.FULL_EVERY
    assert set(collections) == {1, 2}
    assert collections.count(2) == 2  # one full collection in every FULL_EVERY files
    assert gc_policy.FULL_EVERY == 50


def test_a_file_s_cyclic_garbage_is_freed_after_it() -> None:
    freed: list[int] = []

    class Node:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            freed.append(1)

    with gc_policy.one_file():
        for _ in range(100):
            Node()
        assert freed == []  # cycles: only the collector frees them, and it is off
    assert len(freed) == 100


def test_freeze_moves_setup_objects_out_of_reach() -> None:
    try:
        gc_policy.freeze_after_setup()
        assert gc.get_freeze_count() > 1000  # the imported modules and their objects
    finally:
        gc.unfreeze()
