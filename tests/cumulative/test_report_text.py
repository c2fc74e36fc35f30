"""The dose text of a study: every required indicator with its unit, each exposure once."""

from __future__ import annotations

import pytest

from dosewatch.cumulative.report_text import report_text
from dosewatch.domain.errors import InvalidValueError, LedgerError
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from tests.cumulative import scenario


def test_ct_and_fluoroscopy_texts_in_french_and_english(ingestor: Ingestor) -> None:
    for name, data in sorted((scenario.files() | scenario.carol_files()).items()):
        ingestor.ingest_bytes(data, SourceInfo(name))
    with session_factory(ingestor.engine)() as session:
        x2 = report_text(session, scenario.uid("X2"), "fr").text
        rf1 = report_text(session, scenario.uid("rf1"), "en").text
        nm = report_text(session, scenario.uid("X3"), "en").text
        with pytest.raises(InvalidValueError):
            report_text(session, scenario.uid("X2"), "de")
        with pytest.raises(LedgerError):
            report_text(session, "1.2.3.404", "fr")
    # X2: overlapping reports A={e3,e4}, B={e4,e5}: 200 + 100 + 150, e4 once
    assert "PDL total 450 mGy·cm (3 acquisition(s))" in x2
    assert "arrêté du 22 septembre 2006" in x2 and "Appareil" in x2
    assert "total DAP 50 Gy·cm²" in rf1 and "Ka,r 6 Gy" in rf1
    assert "administered activity 250 MBq" in nm
