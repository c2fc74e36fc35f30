"""The differential check: the lean decoder against pydicom (the oracle) on the same bytes."""

from __future__ import annotations

from pathlib import Path

from dosewatch.domain.errors import DoseWatchError
from rdsr_parsers import ParseResult, parse

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = sorted(DATA.glob("*/*.dcm"))

Outcome = ParseResult | tuple[str, str]


def outcome(data: bytes, decoder: str) -> Outcome:
    try:
        return parse(data, decoder="auto" if decoder == "auto" else "pydicom")
    except DoseWatchError as exc:
        return (type(exc).__name__, exc.code)


def assert_same(data: bytes, what: str) -> str:
    """Both decoders give equal results (report and findings) or both raise; the decoder used."""
    lean = outcome(data, "auto")
    oracle = outcome(data, "pydicom")
    if isinstance(lean, ParseResult) and isinstance(oracle, ParseResult):
        assert lean.report == oracle.report, f"{what}: reports differ"
        assert lean.findings == oracle.findings, (
            f"{what}: findings differ\n lean {lean.findings}\n pydicom {oracle.findings}"
        )
        return lean.decoder
    assert not isinstance(lean, ParseResult), f"{what}: lean parsed, pydicom raised {oracle}"
    assert not isinstance(oracle, ParseResult), f"{what}: pydicom parsed, lean raised {lean}"
    return "both raised"
