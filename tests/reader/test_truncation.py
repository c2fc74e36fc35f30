"""Every truncated copy of every sample is rejected or flagged — never a silently shorter report.

Cut points past the first quarter of each file, seeded per file with a stable seed (printed in
every failure message, replayable with ``cuts(name, seed)``). A copy passes when parsing
raises a DoseWatchError, or carries the ERROR finding ``encoding.truncated``, or — a cut at an
element boundary inside data no reader reads — gives exactly the uncut file's result.
"""

from __future__ import annotations

import random
import zlib

import pytest

from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.findings import Severity
from rdsr_parsers import parse
from tests.reader.oracle import SAMPLES

CUTS_PER_FILE = 30
TRUNCATION_CODES = ("encoding.truncated", "encoding.maybe_truncated")


def cuts(name: str, size: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return sorted({rng.randrange(size // 4, size) for _ in range(CUTS_PER_FILE)})


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_truncated_copies_are_rejected_or_flagged(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    data = path.read_bytes()
    seed = zlib.crc32(path.name.encode())
    try:
        whole: object = parse(data)
    except DoseWatchError as exc:
        whole = exc.code
    verdicts: dict[str, int] = {}
    for cut in cuts(path.name, len(data), seed):
        what = f"{path.name} cut at byte {cut} of {len(data)} (seed {seed})"
        try:
            result = parse(data[:cut], name=path.name)
        except DoseWatchError as exc:
            verdicts[exc.code] = verdicts.get(exc.code, 0) + 1
            continue
        flagged = [f for f in result.findings if f.code in TRUNCATION_CODES]
        if flagged:
            if flagged[0].code == "encoding.truncated":
                assert flagged[0].severity == Severity.ERROR, what
            assert f"at byte {cut}" in flagged[0].message, what
            verdicts["flagged"] = verdicts.get("flagged", 0) + 1
            continue
        assert result == whole, f"{what}: read as a different report without a finding"
        verdicts["unchanged"] = verdicts.get("unchanged", 0) + 1
    assert sum(verdicts.values()) >= 10, verdicts


def test_error_names_the_element_and_offset() -> None:
    path = next(p for p in SAMPLES if p.name == "CT-RDSR-Siemens-Continued-1.dcm")
    data = path.read_bytes()
    with pytest.raises(DoseWatchError) as caught:
        parse(data[: len(data) // 2])
    assert caught.value.code == "input.truncated"
    assert f"file ends inside sequence (0040,A730) at byte {len(data) // 2}" in str(
        caught.value
    ) or f"at byte {len(data) // 2}" in str(caught.value)
