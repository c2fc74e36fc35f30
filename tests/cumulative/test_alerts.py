"""Alerts fire exactly once, at the right exam, in every arrival order and with 2 workers;
a corrected report withdraws its alert; transitions are audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from dosewatch.cumulative import alerts
from dosewatch.cumulative.alert_rules import default_rules, parse_rules
from dosewatch.domain.errors import InvalidValueError, LedgerError
from dosewatch.ingest import local_pool as workers
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory, transaction
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import AuditEvent, Study
from tests.cumulative import scenario

#: rule -> the exam it must fire at (Study Instance UID of the scenario name)
EXPECTED = {
    "srdl_ka_r": "rf1",  # Ka,r 6 Gy >= 5 Gy (NCRP 168)
    # PSD >= 3 Gy: Ka,r 6 Gy x backscatter x table/geometry factors (a physical consequence)
    "srdl_psd": "rf1",
    "repeat_procedure": "rf2",  # 40 days after rf1 (<= 60 days)
    "repeat_ct_region": "ct2",  # chest CT 8 days after a chest CT (<= 30 days)
    "cumulative_effective_dose": "ct2",  # 52.5 + 52.5 = 105 mSv >= 100 mSv in 5 years
}


def alerting(ingestor: Ingestor) -> Ingestor:
    return Ingestor(ingestor.settings, ingestor.engine, on_recorded=alerts.on_recorded)


def fired(ingestor: Ingestor) -> dict[str, list[str]]:
    uid_of = {scenario.uid(n): n for n in ("rf1", "rf2", "ct1", "ct2")}
    with session_factory(ingestor.engine)() as session:
        rows = session.execute(
            select(AlertRow.rule_id, Study.study_instance_uid)
            .join(Study, Study.id == AlertRow.study_id)
            .where(AlertRow.active)
        ).all()
    out: dict[str, list[str]] = {}
    for rule, study in rows:
        out.setdefault(rule, []).append(uid_of.get(study, study))
    return out


def test_each_alert_fires_once_at_the_right_exam_in_every_order(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    items = sorted(scenario.carol_files().items())
    seed = 7
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    for order in (items, items[::-1], shuffled):
        ledger = alerting(make_ingestor())
        for name, data in order:
            ledger.ingest_bytes(data, SourceInfo(name))
        got = fired(ledger)
        assert got == {rule: [exam] for rule, exam in EXPECTED.items()}, f"seed {seed}"
        with session_factory(ledger.engine)() as session:
            raised = session.scalars(
                select(AuditEvent.target_id).where(AuditEvent.action == "alert.raised")
            ).all()
        assert len(raised) == len(set(raised)) == len(EXPECTED)  # raised once each


def test_two_workers_raise_each_alert_once(
    make_ingestor: Callable[[], Ingestor], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in scenario.carol_files().items():
        (folder / name).write_bytes(data)
    ledger = make_ingestor()
    summary = workers.run(ledger.settings, [folder], workers=2, on_recorded=alerts.on_recorded)
    assert summary.failed == 0
    assert fired(ledger) == {rule: [exam] for rule, exam in EXPECTED.items()}


def test_a_corrected_report_withdraws_its_alert_in_any_order(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    files = scenario.carol_files()
    corrected = scenario.rf1_corrected()
    for first_correction in (False, True):
        ledger = alerting(make_ingestor())
        names = sorted(files)
        if first_correction:
            ledger.ingest_bytes(corrected, SourceInfo("rf1-corrected"))
        for name in names:
            ledger.ingest_bytes(files[name], SourceInfo(name))
        if not first_correction:
            ledger.ingest_bytes(corrected, SourceInfo("rf1-corrected"))
        got = fired(ledger)
        # Ka,r 1.5 Gy < 5 Gy and PSD < 3 Gy: no SRDL alert, and rf2 is no repeat of one
        assert not {"srdl_ka_r", "srdl_psd", "repeat_procedure"} & set(got), got
        assert got["cumulative_effective_dose"] == ["ct2"]


def test_transitions_are_audited_and_ordered(ingestor: Ingestor) -> None:
    ledger = alerting(ingestor)
    for name, data in sorted(scenario.carol_files().items()):
        ledger.ingest_bytes(data, SourceInfo(name))
    factory = session_factory(ledger.engine)
    with transaction(factory) as session:
        alert = session.scalars(select(AlertRow).where(AlertRow.rule_id == "srdl_ka_r")).one()
        assert alert.state == "open" and alert.role == "physicist"
        assert "NCRP Report No. 168" in alert.source
        with pytest.raises(LedgerError, match="comment"):
            alerts.transition(session, alert.id, alerts.AlertState.ACKNOWLEDGED, "mp", " ")
        alerts.transition(session, alert.id, alerts.AlertState.ACKNOWLEDGED, "mp", "seen")
        alerts.transition(session, alert.id, alerts.AlertState.CLOSED, "mp", "skin checked")
        with pytest.raises(LedgerError, match="closed"):
            alerts.transition(session, alert.id, alerts.AlertState.ACKNOWLEDGED, "mp", "again")
        trail = session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.reason)
            .where(AuditEvent.target_type == "alert", AuditEvent.target_id == str(alert.id))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(t) for t in trail][1:] == [
        ("alert.acknowledged", "mp", "seen"),
        ("alert.closed", "mp", "skin checked"),
    ]
    # re-sending everything changes nothing: the closed alert stays closed, not re-raised
    for name, data in sorted(scenario.carol_files().items()):
        ledger.ingest_bytes(data, SourceInfo(name + "-again"))
    with session_factory(ledger.engine)() as session:
        states = session.scalars(select(AlertRow.state).where(AlertRow.rule_id == "srdl_ka_r"))
        assert list(states) == ["closed"]


def test_rules_are_data_with_sources_and_overrides() -> None:
    rules = default_rules()
    assert all(r.source for r in rules)
    by_id = {r.rule_id: r for r in rules}
    assert by_id["cumulative_effective_dose"].threshold == 100  # mSv, Rehani 2020
    assert by_id["srdl_ka_r"].threshold == 5 and by_id["srdl_kap"].threshold == 500
    assert by_id["srdl_psd"].threshold == 3000 and by_id["srdl_fluoro_time"].threshold == 3600
    assert by_id["repeat_procedure"].window_days == 60
    assert by_id["eye_lens_cumulative"].threshold == 500  # mGy, ICRP 118
    nrd = by_id["single_exam_above_nrd"]  # value / NRD > 1, for the quality manager
    assert (nrd.threshold, nrd.unit, nrd.role.value) == (1, "x NRD", "quality_manager")
    assert "2019-DC-0667" in nrd.source
    # every role is one of the service's roles (alerts are routed to users by it)
    assert {r.role.value for r in rules} == {"physicist", "radiologist", "quality_manager"}
    text = "rule_id,version,kind,threshold,unit,window_days,establishment,role,organ,source\n"
    override = parse_rules(text + "srdl_ka_r,2,procedure_ka_r,3,Gy,,HOPITAL_D,physicist,,local\n")
    from dosewatch.cumulative.alert_rules import rule_for

    assert rule_for(rules + override, "srdl_ka_r", "HOPITAL_D").threshold == 3
    assert rule_for(rules + override, "srdl_ka_r", "OTHER").threshold == 5
    with pytest.raises(InvalidValueError):
        parse_rules(text + "x,1,no_such_kind,1,Gy,,*,physicist,,src\n")
    with pytest.raises(InvalidValueError, match="row 2: 'mp' is not a valid Role"):
        parse_rules(text + "x,1,procedure_ka_r,1,Gy,,*,mp,,src\n")
