"""Vendor quirks are data with evidence: every row of quirks.csv that names a sample file
is exhibited by that file (parsing it yields the row's finding code); rows without a
sample say which synthetic test proves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdsr_parsers import parse
from rdsr_parsers.quirks import Quirk, all_quirks

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = {p.name: p for p in DATA.rglob("*.dcm")}
WITH_EVIDENCE = [q for q in all_quirks() if q.evidence_file]


def test_quirk_table_is_valid_and_mostly_evidenced() -> None:
    quirks = all_quirks()
    assert len({q.quirk_id for q in quirks}) == len(quirks)
    assert len(WITH_EVIDENCE) >= 25
    for quirk in quirks:
        if not quirk.evidence_file:
            assert "synthetic" in quirk.description.lower(), quirk.quirk_id


@pytest.mark.parametrize("quirk", WITH_EVIDENCE, ids=[q.quirk_id for q in WITH_EVIDENCE])
def test_evidence_file_exhibits_the_quirk(quirk: Quirk) -> None:
    assert quirk.evidence_file in FILES, f"{quirk.quirk_id}: {quirk.evidence_file} not bundled"
    findings = parse(FILES[quirk.evidence_file]).findings
    codes = {f.code for f in findings}
    assert quirk.finding_code in codes, f"{quirk.quirk_id}: {quirk.finding_code} not in {codes}"
