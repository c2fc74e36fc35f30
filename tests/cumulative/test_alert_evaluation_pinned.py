""":func:`alerts.evaluate` on hand-made exam facts: each rule kind, both sides of every
threshold and window, the exact key, value and message of each condition.

Thresholds are those of ``data/alert_rules.csv`` (NCRP Report No. 168 (2010) substantial
radiation dose levels Ka,r 5 Gy, KAP 500 Gy.cm2, PSD 3 Gy, fluoroscopy 60 min, repeat within
60 days; Rehani 2020 100 mSv in 5 years; ICRP 118 lens 0.5 Gy; ASN 2019-DC-0667 NRD).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from dosewatch.cumulative import alerts
from dosewatch.cumulative.alert_rules import SRDL_KINDS, AlertRule, default_rules, parse_rules
from dosewatch.cumulative.alerts import Condition, ExamFacts, evaluate
from dosewatch.domain.regions import BodyRegion

D0 = date(2025, 1, 10)
HEADER = "rule_id,version,kind,threshold,unit,window_days,establishment,role,organ,source\n"
RULES = default_rules()
BY_ID = {r.rule_id: r for r in RULES}


def exam(uid: str, day: date | None = D0, **set_: Any) -> ExamFacts:
    base: dict[str, Any] = {
        "study_instance_uid": uid,
        "study_date": day,
        "establishment": "EST",
        "study_id": 1,
        "establishment_id": 1,
        "effective_msv": 0.0,
        "ka_r_gy": 0.0,
        "kap_gy_cm2": 0.0,
        "psd_mgy": 0.0,
        "fluoro_time_s": 0.0,
        "interventional": False,
        "ct_regions": frozenset(),
    }
    base.update(set_)
    return ExamFacts(**base)


def only(rule_id: str, rules: tuple[AlertRule, ...] = RULES) -> tuple[AlertRule, ...]:
    return tuple(r for r in rules if r.rule_id == rule_id)


def run(rule_id: str, *facts: ExamFacts) -> list[tuple[str, str, float, str]]:
    out = evaluate("PSEUDO", facts, only(rule_id))
    for c in out:
        assert c.rule.rule_id == rule_id
    return [(c.key, c.facts.study_instance_uid, c.value, c.message) for c in out]


#: the repeat rule needs the levels it repeats
REPEAT_RULES = only("repeat_procedure") + tuple(r for r in RULES if r.kind in SRDL_KINDS)


def run_repeat(*facts: ExamFacts) -> list[tuple[str, str, float, str]]:
    out = evaluate("PSEUDO", facts, REPEAT_RULES)
    return [
        (c.key, c.facts.study_instance_uid, c.value, c.message)
        for c in out
        if c.rule.rule_id == "repeat_procedure"
    ]


def days(n: int) -> date:
    return D0 + timedelta(days=n)


# --------------------------------------------------------------------------- SRDL


SRDL = "(substantial radiation dose level): skin follow-up"


@pytest.mark.parametrize(
    ("rule_id", "field", "level", "below", "text"),
    [
        ("srdl_ka_r", "ka_r_gy", 5.0, 4.999, f"5 Gy >= 5 Gy {SRDL}"),
        ("srdl_kap", "kap_gy_cm2", 500.0, 499.9, f"500 Gy.cm2 >= 500 Gy.cm2 {SRDL}"),
        ("srdl_psd", "psd_mgy", 3000.0, 2999.0, f"3000 mGy >= 3000 mGy {SRDL}"),
        ("srdl_fluoro_time", "fluoro_time_s", 3600.0, 3599.0, f"3600 s >= 3600 s {SRDL}"),
    ],
)
def test_srdl_at_the_level_and_not_below_nor_outside_interventional(
    rule_id: str, field: str, level: float, below: float, text: str
) -> None:
    at = exam("A", days(1), interventional=True, **{field: level})
    under = exam("B", days(2), interventional=True, **{field: below})
    diagnostic = exam("C", days(3), interventional=False, **{field: level * 2})
    undated = exam("D", None, interventional=True, **{field: level * 2})
    assert run(rule_id, undated, diagnostic, under, at) == [(f"{rule_id}|A", "A", level, text)]
    # the other three indicators do not trigger this rule
    others = {"ka_r_gy", "kap_gy_cm2", "psd_mgy", "fluoro_time_s"} - {field}
    big = exam("E", days(4), interventional=True, **dict.fromkeys(others, 1e9))
    assert run(rule_id, big) == []


def test_srdl_value_keeps_four_digits_and_the_override_of_the_establishment() -> None:
    text = HEADER + "srdl_ka_r,2,procedure_ka_r,3,Gy,,LOCAL,physicist,,local review\n"
    rules = only("srdl_ka_r") + parse_rules(text)
    local = exam("A", days(1), establishment="LOCAL", interventional=True, ka_r_gy=3.14159)
    other = exam("B", days(2), establishment="OTHER", interventional=True, ka_r_gy=3.14159)
    (c,) = evaluate("P", [local, other], rules)
    assert (c.key, c.value, c.rule.version, c.facts is local) == ("srdl_ka_r|A", 3.14159, "2", True)
    assert c.message == f"3.142 Gy >= 3 Gy {SRDL}"


# --------------------------------------------------------------------------- cumulative


def test_cumulative_effective_fires_once_at_the_crossing_exam() -> None:
    facts = [
        exam("A", days(0), effective_msv=40.0),
        exam("B", days(10), effective_msv=59.99),
        exam("C", days(20), effective_msv=0.01),  # 100.0: reached here
        exam("D", days(30), effective_msv=50.0),
        exam("U", None, effective_msv=500.0),  # undated: never placed in a window
    ]
    ((key, uid, value, message),) = run("cumulative_effective_dose", *facts)
    assert (key, uid) == ("cumulative_effective_dose|PSEUDO", "C")
    assert value == pytest.approx(100.0, rel=1e-12)
    assert message == ("cumulative 100 mSv over 1826 days >= 100 mSv (reached at this exam)")
    assert run("cumulative_effective_dose", *facts[:2], facts[4]) == []


def test_cumulative_window_excludes_the_exam_exactly_window_days_before() -> None:
    window = BY_ID["cumulative_effective_dose"].window_days
    assert window == 1826
    edge = [exam("A", days(0), effective_msv=60.0), exam("B", days(1826), effective_msv=40.0)]
    assert run("cumulative_effective_dose", *edge) == []  # A is on the start day: out
    inside = [exam("A", days(1), effective_msv=60.0), exam("B", days(1826), effective_msv=40.0)]
    assert [uid for _, uid, _, _ in run("cumulative_effective_dose", *inside)] == ["B"]


def test_cumulative_lifetime_and_dated_order() -> None:
    text = HEADER + "life,1,cumulative_effective,10,mSv,,*,physicist,,src\n"
    rules = parse_rules(text)
    # given out of order: evaluated in (date, UID) order
    facts = [
        exam("Z", days(5), effective_msv=6.0),
        exam("B", days(0), effective_msv=4.0),
        exam("A", days(5), effective_msv=0.5),
    ]
    (c,) = evaluate("P", facts, rules)
    assert (c.key, c.facts.study_instance_uid, c.value) == ("life|P", "Z", 10.5)
    assert c.message == "cumulative 10.5 mSv over lifetime >= 10 mSv (reached at this exam)"
    far = [exam("A", date(1990, 1, 1), effective_msv=9.0), exam("B", D0, effective_msv=1.0)]
    assert [x.facts.study_instance_uid for x in evaluate("P", far, rules)] == ["B"]


def test_cumulative_organ_reads_its_organ_only() -> None:
    lens = BY_ID["eye_lens_cumulative"]
    assert (lens.organ, lens.threshold, lens.window_days) == ("78076003", 500.0, None)
    facts = [
        exam("A", days(0), organ_mgy={"78076003": 250.0, "39607008": 9000.0}),
        exam("B", days(1), organ_mgy={"39607008": 9000.0}),
        exam("C", days(2), organ_mgy={"78076003": 250.0}),
    ]
    assert run("eye_lens_cumulative", *facts) == [
        (
            "eye_lens_cumulative|PSEUDO",
            "C",
            500.0,
            "cumulative 500 mGy over lifetime >= 500 mGy (reached at this exam)",
        )
    ]
    assert run("eye_lens_cumulative", *facts[:2]) == []


# --------------------------------------------------------------------------- repeats


def test_repeat_after_srdl_within_60_days_both_ends() -> None:
    hot = exam("H", days(0), interventional=True, kap_gy_cm2=600.0)
    same_day = exam("S", days(0), interventional=True)
    at_60 = exam("L", days(60), interventional=True)
    at_61 = exam("M", days(61), interventional=True)
    before = exam("B", days(-1), interventional=True)
    diagnostic = exam("D", days(5), interventional=False)
    assert run("repeat_procedure", hot, same_day, at_60) == []  # without the levels: none
    got = run_repeat(hot, same_day, at_60, at_61, before, diagnostic)
    after = "which exceeded a substantial radiation dose level"
    assert got == [
        ("repeat_procedure|S", "S", 0.0, f"procedure 0 days after H, {after}"),
        ("repeat_procedure|L", "L", 60.0, f"procedure 60 days after H, {after}"),
    ]


@pytest.mark.parametrize(
    "field",
    [("ka_r_gy", 5.0), ("kap_gy_cm2", 500.0), ("psd_mgy", 3000.0), ("fluoro_time_s", 3600.0)],
)
def test_repeat_after_any_level_but_not_below(field: tuple[str, float]) -> None:
    name, level = field
    rules = REPEAT_RULES
    hot = exam("H", days(0), interventional=True, **{name: level})
    later = exam("L", days(30), interventional=True)
    keys = [c.key for c in evaluate("P", [hot, later], rules)]
    assert "repeat_procedure|L" in keys
    cold = exam("H", days(0), interventional=True, **{name: level * 0.999})
    keys = [c.key for c in evaluate("P", [cold, later], rules)]
    assert "repeat_procedure|L" not in keys
    # a level reached outside interventional work starts no repeat window
    diagnostic = exam("H", days(0), interventional=False, **{name: level})
    assert [c.key for c in evaluate("P", [diagnostic, later], rules)] == []


def test_repeat_after_srdl_names_the_first_exam_above() -> None:
    a = exam("A", days(0), interventional=True, ka_r_gy=6.0)
    b = exam("B", days(10), interventional=True, ka_r_gy=7.0)
    c = exam("C", days(20), interventional=True)
    got = run_repeat(a, b, c)
    assert [(k, v, m.split(",")[0]) for k, _, v, m in got] == [
        ("repeat_procedure|B", 10.0, "procedure 10 days after A"),
        ("repeat_procedure|C", 20.0, "procedure 20 days after A"),
    ]


def test_repeat_ct_region_within_30_days_of_the_latest_shared_region() -> None:
    chest, head = BodyRegion.CHEST, BodyRegion.HEAD
    facts = [
        exam("A", days(0), ct_regions=frozenset({chest, head})),
        exam("B", days(10), ct_regions=frozenset({BodyRegion.PELVIS})),
        exam("C", days(25), ct_regions=frozenset({head, chest})),
        exam("D", days(55), ct_regions=frozenset({chest})),  # 30 days after C: a repeat
        exam("E", days(86), ct_regions=frozenset({chest})),  # 31 days after D: not
        exam("F", days(86), ct_regions=frozenset({BodyRegion.PELVIS})),  # 76 days after B
    ]
    assert run("repeat_ct_region", *facts) == [
        ("repeat_ct_region|C", "C", 25.0, "CT of chest, head 25 days after A"),
        ("repeat_ct_region|D", "D", 30.0, "CT of chest 30 days after C"),
    ]


def test_repeat_ct_region_stops_at_the_window_even_if_an_older_exam_shares() -> None:
    text = HEADER + "ct,1,repeat_ct_region,0,d,,*,radiologist,,src\n"  # no window: 0 days
    rules = parse_rules(text)
    same_day = [
        exam("A", days(0), ct_regions=frozenset({BodyRegion.CHEST})),
        exam("B", days(0), ct_regions=frozenset({BodyRegion.CHEST})),
        exam("C", days(1), ct_regions=frozenset({BodyRegion.CHEST})),
    ]
    got = [(c.key, c.value, c.message) for c in evaluate("P", same_day, rules)]
    assert got == [("ct|B", 0.0, "CT of chest 0 days after A")]


# --------------------------------------------------------------------------- NRD


def test_single_exam_above_its_nrd_strictly() -> None:
    above = exam("A", days(0), nrd_ratio=1.25, nrd_text="Thorax: DAP 0.125 Gy.cm2 > NRD 0.1")
    at = exam("B", days(1), nrd_ratio=1.0, nrd_text="at")
    none = exam("C", days(2))
    undated = exam("D", None, nrd_ratio=2.0, nrd_text="undated")
    assert run("single_exam_above_nrd", above, at, none, undated) == [
        (
            "single_exam_above_nrd|A",
            "A",
            1.25,
            "Thorax: DAP 0.125 Gy.cm2 > NRD 0.1: a single exam above its NRD (review, not a "
            "breach: the NRD applies to the median of a series)",
        ),
        (
            "single_exam_above_nrd|D",
            "D",
            2.0,
            "undated: a single exam above its NRD (review, not a breach: the NRD applies to "
            "the median of a series)",
        ),
    ]


# --------------------------------------------------------------------------- whole rule set


def test_the_rule_set_is_evaluated_rule_by_rule_in_id_order() -> None:
    hot = exam(
        "R1",
        days(0),
        interventional=True,
        ka_r_gy=6.0,
        psd_mgy=4000.0,
        effective_msv=60.0,
        ct_regions=frozenset({BodyRegion.CHEST}),
    )
    again = replace(hot, study_instance_uid="R2", study_date=days(20), study_id=2)
    keys = [c.key for c in evaluate("P", [again, hot], RULES)]
    assert keys == [
        "cumulative_effective_dose|P",
        "repeat_ct_region|R2",
        "repeat_procedure|R2",
        "srdl_ka_r|R1",
        "srdl_ka_r|R2",
        "srdl_psd|R1",
        "srdl_psd|R2",
    ]
    assert evaluate("P", [], RULES) == []


def test_a_rule_id_with_two_kinds_is_refused() -> None:
    text = (
        HEADER
        + "x,1,procedure_ka_r,5,Gy,,*,physicist,,src\n"
        + "x,2,procedure_kap,5,Gy.cm2,,EST,physicist,,src\n"
    )
    with pytest.raises(ValueError, match="too many values to unpack"):
        evaluate("P", [exam("A")], parse_rules(text))


def test_region_of_an_estimate_input_text() -> None:
    assert alerts._region("chest 32 cm body phantom") is BodyRegion.CHEST
    assert alerts._region("abdomen_pelvis") is BodyRegion.ABDOMEN_PELVIS
    assert alerts._region("Chest") is None
    assert alerts._region(" chest") is None
    assert alerts._region("") is None
    assert alerts._region(None) is None


def test_procedure_value_maps_each_kind_to_its_indicator() -> None:
    f = exam("A", ka_r_gy=1.0, kap_gy_cm2=2.0, psd_mgy=3.0, fluoro_time_s=4.0)
    got = {k.value: alerts._procedure_value(k, f) for k in SRDL_KINDS}
    assert got == {
        "procedure_ka_r": 1.0,
        "procedure_kap": 2.0,
        "procedure_psd": 3.0,
        "procedure_fluoro_time": 4.0,
    }


def test_condition_fields() -> None:
    (c,) = evaluate("P", [exam("A", interventional=True, ka_r_gy=5.0)], only("srdl_ka_r"))
    assert c == Condition(
        "srdl_ka_r|A",
        BY_ID["srdl_ka_r"],
        exam("A", interventional=True, ka_r_gy=5.0),
        5.0,
        c.message,
    )
