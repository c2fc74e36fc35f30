"""Stored alerts: the facts read from the ledger, and :func:`alerts.reconcile` /
:func:`alerts.transition` field by field (every stored column, every audit record).

Facts: Carol's scenario (``tests/cumulative/scenario.py``): chest CTs of 2500 mGy.cm2 at
k = 0.021 mSv/(mGy.cm) (Lee 2012) = 52.5 mSv (ct2 also has a 1 mGy.cm event: 52.521 mSv);
interventional rf1 Ka,r 6 Gy, rf2 1 Gy, each DAP 50 Gy.cm2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dosewatch.cumulative import alerts
from dosewatch.cumulative.alert_rules import parse_rules
from dosewatch.cumulative.alerts import AlertState
from dosewatch.domain.errors import LedgerError
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import AccumulatedProjectionDose, DoseModality
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import AuditEvent, EventRow, Person, Study
from tests.cumulative import scenario
from tests.cumulative.test_report_text_pinned import _kap
from tests.ledger.builders import prepared, report, source

HEADER = "rule_id,version,kind,threshold,unit,window_days,establishment,role,organ,source\n"
KA_R = parse_rules(HEADER + "srdl_ka_r,4,procedure_ka_r,5,Gy,,*,physicist,,NCRP 168\n")
SRDL = "(substantial radiation dose level): skin follow-up"


@pytest.fixture
def carol(ingestor: Ingestor) -> Iterator[Session]:
    for name, data in sorted(scenario.carol_files().items()):
        ingestor.ingest_bytes(data, SourceInfo(name))
    with session_factory(ingestor.engine)() as session:
        yield session


def test_exam_facts_of_the_scenario(carol: Session) -> None:
    (person_id,) = set(carol.scalars(select(Study.person_id)))
    facts = {f.study_instance_uid: f for f in alerts.exam_facts(carol, person_id)}
    uid = scenario.uid
    assert set(facts) == {uid("ct1"), uid("ct2"), uid("rf1"), uid("rf2")}
    ct1, ct2, rf1, rf2 = (facts[uid(n)] for n in ("ct1", "ct2", "rf1", "rf2"))
    for f in (ct1, ct2, rf1, rf2):
        assert f.establishment == "HOPITAL_D" and f.nrd_ratio is None and f.nrd_text == ""
    assert (ct1.study_date, ct2.study_date) == (date(2025, 4, 12), date(2025, 4, 20))
    assert (rf1.study_date, rf2.study_date) == (date(2025, 3, 1), date(2025, 4, 10))
    assert ct1.effective_msv == pytest.approx(0.021 * 2500, rel=1e-9)
    assert ct2.effective_msv == pytest.approx(0.021 * 2501, rel=1e-9)
    for ct in (ct1, ct2):
        assert (ct.ka_r_gy, ct.kap_gy_cm2, ct.psd_mgy, ct.fluoro_time_s) == (0.0, 0.0, 0.0, 0.0)
        assert not ct.interventional
        assert ct.ct_regions == frozenset({BodyRegion.CHEST})
        assert set(ct.organ_mgy) == {"78076003"}  # the organ of the rules: the eye lens
    for rf, ka_r in ((rf1, 6.0), (rf2, 1.0)):
        assert (rf.ka_r_gy, rf.kap_gy_cm2, rf.effective_msv) == (ka_r, 50.0, 0.0)
        assert rf.interventional and rf.ct_regions == frozenset() and rf.organ_mgy == {}
        assert rf.fluoro_time_s > 0
    # peak skin dose from Ka,r: the same factor for both procedures, above 3 Gy for 6 Gy
    assert rf1.psd_mgy > 3000.0 and rf2.psd_mgy < 3000.0
    assert rf1.psd_mgy / rf1.ka_r_gy == pytest.approx(rf2.psd_mgy / rf2.ka_r_gy, rel=0.01)
    study_ids = set(carol.scalars(select(Study.id)))
    assert {f.study_id for f in facts.values()} == study_ids
    # without organ rules, no organ is read; an unknown person has no exams
    assert {f.organ_mgy.get("78076003") for f in alerts.exam_facts(carol, person_id, KA_R)} == {
        None
    }
    assert alerts.exam_facts(carol, 9999) == []


def _rf_study(ingestor: Ingestor, ka_r: float, fluoro_s: float | None = None) -> None:
    rf = report("1.1", "9.1", (_kap("6.1", 80.0, ka_r),), modality=DoseModality.FLUOROSCOPY)
    if fluoro_s is not None:
        planes = (AccumulatedProjectionDose(total_fluoro_time=Quantity(fluoro_s, "s")),)
        rf = replace(rf, projection_accumulated=planes)
    assert ingestor.record(prepared(rf), source()).status == "recorded"


def _audit(session: Session) -> list[tuple[str, str, str, str, dict[str, object]]]:
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [(r.action, r.target_type, r.actor, r.reason, r.details) for r in rows]


def _set_ka_r(session: Session, value: float) -> None:
    session.execute(update(EventRow).values(ka_r_gy=value))
    session.flush()


def test_reconcile_raises_re_evaluates_withdraws_and_reactivates(ingestor: Ingestor) -> None:
    _rf_study(ingestor, 6.0, fluoro_s=300.0)
    with session_factory(ingestor.engine)() as session:
        person = session.scalars(select(Person)).one()
        study = session.scalars(select(Study)).one()
        (row,) = alerts.reconcile(session, person.id, KA_R)
        assert (
            row.alert_key,
            row.rule_id,
            row.rule_version,
            row.person_id,
            row.study_id,
            row.establishment_id,
            row.role,
            row.value,
            row.unit,
            row.threshold,
            row.message,
            row.source,
            row.state,
            row.active,
        ) == (
            "srdl_ka_r|9.1",
            "srdl_ka_r",
            "4",
            person.id,
            study.id,
            study.establishment_id,
            "physicist",
            6.0,
            "Gy",
            5.0,
            f"6 Gy >= 5 Gy {SRDL}",
            "NCRP 168",
            "open",
            True,
        )
        assert row.raised_at == row.updated_at
        details = {"key": "srdl_ka_r|9.1", "rule": "srdl_ka_r", "version": "4", "state": "open"}
        raised = ("alert.raised", "alert", "dosewatch", f"6 Gy >= 5 Gy {SRDL}", details)
        assert _audit(session) == [raised]
        audited = session.scalars(select(AuditEvent)).one()
        assert audited.target_id == str(row.id)
        # nothing changed: nothing written
        first_update = row.updated_at
        assert alerts.reconcile(session, person.id, KA_R) == [row]
        assert len(_audit(session)) == 1 and row.updated_at == first_update
        # a corrected value: re-evaluated, same row
        _set_ka_r(session, 7.0)
        assert alerts.reconcile(session, person.id, KA_R) == [row]
        assert (row.value, row.message, row.active) == (7.0, f"7 Gy >= 5 Gy {SRDL}", True)
        re_evaluated = ("alert.re_evaluated", "alert", "dosewatch", f"7 Gy >= 5 Gy {SRDL}")
        assert _audit(session)[-1] == (*re_evaluated, details)
        # below the level: withdrawn, kept
        _set_ka_r(session, 4.0)
        assert alerts.reconcile(session, person.id, KA_R) == []
        assert (row.active, row.state, row.value) == (False, "open", 7.0)
        withdrawn = (
            "alert.withdrawn",
            "alert",
            "dosewatch",
            "re-evaluation: the condition no longer holds (a report superseded or corrected)",
            details,
        )
        assert _audit(session)[-1] == withdrawn
        assert alerts.reconcile(session, person.id, KA_R) == []  # withdrawn once
        assert len(_audit(session)) == 3
        # above again: the same row is reactivated (an alert key is never raised twice)
        _set_ka_r(session, 8.0)
        assert alerts.reconcile(session, person.id, KA_R) == [row]
        assert (row.active, row.value, row.message) == (True, 8.0, f"8 Gy >= 5 Gy {SRDL}")
        assert _audit(session)[-1] == (
            "alert.reactivated",
            "alert",
            "dosewatch",
            f"8 Gy >= 5 Gy {SRDL}",
            details,
        )
        assert len(_audit(session)) == 4
        assert session.scalars(select(AlertRow)).all() == [row]


def test_a_new_message_alone_is_stored_without_an_audit(ingestor: Ingestor) -> None:
    _rf_study(ingestor, 6.0)
    lower = parse_rules(HEADER + "srdl_ka_r,5,procedure_ka_r,4,Gy,,*,physicist,,NCRP 168\n")
    with session_factory(ingestor.engine)() as session:
        person_id = session.scalars(select(Person.id)).one()
        (row,) = alerts.reconcile(session, person_id, KA_R)
        raised_update = row.updated_at
        (again,) = alerts.reconcile(session, person_id, lower)
        assert again is row
        assert row.message == f"6 Gy >= 4 Gy {SRDL}"
        assert row.updated_at >= raised_update
        assert [a for a, *_ in _audit(session)] == ["alert.raised"]


def test_reconcile_of_an_unknown_person(ingestor: Ingestor) -> None:
    with session_factory(ingestor.engine)() as session:
        with pytest.raises(LedgerError) as refused:
            alerts.reconcile(session, 4242, KA_R)
        assert str(refused.value) == "unknown person 4242"


def test_on_recorded_uses_the_bundled_rules(ingestor: Ingestor) -> None:
    _rf_study(ingestor, 6.0)
    with session_factory(ingestor.engine)() as session:
        person_id = session.scalars(select(Person.id)).one()
        alerts.on_recorded(session, person_id)
        rows = session.scalars(select(AlertRow)).all()
        assert {(r.rule_id, r.rule_version, r.threshold) for r in rows} >= {("srdl_ka_r", "1", 5.0)}


def test_transitions_and_their_refusals(ingestor: Ingestor) -> None:
    _rf_study(ingestor, 6.0)
    with session_factory(ingestor.engine)() as session:
        person_id = session.scalars(select(Person.id)).one()
        (row,) = alerts.reconcile(session, person_id, KA_R)
        with pytest.raises(LedgerError) as no_comment:
            alerts.transition(session, row.id, AlertState.CLOSED, "mp", " \n")
        assert str(no_comment.value) == f"alert {row.id}: a comment is required to closed it"
        with pytest.raises(LedgerError) as unknown:
            alerts.transition(session, 9999, AlertState.CLOSED, "mp", "c")
        assert str(unknown.value) == "unknown alert 9999"
        with pytest.raises(LedgerError) as reopen:
            alerts.transition(session, row.id, AlertState.OPEN, "mp", "c")
        assert str(reopen.value) == f"alert {row.id} is open: it cannot become open"
        before = row.updated_at
        assert alerts.transition(session, row.id, AlertState.ACKNOWLEDGED, "mp", "seen") is row
        assert row.state == "acknowledged" and row.updated_at >= before
        with pytest.raises(LedgerError) as twice:
            alerts.transition(session, row.id, AlertState.ACKNOWLEDGED, "mp", "c")
        assert str(twice.value) == f"alert {row.id} is acknowledged: it cannot become acknowledged"
        alerts.transition(session, row.id, AlertState.CLOSED, "rad", "skin checked")
        with pytest.raises(LedgerError) as closed:
            alerts.transition(session, row.id, AlertState.ACKNOWLEDGED, "mp", "c")
        assert str(closed.value) == f"alert {row.id} is closed: it cannot become acknowledged"
        base = {"key": "srdl_ka_r|9.1", "rule": "srdl_ka_r", "version": "4"}
        assert _audit(session)[1:] == [
            ("alert.acknowledged", "alert", "mp", "seen", {**base, "state": "acknowledged"}),
            ("alert.closed", "alert", "rad", "skin checked", {**base, "state": "closed"}),
        ]


def test_open_can_be_closed_directly() -> None:
    assert {
        AlertState.OPEN: {AlertState.ACKNOWLEDGED, AlertState.CLOSED},
        AlertState.ACKNOWLEDGED: {AlertState.CLOSED},
        AlertState.CLOSED: set(),
    } == alerts._NEXT
    assert alerts.SYSTEM_ACTOR == "dosewatch"
