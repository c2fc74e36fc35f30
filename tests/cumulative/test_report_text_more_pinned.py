"""The dose text of one study: what ``test_report_text_pinned.py`` left open (issue #15).

* administrations are listed in the order of their event keys (the irradiation/administration
  event UIDs), not in the order the report sent them;
* a report whose device names neither manufacturer nor model adds no empty device line.
"""

from __future__ import annotations

from dosewatch.cumulative.report_text import report_text
from dosewatch.domain.report import (
    DoseModality,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import session_factory
from tests.cumulative.test_report_text_pinned import FR_TITLE, _device, _record
from tests.ledger.builders import T0, ct_event, report


def _lines(ingestor: Ingestor, study: str, lang: str) -> tuple[str, ...]:
    with session_factory(ingestor.engine)() as session:
        return report_text(session, study, lang).lines


def test_administrations_in_event_key_order(ingestor: Ingestor) -> None:
    def given(uid: str, name: str, mbq: float) -> RadiopharmaceuticalAdministration:
        return RadiopharmaceuticalAdministration(
            administration_event_uid=uid,
            radiopharmaceutical_name=name,
            administered_activity=Quantity(mbq, "MBq"),
            start_datetime=T0,
        )

    nm = report(
        "1.1",
        "9.1",
        (
            given("8.3", "Tc-99m HDP", 700.0),
            given("8.1", "FDG", 250.0),
            given("8.2", "I-123", 10.0),
        ),
        kind=SourceKind.RADIOPHARMACEUTICAL_RDSR,
        modality=DoseModality.NUCLEAR_MEDICINE,
    )
    _record(ingestor, nm)
    assert _lines(ingestor, "9.1", "en")[1:] == (
        "Nuclear medicine: FDG, administered activity 250 MBq",
        "Nuclear medicine: I-123, administered activity 10 MBq",
        "Nuclear medicine: Tc-99m HDP, administered activity 700 MBq",
    )


def test_a_device_without_manufacturer_nor_model_gives_no_device_line(ingestor: Ingestor) -> None:
    _record(ingestor, _device(report("1.1", "9.1", (ct_event("5.1", 100.0),)), None, None))
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Scanographie : PDL total 100 mGy·cm (1 acquisition(s)) ; IDSV 2.5 mGy",  # 100 / 40 cm
    )
