"""The per-exam sums read in SQL equal the hand-computed values (SQLite and PostgreSQL):
partial coverage with the models' reasons, the value-weighted uncertainty of a group, and a
study whose events are of two modalities."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydicom.sr.coding import Code
from sqlalchemy import select

from dosewatch import synth
from dosewatch.cumulative import records
from dosewatch.cumulative.links import link_persons
from dosewatch.cumulative.summary import cumulative
from dosewatch.cumulative.window import parse_window
from dosewatch.domain.errors import LedgerError
from dosewatch.domain.estimate import WeightBasis
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import EstimateRow, EventRow, Person
from dosewatch.synth.ct import ABDOMEN
from tests.cumulative import scenario

K_CHEST = scenario.K_CHEST_120KV  # 0.021 mSv/(mGy.cm), Lee 2012 adult chest 120 kV
ADRENAL = "23451007"
LUNG = "39607008"
UNKNOWN_REGION = Code("999999", "99TEST", "Unknown thing")
WINDOW = parse_window("all", date(2025, 12, 31))


def _header(study: str, when: datetime) -> synth.Header:
    return synth.Header(
        patient=synth.PatientSpec(patient_id="Q-1", issuer="HOSP-Q"),
        device=synth.DeviceSpec(institution_name="Hopital Q", serial_number="SN-Q"),
        study=synth.StudySpec(
            study_datetime=when,
            study_instance_uid=scenario.uid(study),
            sop_instance_uid=scenario.uid(study + ".R" + str(when.minute)),
        ),
    )


def _ct(study: str, when: datetime, *events: synth.CtEventSpec) -> bytes:
    return synth.ct_report_bytes(synth.CtReportSpec(events=events), _header(study, when))


def _person(ingestor: Ingestor) -> tuple[int, tuple[records.ExamRecord, ...]]:
    with session_factory(ingestor.engine)() as session:
        person = session.scalars(select(Person.id)).one()
        return person, records.exams(session, person)


def test_partly_estimated_exam_is_listed_with_the_models_reason(ingestor: Ingestor) -> None:
    a = _ct(
        "qa",
        datetime(2025, 1, 10, 9),
        synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("qa.1")),
        synth.CtEventSpec(
            dlp_mgy_cm=500.0,
            protocol="Calibration",
            target_region=UNKNOWN_REGION,
            irradiation_event_uid=scenario.uid("qa.2"),
        ),
    )
    b = _ct(
        "qb",
        datetime(2025, 2, 10, 9),
        synth.CtEventSpec(dlp_mgy_cm=400.0, irradiation_event_uid=scenario.uid("qb.1")),
    )
    for name, data in (("a", a), ("b", b)):
        ingestor.ingest_bytes(data, SourceInfo(name))
    person, exams = _person(ingestor)
    first = exams[0]
    assert first.event_count == 2
    assert first.uncovered == {
        ("effective_dose", "ICRP103"): (scenario.uid("qa.2"),),
        ("organ_dose", ""): (scenario.uid("qa.2"),),
    }
    assert exams[1].uncovered == {}
    with session_factory(ingestor.engine)() as session:
        view = cumulative(session, person, WINDOW)
    assert view.effective.value == pytest.approx(K_CHEST * (1000.0 + 400.0))  # 29.4 mSv
    assert view.effective.coverage == "covers 1 of 2 exams"
    (missing,) = view.effective.missing
    assert missing.study_instance_uid == scenario.uid("qa")
    assert missing.reason.startswith("1 of 2 counted events without ICRP103 effective dose: ")
    assert "body region unknown" in missing.reason
    lung = next(o for o in view.organs if o.code == LUNG)
    assert lung.dose.coverage == "covers 1 of 2 exams"
    assert lung.dose.missing[0].reason.startswith("1 of 2 counted events without organ-dose")
    assert view.dlp.value == pytest.approx(1900.0)  # every counted event, estimated or not
    assert view.dlp.exams == 2


def test_a_groups_uncertainty_is_the_value_weighted_mean(ingestor: Ingestor) -> None:
    """Adrenal dose of a chest + abdomen CT: 34 mGy +-100 % (scatter, chest) and 11.5 mGy
    +-35 % (in the abdomen field), one model: 34 + 4.025 = 38.025 mGy of 45.5 = 83.6 %
    (linear within a model) — not the plain mean 67.5 % nor the larger 100 %."""
    data = _ct(
        "qc",
        datetime(2025, 3, 1, 9),
        synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("qc.1")),
        synth.CtEventSpec(
            dlp_mgy_cm=500.0,
            protocol="Abdomen",
            target_region=ABDOMEN,
            irradiation_event_uid=scenario.uid("qc.2"),
        ),
    )
    ingestor.ingest_bytes(data, SourceInfo("c"))
    person, (exam,) = _person(ingestor)
    (adrenal,) = [x for x in exam.estimates if x.organ == ADRENAL]
    assert (adrenal.events, adrenal.study_level) == (2, False)
    assert adrenal.value == pytest.approx(34.0 + 11.5)
    assert adrenal.uncertainty_pct == pytest.approx(100.0 * (34.0 + 0.35 * 11.5) / 45.5)
    with session_factory(ingestor.engine)() as session:
        view = cumulative(session, person, WINDOW)
    organ = next(o for o in view.organs if o.code == ADRENAL)
    assert organ.dose.uncertainty_pct == pytest.approx(83.571, abs=1e-3)
    assert organ.dose.coverage == "covers 1 of 1 exams"  # every event has organ doses
    assert view.effective.value == pytest.approx(21.0 + 8.95)


def test_a_study_of_two_modalities_splits_its_effective_dose(ingestor: Ingestor) -> None:
    """A PET/CT: the CT RDSR and the RRDSR of one study; E per modality from each event."""
    when = datetime(2025, 4, 1, 9)
    ct = _ct(
        "qd",
        when,
        synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("qd.ct")),
    )
    nm = synth.radiopharmaceutical_report_bytes(
        synth.RadiopharmaceuticalReportSpec(
            administrations=(
                synth.AdministrationSpec(
                    activity_mbq=scenario.FDG_MBQ,
                    organ_doses=synth.fdg_organ_doses(scenario.FDG_MBQ),
                    administration_event_uid=scenario.uid("qd.nm"),
                ),
            )
        ),
        _header("qd", when.replace(minute=30)),
    )
    for name, data in (("ct", ct), ("nm", nm)):
        ingestor.ingest_bytes(data, SourceInfo(name))
    person, (exam,) = _person(ingestor)
    assert exam.modality == "CT+NM"
    assert {e.modality for e in exam.events} == {"CT", "NM"}
    with session_factory(ingestor.engine)() as session:
        view = cumulative(session, person, WINDOW)
    shares = {s.key: s.value_msv for s in view.effective_by_modality}
    assert shares == pytest.approx(
        {"CT": K_CHEST * 1000.0, "NM": scenario.E_FDG_PER_MBQ * scenario.FDG_MBQ}
    )
    assert view.effective.value == pytest.approx(sum(shares.values()))
    assert [a.value for a in view.activity] == [scenario.FDG_MBQ]


def test_the_view_of_a_person_names_the_person_and_refuses_unknown_or_linked_ones(
    ingestor: Ingestor,
) -> None:
    ingestor.ingest_bytes(
        _ct(
            "qv",
            datetime(2025, 5, 1, 9),
            synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("qv.1")),
        ),
        SourceInfo("v"),
    )
    other = synth.ct_report_bytes(
        synth.CtReportSpec(
            events=(
                synth.CtEventSpec(dlp_mgy_cm=100.0, irradiation_event_uid=scenario.uid("qw.1")),
            )
        ),
        synth.Header(
            patient=synth.PatientSpec(patient_id="W-1", issuer="HOSP-Q"),
            study=synth.StudySpec(
                study_datetime=datetime(2025, 5, 2, 9),
                study_instance_uid=scenario.uid("qw"),
                sop_instance_uid=scenario.uid("qw.R"),
            ),
        ),
    )
    ingestor.ingest_bytes(other, SourceInfo("w"))
    with session_factory(ingestor.engine)() as session:
        first, second = session.execute(
            select(Person.id, Person.pseudonym).order_by(Person.id)
        ).all()
        view = cumulative(session, first.id, WINDOW)
        assert (view.person_id, view.pseudonym, view.basis) == (
            first.id,
            first.pseudonym,
            "ICRP103",
        )
        assert view.effective.value == pytest.approx(K_CHEST * 1000.0)
        on_60 = cumulative(session, first.id, WINDOW, WeightBasis.ICRP60)
        assert on_60.basis == "ICRP60" and on_60.effective.value is None  # never converted
        with pytest.raises(LedgerError, match=rf"^unknown person {second.id + 100}$"):
            cumulative(session, second.id + 100, WINDOW)
        link_persons(session, first.id, second.id, "same patient", "test")
        session.commit()
        with pytest.raises(
            LedgerError, match=rf"^person {second.id} was linked into person {first.id}$"
        ):
            cumulative(session, second.id, WINDOW)
        assert cumulative(session, first.id, WINDOW).exams == 2


def test_a_study_level_estimate_takes_its_reports_modality(ingestor: Ingestor) -> None:
    """A fluoroscopy RDSR's peak skin dose is an estimate of the study (no event): it is read
    as its own study-level record, with the modality of its report (RF), never summed."""
    ingestor.ingest_bytes(scenario._rf("qf", datetime(2025, 6, 1, 9), 2.0), SourceInfo("f"))
    _, (exam,) = _person(ingestor)
    psd = [x for x in exam.estimates if x.quantity == "peak_skin_dose"]
    assert [(x.study_level, x.modality, x.events, x.unit) for x in psd] == [(True, "RF", 1, "mGy")]
    # of the order of Ka,r 2 Gy (backscatter up, table and distance down): a skin dose in mGy
    assert 1000.0 < psd[0].value < 4000.0
    assert exam.modality == "RF" and exam.event_count == 1


def test_records_are_ordered_and_a_missing_region_or_basis_sorts_first() -> None:
    """Within an exam: events by modality, kind, region (none first); estimates by
    quantity, organ, basis (none first), modality, model, value — a stable order for the
    pages and the JSON, which a record without a region or a basis does not break."""
    ev = records.EventRecord(
        "RF", "fluoroscopy", "SCT:43799004", None, 1, 1.0, 1.0, None, 1.0, None
    )
    bare = ev._replace(target_region=None)
    nm = ev._replace(radionuclide="SCT:35321007")
    assert sorted([nm, ev, bare], key=records._event_order) == [bare, ev, nm]
    base = records.EstimateRecord(
        study_level=False,
        modality="CT",
        quantity="effective_dose",
        organ=None,
        organ_meaning=None,
        basis="ICRP60",
        unit="mSv",
        model_id="m",
        model_version="1",
        table_version="t",
        origin="model",
        indicative=False,
        upper_bound=False,
        value=1.0,
        uncertainty_pct=30.0,
    )
    e103 = base._replace(basis="ICRP103", value=2.0)
    nobasis = base._replace(basis=None, value=3.0)
    organ = base._replace(quantity="organ_dose", organ="39607008", basis=None, value=0.5)
    plain_organ = organ._replace(organ=None, value=9.0)
    assert sorted([organ, base, e103, nobasis, plain_organ], key=records._estimate_order) == [
        nobasis,
        e103,
        base,
        plain_organ,
        organ,
    ]


def test_an_exams_record_carries_its_study_and_every_estimate_attribute(
    ingestor: Ingestor,
) -> None:
    """The study's date, establishment and description; an organ outside SNOMED CT keeps its
    scheme; a group of zero doses takes its largest uncertainty (no division by zero); the
    indicative and upper-bound flags are read as stored."""
    ingestor.ingest_bytes(
        _ct(
            "qx",
            datetime(2025, 7, 1, 9),
            synth.CtEventSpec(dlp_mgy_cm=100.0, irradiation_event_uid=scenario.uid("qx.1")),
        ),
        SourceInfo("x"),
    )
    with session_factory(ingestor.engine)() as session:
        event = session.scalars(select(EventRow)).one()
        session.add(
            EstimateRow(
                report_id=event.report_id,
                study_id=event.study_id,
                event_id=event.id,
                quantity="organ_dose",
                organ_scheme="99LOCAL",
                organ_value="ORG1",
                organ_meaning="Local organ",
                value=0.0,
                unit="mGy",
                uncertainty_pct=25.0,
                model_id="hand.model",
                model_version="1",
                table_version="t",
                basis=None,
                indicative=True,
                upper_bound=True,
                method="",
                inputs={},
                current=True,
                created_at=datetime(2025, 7, 1, 10),
                slot_key=f"{event.event_key}|organ_dose|99LOCAL:ORG1|",
                origin="model",
                selection="counted",
                selection_reason="test",
            )
        )
        session.commit()
    _, (exam,) = _person(ingestor)
    assert (exam.study_date, exam.establishment, exam.description) == (
        date(2025, 7, 1),
        "HOPITAL_Q",
        "SYNTHETIC EXAM",
    )
    (local,) = [x for x in exam.estimates if x.model_id == "hand.model"]
    assert (local.organ, local.organ_meaning, local.value, local.uncertainty_pct) == (
        "99LOCAL:ORG1",
        "Local organ",
        0.0,
        25.0,
    )
    assert (local.indicative, local.upper_bound, local.study_level) == (True, True, False)
    others = [x for x in exam.estimates if x.model_id != "hand.model"]
    assert others and not any(x.indicative or x.upper_bound for x in others)
    assert {x.modality for x in exam.estimates} == {"CT"}  # the modality of its events


def test_a_mixed_study_beside_a_plain_one_loses_nothing_and_exams_go_by_date(
    ingestor: Ingestor,
) -> None:
    """A PET/CT (events of two modalities, re-read with its events) beside a plain CT of
    the same person: both exams keep every estimate; exams are ordered by date (the later
    study has the smaller UID here), not by UID."""
    when = datetime(2025, 4, 1, 9)
    ct = _ct(
        "qm",
        when,
        synth.CtEventSpec(dlp_mgy_cm=1000.0, irradiation_event_uid=scenario.uid("qm.ct")),
    )
    nm = synth.radiopharmaceutical_report_bytes(
        synth.RadiopharmaceuticalReportSpec(
            administrations=(
                synth.AdministrationSpec(
                    activity_mbq=scenario.FDG_MBQ,
                    organ_doses=synth.fdg_organ_doses(scenario.FDG_MBQ),
                    administration_event_uid=scenario.uid("qm.nm"),
                ),
            )
        ),
        _header("qm", when.replace(minute=30)),
    )
    later = _ct(
        "qa",  # "…qa" < "…qm": UID order is not date order
        datetime(2025, 9, 1, 9),
        synth.CtEventSpec(dlp_mgy_cm=500.0, irradiation_event_uid=scenario.uid("qa.ct")),
    )
    for name, data in (("ct", ct), ("nm", nm), ("later", later)):
        ingestor.ingest_bytes(data, SourceInfo(name))
    _, exams = _person(ingestor)
    assert [e.study_instance_uid for e in exams] == [scenario.uid("qm"), scenario.uid("qa")]
    mixed, plain = exams
    assert mixed.modality == "CT+NM"
    e_of = {x.modality: x.value for x in mixed.estimates if x.quantity == "effective_dose"}
    assert e_of == pytest.approx(
        {"CT": K_CHEST * 1000.0, "NM": scenario.E_FDG_PER_MBQ * scenario.FDG_MBQ}
    )
    assert [x.value for x in plain.estimates if x.quantity == "effective_dose"] == [
        pytest.approx(K_CHEST * 500.0)
    ]
    assert len([x for x in plain.estimates if x.quantity == "organ_dose"]) >= 20


def test_refusals_are_ordered_by_event_then_quantity_then_reason() -> None:
    """An exam's refusals: the study's own (no event key) first, then by event key, then by
    quantity, then by reason — whatever order the ledger returns them in."""
    study = (None, "organ_dose", "z: no model")
    e1_effective = ("2.25.1", "effective_dose", "y: no DLP")
    e1_organ = ("2.25.1", "organ_dose", "a: no region")
    e2_any = ("2.25.2", "any", "b: not a CT")
    rows = [e2_any, e1_organ, study, e1_effective]
    assert sorted(rows, key=records._refusal_order) == [study, e1_effective, e1_organ, e2_any]
