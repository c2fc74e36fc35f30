"""Parse benchmark: ``rdsr_parsers.parse`` against a bare pydicom read + content-tree walk.

Baseline (same files, same run, same process, interleaved rounds): ``pydicom.dcmread`` of
the in-memory bytes (``stop_before_pixels=True``, as the parser reads them) followed by a
full walk of the SR content tree that touches, in every content item, the concept name
and the element carrying the value (Measured Value Sequence with numeric value and unit,
Concept Code Sequence, Text Value, UID, DateTime) — what any SR consumer must read. For
image objects, which have no content tree, the baseline reads the value of every
top-level attribute. Target (issue 14): ratio <= 0.2, stretch 0.12.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
from typing import Any

import pydicom
from pydicom.dataset import Dataset

from bench.common import interleaved, load_bytes, sample_files
from dosewatch.domain.errors import DoseWatchError
from rdsr_parsers import parse

_VALUE_KEYWORDS = ("TextValue", "UID", "DateTime", "PersonName", "Date", "Time")


def _walk(items: Any) -> int:
    touched = 0
    stack = list(items)
    while stack:
        item = stack.pop()
        name = item.get("ConceptNameCodeSequence")
        if name:
            touched += len(str(name[0].get("CodeValue", "")))
        measured = item.get("MeasuredValueSequence")
        if measured:
            mv = measured[0]
            mv.get("NumericValue")
            units = mv.get("MeasurementUnitsCodeSequence")
            if units:
                units[0].get("CodeValue")
        code = item.get("ConceptCodeSequence")
        if code:
            code[0].get("CodeValue")
            code[0].get("CodingSchemeDesignator")
        for keyword in _VALUE_KEYWORDS:
            item.get(keyword)
        children = item.get("ContentSequence")
        if children:
            stack.extend(children)
    return touched


def baseline_one(data: bytes) -> None:
    ds: Dataset = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    content = ds.get("ContentSequence")
    if content:
        _walk(content)
    else:
        for element in ds:
            _ = element.value


def parse_one(data: bytes) -> None:
    with contextlib.suppress(DoseWatchError):
        parse(data)


def run(rounds: int = 15) -> dict[str, Any]:
    files = load_bytes(sample_files())
    blobs = [data for _name, data in files]

    def base() -> None:
        for data in blobs:
            baseline_one(data)

    def ours() -> None:
        for data in blobs:
            parse_one(data)

    t_base, t_parse = interleaved(base, ours, rounds=rounds)
    per_file = {}
    for name, data in files:
        tb, tp = interleaved(
            functools.partial(baseline_one, data), functools.partial(parse_one, data), rounds=5
        )
        per_file[name] = {
            "baseline_ms": tb.median * 1e3,
            "parse_ms": tp.median * 1e3,
            "ratio": tp.median / tb.median,
        }
    worst = max(per_file.items(), key=lambda kv: kv[1]["ratio"])
    n = len(blobs)
    return {
        "benchmark": "parse",
        "files": n,
        "rounds": rounds,
        "baseline_median_ms_per_file": t_base.median / n * 1e3,
        "parse_median_ms_per_file": t_parse.median / n * 1e3,
        "ratio": t_parse.median / t_base.median,
        "target_ratio": 0.2,  # issue 14 (stretch 0.12)
        "worst_file": {"file": worst[0], **worst[1]},
        "per_file": per_file,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    result = run(args.rounds)
    summary = {k: v for k, v in result.items() if k != "per_file"}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
