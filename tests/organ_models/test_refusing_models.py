"""No model test passes when the models refuse everything (issue 15, "done when").

The model tests run again in a subprocess under ``tests/refuse_everything.py``, which
replaces every model entry point of ``organ_models.engine`` with one that refuses every
event. A test that reaches a replaced entry point and still passes would pass whatever the
model computes; there must be none. (Tests that never reach an entry point — keyword
tables, phantom geometry, interpolation — are not concerned and are not counted.)
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from organ_models import engine
from tests.refuse_everything import ENTRY_POINTS

ROOT = Path(__file__).resolve().parents[2]


def test_the_plugin_replaces_every_entry_point_of_the_engine() -> None:
    called = set(re.findall(r"out\.extend\(\s*(\w+)\.(\w+)\(", inspect.getsource(engine)))
    assert called == {(m.rsplit(".", 1)[1], f) for m, f in ENTRY_POINTS}
    assert len(called) == 10


@pytest.mark.slow
def test_no_model_test_passes_when_every_model_refuses(tmp_path: Path) -> None:
    report = tmp_path / "passed.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-rN",  # no short summary: the last line is the counts ("-q" comes from addopts)
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.refuse_everything",
            "tests/organ_models",
            "--ignore=tests/organ_models/test_refusing_models.py",
            "-m",
            "not slow",
        ],
        cwd=ROOT,
        env={**os.environ, "DOSEWATCH_REFUSING_REPORT": str(report)},
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    summary = completed.stdout.strip().splitlines()[-1]
    failed = re.search(r"(\d+) failed", summary)
    # the replacement took effect: most model tests fail under it
    assert failed is not None and int(failed.group(1)) >= 200, summary
    passed_reaching_a_model = json.loads(report.read_text(encoding="utf-8"))
    assert passed_reaching_a_model == {}
