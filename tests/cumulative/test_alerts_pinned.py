""":mod:`dosewatch.cumulative.alerts`: what the earlier alert tests left open (issue #15).

* every rule overridden for one establishment (a cumulative sum, the levels a repeat
  follows, the repeat windows, the NRD ratio) is read at each exam's establishment, and a
  repeat rule without a window means the same day only;
* :func:`alerts._above_nrd` keeps only the indicators strictly above a positive NRD, names
  them all and the comparison's labels, and gives no alert for a study that is not above;
* :func:`alerts.reconcile` evaluates with the rules it is given (also to read the organ doses
  those rules name) and keys a person's cumulative alert by the person's pseudonym;
* on PostgreSQL it reads the person ``FOR UPDATE`` (the row lock that serialises two
  evaluations of one person by two workers); SQLite has no such clause (its writes are
  serialised by the database lock), so only the ``[postgresql]`` variant can see the lock.

Carol's scenario (``tests/cumulative/scenario.py``): two chest CTs of 2500 mGy.cm (ct2 also a
1 mGy.cm event) at 120 kV; CT lung dose 0.034 mGy per mGy.cm of DLP (the packaged
``ct_organ_dose_coefficients`` row), so 85 mGy for ct1 and 85.034 mGy for ct2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from dosewatch.cumulative import alerts
from dosewatch.cumulative.alert_rules import AlertRule, default_rules, parse_rules
from dosewatch.cumulative.alerts import ExamFacts, evaluate
from dosewatch.domain.regions import BodyRegion
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.identity import SourceInfo
from dosewatch.ledger.models import Person, Study
from dosewatch.nrd.store import StudyCheck
from tests.cumulative import scenario
from tests.cumulative.test_alert_storage_pinned import KA_R, _rf_study

HEADER = "rule_id,version,kind,threshold,unit,window_days,establishment,role,organ,source\n"
#: SNOMED CT 39607008 "Lung structure": no bundled rule names it
LUNG = "39607008"


D0 = date(2025, 1, 10)
BY_ID = {r.rule_id: r for r in default_rules()}


def exam(
    uid: str,
    day: date,
    establishment: str = "EST",
    effective_msv: float = 0.0,
    **set_: Any,
) -> ExamFacts:
    facts = ExamFacts(
        study_instance_uid=uid,
        study_date=day,
        establishment=establishment,
        study_id=1,
        establishment_id=1,
        effective_msv=effective_msv,
        ka_r_gy=0.0,
        kap_gy_cm2=0.0,
        psd_mgy=0.0,
        fluoro_time_s=0.0,
        interventional=False,
        ct_regions=frozenset(),
    )
    return replace(facts, **set_)


def days(n: int) -> date:
    return D0 + timedelta(days=n)


def row(rule_id: str, kind: str, threshold: float, unit: str, window: str, site: str) -> str:
    return f"{rule_id},9,{kind},{threshold:g},{unit},{window},{site},physicist,,local review\n"


def local(base: tuple[AlertRule, ...], *rows: str) -> tuple[AlertRule, ...]:
    """The bundled rows ``base`` and the local rows after them."""
    return (*base, *parse_rules(HEADER + "".join(rows)))


def keys(facts: list[ExamFacts], rules: tuple[AlertRule, ...], rule_id: str) -> list[str]:
    return [c.key for c in evaluate("P", facts, rules) if c.rule.rule_id == rule_id]


def test_a_cumulative_rule_is_read_at_the_establishment_of_each_exam() -> None:
    rules = parse_rules(
        HEADER
        + "e,1,cumulative_effective,100,mSv,,*,physicist,,default\n"
        + "e,2,cumulative_effective,10,mSv,,LOCAL,physicist,,local review\n"
    )
    here = [exam("A", date(2025, 1, 1), "LOCAL", 20.0)]
    (c,) = evaluate("P", here, rules)
    assert (c.key, c.rule.version, c.value) == ("e|P", "2", 20.0)
    assert c.message == "cumulative 20 mSv over lifetime >= 10 mSv (reached at this exam)"
    assert evaluate("P", [exam("A", date(2025, 1, 1), "OTHER", 20.0)], rules) == []


def test_the_levels_a_repeat_follows_are_those_of_the_earlier_exams_establishment() -> None:
    # Ka,r level 3 Gy at LOCAL (default 5 Gy): a 4 Gy procedure there starts a repeat window
    rules = local(
        (BY_ID["repeat_procedure"], BY_ID["srdl_ka_r"]),
        row("srdl_ka_r", "procedure_ka_r", 3, "Gy", "", "LOCAL"),
    )
    for site, expected in (("LOCAL", ["repeat_procedure|L"]), ("OTHER", [])):
        hot = exam("H", days(0), site, interventional=True, ka_r_gy=4.0)
        later = exam("L", days(10), site, interventional=True)
        assert keys([hot, later], rules, "repeat_procedure") == expected, site


def test_the_repeat_window_is_that_of_the_later_exams_establishment() -> None:
    rules = local(
        (BY_ID["repeat_procedure"], BY_ID["srdl_ka_r"]),
        row("repeat_procedure", "repeat_after_srdl", 0, "d", "10", "LOCAL"),
    )
    hot = exam("H", days(0), "OTHER", interventional=True, ka_r_gy=6.0)
    here = exam("L", days(30), "LOCAL", interventional=True)  # 30 > 10 days at LOCAL
    there = exam("M", days(30), "OTHER", interventional=True)  # 30 <= 60 days elsewhere
    near = exam("N", days(10), "LOCAL", interventional=True)  # 10 <= 10 days at LOCAL
    got = [
        (c.key, c.rule.version, c.value)
        for c in evaluate("P", [hot, here, there, near], rules)
        if c.rule.rule_id == "repeat_procedure"
    ]
    assert got == [("repeat_procedure|N", "9", 10.0), ("repeat_procedure|M", "1", 30.0)]


def test_a_repeat_rule_without_a_window_means_the_same_day() -> None:
    rules = local(
        (BY_ID["srdl_ka_r"],), row("repeat_procedure", "repeat_after_srdl", 0, "d", "", "*")
    )
    hot = exam("H", days(0), interventional=True, ka_r_gy=6.0)
    same = exam("S", days(0), interventional=True)
    next_day = exam("T", days(1), interventional=True)
    assert keys([hot, same, next_day], rules, "repeat_procedure") == ["repeat_procedure|S"]


def test_the_nrd_ratio_is_compared_with_the_threshold_of_the_exams_establishment() -> None:
    rules = local(
        (BY_ID["single_exam_above_nrd"],),
        row("single_exam_above_nrd", "study_above_nrd", 2, "x NRD", "", "LOCAL"),
    )
    here = exam("A", days(0), "LOCAL", nrd_ratio=1.5, nrd_text="t")  # 1.5 <= 2 at LOCAL
    there = exam("B", days(0), "OTHER", nrd_ratio=1.5, nrd_text="t")  # 1.5 > 1 elsewhere
    high = exam("C", days(0), "LOCAL", nrd_ratio=2.5, nrd_text="t")
    got = [(c.key, c.rule.version) for c in evaluate("P", [here, there, high], rules)]
    assert got == [("single_exam_above_nrd|B", "1"), ("single_exam_above_nrd|C", "9")]


def test_the_ct_repeat_window_is_that_of_the_later_exams_establishment() -> None:
    rules = local(
        (BY_ID["repeat_ct_region"],),
        row("repeat_ct_region", "repeat_ct_region", 0, "d", "5", "LOCAL"),
    )
    chest = frozenset({BodyRegion.CHEST})
    facts = [
        exam("A", days(0), "OTHER", ct_regions=chest),
        exam("B", days(10), "LOCAL", ct_regions=chest),  # 10 > 5 days at LOCAL
        exam("C", days(15), "LOCAL", ct_regions=chest),  # 5 <= 5 days after B
        exam("D", days(40), "OTHER", ct_regions=chest),  # 25 <= 30 days after C
    ]
    got = [(c.key, c.rule.version, c.value) for c in evaluate("P", facts, rules)]
    assert got == [("repeat_ct_region|C", "9", 5.0), ("repeat_ct_region|D", "1", 25.0)]


# --------------------------------------------------------------------------- NRD text


def _checks(monkeypatch: pytest.MonkeyPatch, checks: dict[int, StudyCheck]) -> None:
    def fake(_session: Session, study_id: int) -> StudyCheck:
        return checks[study_id]

    monkeypatch.setattr(alerts, "study_exceeds_nrd", fake)


def test_above_nrd_names_every_indicator_strictly_above_a_positive_nrd(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    details = (
        ("kap", 350.0, 200.0, "mGy.cm2"),  # above: 1.75
        ("ctdivol", 10.0, 10.0, "mGy"),  # at the NRD: not above
        ("dlp", 50.0, 100.0, "mGy.cm"),  # below
        ("agd", 0.9, 0.5, "mGy"),  # above an NRD under 1: 1.8
        ("zero", 1.0, 0.0, "u"),  # no NRD to divide by: never named
    )
    _checks(
        monkeypatch,
        {
            7: StudyCheck(7, "DX_THORAX_F", True, details, ("obsolete: 2011", "local")),
            8: StudyCheck(8, "DX_THORAX_F", True, details[:1], ()),
            9: StudyCheck(9, "CT_HEAD", True, (("zero", 1.0, 0.0, "u"),), ()),
            10: StudyCheck(10, "CT_HEAD", False, (("dlp", 50.0, 100.0, "mGy.cm"),), ()),
            11: StudyCheck(11, None, None, (), (), "study description not mapped"),
        },
    )
    got = alerts._above_nrd(cast(Session, None), [11, 10, 9, 8, 7])
    assert set(got) == {7, 8}
    ratio, text = got[7]
    assert ratio == pytest.approx(1.8, rel=1e-12)
    assert text == (
        "DX_THORAX_F: kap 350 mGy.cm2 > NRD 200 mGy.cm2; agd 0.9 mGy > NRD 0.5 mGy"
        " [obsolete: 2011, local]"
    )
    assert got[8] == (1.75, "DX_THORAX_F: kap 350 mGy.cm2 > NRD 200 mGy.cm2")


@pytest.fixture
def carol(ingestor: Ingestor) -> Iterator[Session]:
    for name, data in sorted(scenario.carol_files().items()):
        ingestor.ingest_bytes(data, SourceInfo(name))
    with session_factory(ingestor.engine)() as session:
        yield session


def test_reconcile_reads_the_organ_its_rules_name_and_keys_by_pseudonym(carol: Session) -> None:
    person = carol.scalars(select(Person)).one()
    rules = parse_rules(HEADER + f"lung,1,cumulative_organ,100,mGy,,*,physicist,{LUNG},src\n")
    (row,) = alerts.reconcile(carol, person.id, rules)
    ct2 = carol.scalars(select(Study).where(Study.study_instance_uid == scenario.uid("ct2"))).one()
    assert (row.alert_key, row.rule_id, row.study_id) == (
        f"lung|{person.pseudonym}",
        "lung",
        ct2.id,
    )
    lung = scenario.LUNG_PER_DLP * (2500.0 + 2501.0)  # 85 + 85.034 mGy
    assert row.value == pytest.approx(lung, rel=1e-9)
    assert row.message == "cumulative 170 mGy over lifetime >= 100 mGy (reached at this exam)"
    assert carol.scalars(select(AlertRow.alert_key)).all() == [f"lung|{person.pseudonym}"]


def test_reconcile_locks_the_person_row_on_postgresql(ingestor: Ingestor, backend: str) -> None:
    _rf_study(ingestor, 6.0)
    statements: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(ingestor.engine, "before_cursor_execute", seen)
    try:
        with session_factory(ingestor.engine)() as session:
            person_id = session.scalars(select(Person.id)).one()
            statements.clear()
            (row,) = alerts.reconcile(session, person_id, KA_R)
            assert row.alert_key == "srdl_ka_r|9.1"
    finally:
        event.remove(ingestor.engine, "before_cursor_execute", seen)
    person_reads = [s for s in statements if " FROM person WHERE person.id = " in s]
    (read,) = person_reads
    assert read.endswith(" FOR UPDATE") == (backend == "postgresql"), read
