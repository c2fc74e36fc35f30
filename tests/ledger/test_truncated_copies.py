"""A copy cut short but kept (ERROR finding) is superseded by a complete copy, in any order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import ReportFinding, ReportRow
from rdsr_parsers import parse

#: its last top-level element is a private one after the Content Sequence: a cut inside it
#: leaves the dose content whole (kept, ERROR ``encoding.truncated``)
SAMPLE = Path(__file__).resolve().parent.parent / "data/openrem/CT-RDSR-Toshiba_DoseCheck.dcm"


def _copies(tmp_path: Path) -> tuple[Path, Path]:
    data = SAMPLE.read_bytes()
    cut = data[: len(data) - 3]
    finding_codes = [f.code for f in parse(cut).findings]
    assert "encoding.truncated" in finding_codes, finding_codes
    (tmp_path / "cut.dcm").write_bytes(cut)
    (tmp_path / "whole.dcm").write_bytes(data)
    return tmp_path / "cut.dcm", tmp_path / "whole.dcm"


def _state(ingestor: Ingestor) -> tuple[int, list[str], str]:
    with session_factory(ingestor.engine)() as session:
        rows = session.scalars(select(ReportRow)).all()
        codes = sorted(
            session.scalars(select(ReportFinding.code).where(ReportFinding.origin == "parser"))
        )
        return len(rows), codes, rows[0].sha256


def test_complete_copy_supersedes_the_cut_one_in_any_order(
    make_ingestor: Callable[[], Ingestor], tmp_path: Path
) -> None:
    cut, whole = _copies(tmp_path)
    states = []
    for order in ((cut, whole), (whole, cut)):
        ingestor = make_ingestor()
        for path in order:
            ingestor.ingest_path(path, SourceInfo(label=path.name))
        states.append(_state(ingestor))
    assert states[0] == states[1]
    count, codes, _sha = states[0]
    assert count == 1
    assert "encoding.truncated" not in codes  # the stored version is the complete one
