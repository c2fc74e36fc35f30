"""The dose text of one study, line by line (the indicators and units of the module docstring:
arrêté of 22 September 2006, Euratom 2013/59 art. 58(b)), from counted events only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dosewatch.cumulative.report_text import ReportText, _minutes, report_text
from dosewatch.domain.errors import InvalidValueError, LedgerError
from dosewatch.domain.report import (
    AccumulatedProjectionDose,
    DeviceFacts,
    DoseModality,
    DoseReport,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import session_factory
from tests.ledger.builders import T0, ct_event, mg_event, prepared, report, source

FR_TITLE = "Informations dosimétriques (arrêté du 22 septembre 2006)"
EN_TITLE = "Dose information (French arrêté of 22 September 2006; Euratom 2013/59 art. 58)"


def _record(ingestor: Ingestor, *reports: DoseReport) -> None:
    for r in reports:
        outcome = ingestor.record(prepared(r), source())
        assert outcome.status == "recorded", outcome


def _lines(ingestor: Ingestor, study: str, lang: str) -> tuple[str, ...]:
    with session_factory(ingestor.engine)() as session:
        text = report_text(session, study, lang)
    assert (text.study_instance_uid, text.lang) == (study, lang)
    assert text.text == "\n".join(text.lines)
    return text.lines


def _device(r: DoseReport, manufacturer: str | None, model: str | None) -> DoseReport:
    return replace(r, device=DeviceFacts(manufacturer=manufacturer, model=model))


def _kap(uid: str, kap: float, ka_r: float | None, minute: int = 0) -> ProjectionIrradiationEvent:
    return ProjectionIrradiationEvent(
        irradiation_event_uid=uid,
        datetime_started=T0 + timedelta(minutes=minute),
        dose_area_product=Quantity(kap, "Gy.cm2"),
        dose_rp=None if ka_r is None else Quantity(ka_r, "Gy"),
    )


def _fluoro(r: DoseReport, *seconds: float) -> DoseReport:
    planes = tuple(AccumulatedProjectionDose(total_fluoro_time=Quantity(s, "s")) for s in seconds)
    return replace(r, projection_accumulated=planes)


def test_ct_text_counts_each_exposure_once_with_the_current_device(ingestor: Ingestor) -> None:
    first = _device(report("1.1", "9.1", (ct_event("5.1", 1000.0),)), "OLD", "CT1")
    # a cumulative RDSR of another device supersedes the first; 1234.56 shows 4 digits
    later = report("1.2", "9.1", (ct_event("5.1", 1000.0), ct_event("5.2", 234.56, 5)))
    header = report("1.3", "9.1", (ct_event("8.1", 50.0, 1),), kind=SourceKind.IMAGE_HEADER)
    _record(ingestor, first, _device(later, "Siemens", "Force"), header)
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Scanographie : PDL total 1235 mGy·cm (2 acquisition(s)) ; IDSV 5.864 to 25 mGy",
        "Appareil : ACME X1, Siemens Force",  # the current reports' (the header's too)
    )
    assert _lines(ingestor, "9.1", "en") == (
        EN_TITLE,
        "CT: total DLP 1235 mGy·cm (2 acquisition(s)); CTDIvol 5.864 to 25 mGy",
        "Device: ACME X1, Siemens Force",
    )


def test_ct_without_values_and_one_ctdivol(ingestor: Ingestor) -> None:
    bare = replace(ct_event("5.1", 1.0), dlp=None, ctdivol=None)
    same = ct_event("5.3", 400.0, 3)  # CTDIvol 10 mGy twice: one value, not a range
    _record(
        ingestor,
        _device(report("1.1", "9.1", (bare,)), None, "Solo"),
        _device(report("1.2", "9.2", (same, ct_event("5.4", 400.0, 9))), "Acme", None),
    )
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Scanographie : PDL total non renseigné mGy·cm (1 acquisition(s)) ; IDSV non renseigné mGy",
        "Appareil : Solo",
    )
    assert _lines(ingestor, "9.2", "en")[1:] == (
        "CT: total DLP 800 mGy·cm (2 acquisition(s)); CTDIvol 10 mGy",
        "Device: Acme",
    )


def test_fluoroscopy_text_with_time_and_reference_point_kerma(ingestor: Ingestor) -> None:
    rf = DoseModality.FLUOROSCOPY
    a = _fluoro(report("1.1", "9.1", (_kap("6.1", 12.5, 0.75),), modality=rf), 100.0, 25.4)
    b = _fluoro(report("1.2", "9.1", (_kap("6.2", 30.0, None, 20),), modality=rf), 59.6)
    _record(ingestor, _device(a, "GE", "Innova"), _device(b, "Philips", "Azurion"))
    # the longest report's time (125.4 s, two planes summed), DAP and Ka,r summed
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Radiologie : PDS total 42.5 Gy·cm²; temps de scopie 2 min 05 s ; Ka,r 0.75 Gy",
        "Appareil : GE Innova, Philips Azurion",
    )
    assert _lines(ingestor, "9.1", "en")[1] == (
        "Radiography/fluoroscopy: total DAP 42.5 Gy·cm²; fluoroscopy time 2 min 05 s; Ka,r 0.75 Gy"
    )


def test_fluoroscopy_without_time_nor_kerma_and_radiography_alone(ingestor: Ingestor) -> None:
    rf = report("1.1", "9.1", (_kap("6.1", 2.0, None),), modality=DoseModality.FLUOROSCOPY)
    dx = report("1.2", "9.2", (_kap("6.2", 0.1234567, 0.01),), modality=DoseModality.RADIOGRAPHY)
    bare = replace(_kap("6.3", 1.0, None), dose_area_product=None)
    dx_bare = report("1.3", "9.3", (bare,), modality=DoseModality.RADIOGRAPHY)
    _record(ingestor, rf, dx, dx_bare)
    assert _lines(ingestor, "9.1", "en")[1:] == (
        "Radiography/fluoroscopy: total DAP 2 Gy·cm²; fluoroscopy time not reported; "
        "Ka,r not reported Gy",
        "Device: ACME X1",
    )
    # radiography: DAP only, no device line
    assert _lines(ingestor, "9.2", "fr") == (FR_TITLE, "Radiologie : PDS total 0.1235 Gy·cm²")
    assert _lines(ingestor, "9.3", "en") == (
        EN_TITLE,
        "Radiography/fluoroscopy: total DAP not reported Gy·cm²",
    )


def test_nuclear_medicine_one_line_per_administration(ingestor: Ingestor) -> None:
    fdg = RadiopharmaceuticalAdministration(
        administration_event_uid="8.1",
        radiopharmaceutical_name="FDG",
        administered_activity=Quantity(250.0, "MBq"),
        start_datetime=T0,
    )
    unknown = RadiopharmaceuticalAdministration(administration_event_uid="8.2")
    nm = report(
        "1.1",
        "9.1",
        (fdg, unknown),
        kind=SourceKind.RADIOPHARMACEUTICAL_RDSR,
        modality=DoseModality.NUCLEAR_MEDICINE,
    )
    _record(ingestor, nm)
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Médecine nucléaire : FDG, activité administrée 250 MBq",
        "Médecine nucléaire : non renseigné, activité administrée non renseigné MBq",
    )
    assert _lines(ingestor, "9.1", "en")[1] == (
        "Nuclear medicine: FDG, administered activity 250 MBq"
    )


def test_mammography_average_glandular_dose_range(ingestor: Ingestor) -> None:
    mg = DoseModality.MAMMOGRAPHY
    views = (mg_event("7.1", 1.25, 0), mg_event("7.2", 1.75, 1), mg_event("7.3", 1.5, 2))
    _record(
        ingestor,
        report("1.1", "9.1", views, modality=mg),
        report(
            "1.2", "9.2", (replace(mg_event("7.4", 1.0), average_glandular_dose=None),), modality=mg
        ),
    )
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "Mammographie : dose glandulaire moyenne 1.25 to 1.75 mGy (3 incidence(s))",
    )
    assert _lines(ingestor, "9.2", "en") == (
        EN_TITLE,
        "Mammography: average glandular dose not reported mGy (1 view(s))",
    )


def test_no_dose_data(ingestor: Ingestor) -> None:
    _record(ingestor, report("1.1", "9.1", ()))
    assert _lines(ingestor, "9.1", "fr") == (
        FR_TITLE,
        "aucune donnée dosimétrique reçue pour cet examen",
    )
    assert _lines(ingestor, "9.1", "en") == (EN_TITLE, "no dose data received for this exam")


def test_unknown_language_and_study(ingestor: Ingestor) -> None:
    _record(ingestor, report("1.1", "9.1", (ct_event("5.1", 10.0),)))
    with session_factory(ingestor.engine)() as session:
        with pytest.raises(InvalidValueError) as lang:
            report_text(session, "9.1", "de")
        assert str(lang.value) == "language 'de': expected fr or en"
        with pytest.raises(LedgerError) as study:
            report_text(session, "9.404", "fr")
        assert str(study.value) == "unknown study 9.404"
        assert report_text(session, "9.1").lang == "fr"  # French by default


def test_minutes_and_seconds() -> None:
    assert _minutes(0.0, "fr") == "0 min 00 s"
    assert _minutes(59.4, "en") == "0 min 59 s"
    assert _minutes(59.6, "en") == "1 min 00 s"
    assert _minutes(3600.0, "fr") == "60 min 00 s"
    assert _minutes(3725.0, "fr") == "62 min 05 s"
    assert ReportText("9.1", "fr", ("a", "b")).text == "a\nb"
