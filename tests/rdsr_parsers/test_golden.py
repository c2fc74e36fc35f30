"""Golden JSON per sample file: the `dosewatch inspect --json` line, frozen.

A change in what any file yields (values, units, findings) fails here and must be
reviewed; regenerate deliberately with ``DOSEWATCH_REGEN_GOLDEN=1 pytest tests/rdsr_parsers``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dosewatch.cli.inspect_cmd import _inspect_one
from dosewatch.domain.findings import Strictness
from tests.conftest import manifest_rows

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
ROWS = manifest_rows()


def _line(path: str) -> dict[str, Any]:
    line = _inspect_one(Path(path), Strictness.LENIENT, False, False, {})
    line["file"] = Path(path).name  # independent of the checkout location
    return line


def _same(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, float) and isinstance(actual, int | float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-15), where
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(expected), f"{where}: keys differ"
        for key in expected:
            _same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: length"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _same(a, e, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_inspect_json_matches_golden(row: dict[str, str]) -> None:
    golden = GOLDEN / f"{row['file']}.json"
    line = _line(row["path"])
    if os.environ.get("DOSEWATCH_REGEN_GOLDEN") == "1":
        golden.write_text(json.dumps(line, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    _same(line, expected, row["file"])
