"""``pytest -p tests.refuse_everything``: every organ model refuses everything (issue 15).

Each model entry point that :func:`organ_models.engine.estimate_with_reasons` calls is
replaced, before the tests are collected (so ``from organ_models.x import f`` gets the
replacement too), by one that returns no estimate and one refusal for its event. The
plugin records, for every test that passes, which replaced entry points it called; with
``DOSEWATCH_REFUSING_REPORT=<file>`` it writes them there as JSON (node id -> names).
``tests/organ_models/test_refusing_models.py`` runs the model tests under this plugin: a
test that reaches a model and still passes must be one that expects a refusal, never one
that expects a number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from dosewatch.domain.estimate import NotEstimatedReason

#: every model entry point of organ_models.engine (module, function)
ENTRY_POINTS = (
    ("organ_models.ct", "effective_dose_for_event"),
    ("organ_models.ssde", "ssde_for_event"),
    ("organ_models.ct_organs", "organ_doses_for_event"),
    ("organ_models.ct_ncict", "organ_doses_for_event"),
    ("organ_models.mammography", "glandular_dose_for_event"),
    ("organ_models.nuclear", "estimate_administration"),
    ("organ_models.fluoro_effective", "effective_dose_for_event"),
    ("organ_models.radiography", "effective_dose_for_event"),
    ("organ_models.radiography", "entrance_surface_dose_for_event"),
    ("organ_models.fluoroscopy", "peak_skin_dose"),
)


#: the replaced entry points called by the running test
_CALLED: set[str] = set()
#: node id of each passed test that called one -> their names
_PASSED: dict[str, list[str]] = {}


def _refuser(name: str) -> Callable[..., Any]:
    from organ_models.common import Outcome

    def refuse(*args: Any, **_kwargs: Any) -> Outcome:
        _CALLED.add(name)
        out = Outcome()
        uid = getattr(args[0], "irradiation_event_uid", None) if args else None
        out.refuse(uid, NotEstimatedReason.NOT_APPLICABLE, f"{name} refuses everything")
        return out

    return refuse


def pytest_configure(config: pytest.Config) -> None:
    for module_name, name in ENTRY_POINTS:
        module = import_module(module_name)
        assert callable(getattr(module, name)), f"{module_name}.{name} is not a function"
        setattr(module, name, _refuser(f"{module_name}.{name}"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    _CALLED.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and _CALLED:
        _PASSED[report.nodeid] = sorted(_CALLED)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("DOSEWATCH_REFUSING_REPORT")
    if target:
        Path(target).write_text(json.dumps(_PASSED, indent=1, sort_keys=True), encoding="utf-8")
