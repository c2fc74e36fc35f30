"""The collector is paused while an object is parsed, and restored as it was after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from rdsr_parsers import gc_pause, parse
from tests.reader.oracle import SAMPLES

CT = next(p for p in SAMPLES if p.name == "CT-RDSR-Siemens-Continued-1.dcm")


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_parse_runs_with_the_collector_off_and_turns_it_back_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rdsr_parsers.dispatch as dispatch

    seen: list[bool] = []
    route = dispatch._route

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return route(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dispatch, "_route", spy)
    parse(CT.read_bytes())
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    parse(CT.read_bytes())
    assert not gc.isenabled()
    with gc_pause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), gc_pause.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    with pytest.raises(Exception):  # noqa: B017 - any DoseWatchError of the truncated file
        parse(CT.read_bytes()[:1000])
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_last_concurrent_parse_ends() -> None:
    first_in, second_in, first_may_end, second_may_end = (threading.Event() for _ in range(4))
    states: dict[str, bool] = {}

    def first() -> None:
        with gc_pause.paused():
            first_in.set()
            first_may_end.wait(5)
        states["after first"] = gc.isenabled()
        second_may_end.set()

    def second() -> None:
        first_in.wait(5)
        with gc_pause.paused():
            second_in.set()
            second_may_end.wait(5)
        states["after second"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_in.wait(5)
    states["both inside"] = gc.isenabled()
    first_may_end.set()
    for thread in threads:
        thread.join(10)
    assert states == {"both inside": False, "after first": False, "after second": True}
