"""Alert "single exam above its NRD" (raised once per study, routed to the establishment's
quality manager) and person links re-evaluating the merged person's alerts (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dosewatch import synth
from dosewatch.cumulative import alerts, links
from dosewatch.domain.errors import LedgerError
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory, transaction
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import AuditEvent, Establishment, Person, Study
from dosewatch.nrd import mapping, screen
from dosewatch.nrd.store import on_study_recorded
from tests.cumulative import scenario

#: ASN decision 2019-DC-0667, Annexe 2 Tableau 2.1: chest PA (adult) PDS NRD 200 mGy.cm2
CHEST_PA_NRD_MGY_CM2 = 200.0


def _hooked(ingestor: Ingestor) -> Ingestor:
    return Ingestor(
        ingestor.settings,
        ingestor.engine,
        on_recorded=alerts.on_recorded,
        on_study_recorded=on_study_recorded,
    )


def _chest_pa(name: str, kap_gy_cm2: float, when: datetime) -> bytes:
    spec = synth.ProjectionReportSpec(
        events=(
            synth.radiography_event(
                dap_gy_cm2=kap_gy_cm2, irradiation_event_uid=scenario.uid(name + ".e")
            ),
        ),
        fluoroscopy=False,
    )
    header = synth.Header(
        patient=synth.PatientSpec(patient_id="N-1", issuer="HOSP-N"),
        device=synth.DeviceSpec(institution_name="Hopital N", serial_number="SN-N"),
        study=synth.StudySpec(
            study_datetime=when,
            study_instance_uid=scenario.uid(name),
            sop_instance_uid=scenario.uid(name + ".R"),
            study_description="RX THORAX F",
        ),
    )
    return synth.projection_report_bytes(spec, header)


def _nrd_alerts(engine: Engine) -> list[tuple[str, str, str, str, float, bool]]:
    with session_factory(engine)() as session:
        return [
            (study, code, a.role, a.unit, round(a.value, 6), a.active)
            for a, study, code in session.execute(
                select(AlertRow, Study.study_instance_uid, Establishment.code)
                .join(Study, Study.id == AlertRow.study_id)
                .join(Establishment, Establishment.id == AlertRow.establishment_id)
                .where(AlertRow.rule_id == "single_exam_above_nrd")
            )
        ]


def test_a_single_exam_above_its_nrd_is_raised_once_for_the_quality_manager(
    ingestor: Ingestor,
) -> None:
    ledger = _hooked(ingestor)
    below = _chest_pa("dx1", 0.150, datetime(2025, 2, 3, 9))  # PDS 150 < 200 mGy.cm2
    above = _chest_pa("dx2", 0.350, datetime(2025, 2, 10, 9))  # PDS 350 > 200 mGy.cm2
    ledger.ingest_bytes(below, SourceInfo("dx1"))
    with transaction(session_factory(ledger.engine)) as session:
        code = session.scalars(select(Establishment.code)).one()
        mapping.add_rules(
            session,
            code,
            [mapping.RuleSpec("exact", "rx thorax f", "DX_THORAX_F", "study_description", "DX")],
            actor="qm",
            reason="chest PA",
        )
    assert _nrd_alerts(ledger.engine) == []  # mapped now, but 150 is below the NRD
    at = _chest_pa("dx-at", 0.200, datetime(2025, 2, 5, 9))  # PDS 200 = NRD: not above it
    ledger.ingest_bytes(at, SourceInfo("dx-at"))
    assert _nrd_alerts(ledger.engine) == []
    for attempt in range(2):  # re-sent: still one alert
        ledger.ingest_bytes(above, SourceInfo(f"dx2-{attempt}"))
    ratio = 350.0 / CHEST_PA_NRD_MGY_CM2
    assert _nrd_alerts(ledger.engine) == [
        (scenario.uid("dx2"), code, "quality_manager", "x NRD", ratio, True)
    ]
    with session_factory(ledger.engine)() as session:
        alert = session.scalars(
            select(AlertRow).where(AlertRow.rule_id == "single_exam_above_nrd")
        ).one()
        assert "2019-DC-0667" in alert.source
        assert "PDS 350 mGy.cm2 > NRD 200 mGy.cm2" in alert.message
        raised = session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.action == "alert.raised", AuditEvent.target_id == str(alert.id)
            )
        ).all()
        assert len(raised) == 1


def test_the_nrd_screen_floor_is_the_smallest_usable_adult_value() -> None:
    # ASN 2019-DC-0667 Annexe 2 Tableau 2.1: orthopantomography PDS 150 mGy.cm2 is the
    # smallest adult PDS; no other indicator has a usable 2019 value transcribed yet
    assert screen.floors() == {"kap_mgy_cm2": 150.0}
    assert screen.floors("no such regulation") == {}


def test_no_nrd_alert_without_a_comparison(ingestor: Ingestor) -> None:
    """Unmapped exam: :func:`study_exceeds_nrd` cannot compare, so nothing is raised."""
    ledger = _hooked(ingestor)
    ledger.ingest_bytes(_chest_pa("dx3", 5.0, datetime(2025, 2, 3, 9)), SourceInfo("dx3"))
    assert _nrd_alerts(ledger.engine) == []


# --------------------------------------------------------------------------- links

#: two chest CTs of 2500 mGy.cm2: 0.021 x 2500 = 52.5 mSv each (Lee 2012, adult chest 120 kV)
CT_DLP = 2500.0


def _ct(name: str, local: str, issuer: str, site: str, when: datetime) -> bytes:
    header = synth.Header(
        patient=synth.PatientSpec(patient_id=local, issuer=issuer),
        device=synth.DeviceSpec(institution_name=site, serial_number=f"SN-{site}"),
        study=synth.StudySpec(
            study_datetime=when,
            study_instance_uid=scenario.uid(name),
            sop_instance_uid=scenario.uid(name + ".R"),
        ),
    )
    spec = synth.CtReportSpec(
        events=(
            synth.CtEventSpec(dlp_mgy_cm=CT_DLP, irradiation_event_uid=scenario.uid(name + ".e")),
        )
    )
    return synth.ct_report_bytes(spec, header)


def _persons(session: Session) -> list[int]:
    return list(session.scalars(select(Person.id).order_by(Person.id)))


def _active(engine: Engine) -> list[tuple[str, int, str]]:
    with session_factory(engine)() as session:
        return sorted(
            (a.rule_id, a.person_id, study)
            for a, study in session.execute(
                select(AlertRow, Study.study_instance_uid)
                .join(Study, Study.id == AlertRow.study_id)
                .where(AlertRow.active)
            )
        )


@pytest.mark.parametrize("crossing_first", [False, True])
def test_linking_two_identities_re_evaluates_the_merged_persons_alerts(
    ingestor: Ingestor, crossing_first: bool
) -> None:
    ledger = _hooked(ingestor)
    # the same patient known by two local IDs at two sites: 52.5 mSv at each, 105 mSv together
    ledger.ingest_bytes(
        _ct("lk1", "L-1", "HOSP-L", "Hopital L", datetime(2025, 4, 1, 9)), SourceInfo("lk1")
    )
    ledger.ingest_bytes(
        _ct("lk2", "M-9", "HOSP-M", "Hopital M", datetime(2025, 4, 20, 9)), SourceInfo("lk2")
    )
    assert _active(ledger.engine) == []  # 52.5 mSv each: below 100 mSv
    with transaction(session_factory(ledger.engine)) as session:
        first, second = _persons(session)
        keep, merge = (second, first) if crossing_first else (first, second)
        links.link_persons(session, keep, merge, "same patient (checked)", "physicist")
    # raised once each, for the kept person whichever of the two is kept: 105 >= 100 mSv is
    # reached at the later exam, which is also a chest CT 19 days after a chest CT (<= 30)
    later = scenario.uid("lk2")
    assert _active(ledger.engine) == [
        ("cumulative_effective_dose", keep, later),
        ("repeat_ct_region", keep, later),
    ]
    with session_factory(ledger.engine)() as session:
        alert = session.scalars(
            select(AlertRow).where(AlertRow.rule_id == "cumulative_effective_dose")
        ).one()
        assert alert.value == pytest.approx(2 * scenario.K_CHEST_120KV * CT_DLP)
        assert len(session.scalars(select(AlertRow.id)).all()) == 2  # nothing else, no duplicate
    factory = session_factory(ledger.engine)
    with transaction(factory) as session, pytest.raises(LedgerError, match="already the same"):
        links.link_persons(session, keep, merge, "again", "physicist")


def test_unlinking_withdraws_the_alert_the_link_raised(ingestor: Ingestor) -> None:
    ledger = _hooked(ingestor)
    ledger.ingest_bytes(
        _ct("ul1", "U-1", "HOSP-U", "Hopital U", datetime(2025, 4, 1, 9)), SourceInfo("ul1")
    )
    ledger.ingest_bytes(
        _ct("ul2", "V-1", "HOSP-V", "Hopital V", datetime(2025, 4, 20, 9)), SourceInfo("ul2")
    )
    with transaction(session_factory(ledger.engine)) as session:
        keep, merge = _persons(session)
        links.link_persons(session, keep, merge, "same patient", "physicist")
    assert [rule for rule, _, _ in _active(ledger.engine)] == [
        "cumulative_effective_dose",
        "repeat_ct_region",
    ]
    with transaction(session_factory(ledger.engine)) as session:
        identifier = session.scalars(
            select(Study.identifier_id).where(Study.study_instance_uid == scenario.uid("ul2"))
        ).one()
        assert identifier is not None
        links.unlink_identifier(session, b"k", identifier, "not the same patient", "physicist")
    assert _active(ledger.engine) == []
    with session_factory(ledger.engine)() as session:
        assert session.scalars(select(AlertRow.active)).all() == [False, False]  # kept
