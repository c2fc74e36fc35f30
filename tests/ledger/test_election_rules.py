"""The once-per-exposure election, rule by rule, on hand-built rows (``estimates.decide``).

Each test builds the few reports, events and estimate rows one rule needs and asserts the
whole decision — counted or not, the ``Selection`` and the reason in words — of every row,
so that a rule applied to the wrong rows, in the wrong order or with another reason fails.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from dosewatch.ledger import estimates as e
from dosewatch.ledger.estimates import Selection, _NewEstimate

E_SLOT = e.slot_key("uid-1", "effective_dose", None, "ICRP103")
STUDY_SLOT = e.slot_key(e.STUDY_TARGET, "peak_skin_dose", None, None)


def report(
    report_id: int,
    *,
    kind: str = "xray_rdsr",
    when: datetime = datetime(2025, 1, 1, 9),
    status: str = "current",
    superseded_by: int | None = None,
    keys: tuple[str, ...] = ("uid-1",),
) -> Any:
    return SimpleNamespace(
        id=report_id,
        source_kind=kind,
        content_datetime=when,
        sop_instance_uid=f"1.2.{report_id}",
        status=status,
        superseded_by_id=superseded_by,
        event_keys=list(keys),
    )


def event(event_id: int, report_id: int, *, counted: bool = True, conflict: bool = False) -> Any:
    return SimpleNamespace(id=event_id, report_id=report_id, counted=counted, conflict=conflict)


def row(
    row_id: int,
    report_id: int,
    event_id: int | None = 10,
    slot: str = E_SLOT,
    *,
    origin: str = "model",
    model: str = "ct.effective.k_dlp",
    version: str = "1.0.0",
    value: float = 2.0,
) -> _NewEstimate:
    return _NewEstimate(row_id, report_id, event_id, slot, origin, model, version, value)


def decide(rows: list[_NewEstimate], reports: list[Any], events: list[Any]) -> dict[int, Any]:
    return e.decide(
        rows,
        cast(dict[int, Any], {r.id: r for r in reports}),
        cast(dict[int, Any], {v.id: v for v in events}),
    )


def test_the_only_eligible_estimate_of_its_slot_counts() -> None:
    got = decide([row(1, 100)], [report(100)], [event(10, 100)])
    assert got == {1: (True, Selection.COUNTED, "the only eligible estimate of its slot")}


def test_rule_1_a_superseded_report_never_counts_and_names_its_successor() -> None:
    reports = [report(100, status="superseded", superseded_by=101), report(101)]
    got = decide([row(1, 100), row(2, 101)], reports, [event(10, 101)])
    assert got[1] == (False, Selection.REPORT_SUPERSEDED, "report superseded by 1.2.101")
    assert got[2] == (True, Selection.COUNTED, "the only eligible estimate of its slot")
    # superseded by a report that is not in the study
    lone = decide([row(1, 100)], [report(100, status="superseded", superseded_by=7)], [])
    assert lone[1] == (False, Selection.REPORT_SUPERSEDED, "report superseded by another report")


def test_rule_2_an_estimate_of_an_uncounted_or_missing_event_does_not_count() -> None:
    got = decide(
        [row(1, 100, event_id=10), row(2, 100, event_id=None, slot=E_SLOT)],
        [report(100)],
        [event(10, 100, counted=False)],
    )
    assert got[1] == (
        False,
        Selection.EVENT_NOT_COUNTED,
        "the event is not counted (an RDSR of the study accounts for this exposure)",
    )
    assert got[2] == (
        False,
        Selection.NO_EVENT,
        "no stored event uid-1 (an event repeated inside the object)",
    )


def test_rule_3_only_the_providing_report_of_a_conflicting_event_counts() -> None:
    reports = [report(100), report(101, when=datetime(2025, 1, 1, 10))]
    events = [event(10, 101, conflict=True)]
    got = decide([row(1, 100), row(2, 101)], reports, events)
    assert got[1] == (
        False,
        Selection.ALTERNATIVE,
        "this object sent other values for the event; 1.2.101 provides them",
    )
    assert got[2] == (True, Selection.COUNTED, "the only eligible estimate of its slot")
    # without a conflict both are eligible, and the providing report's estimate is preferred
    calm = decide([row(1, 100), row(2, 101)], reports, [event(10, 101)])
    assert calm[2] == (
        True,
        Selection.COUNTED,
        "preferred over 1 other estimate(s): the estimate of the report that provides the "
        "event's values",
    )
    assert calm[1] == (
        False,
        Selection.ALTERNATIVE,
        "ct.effective.k_dlp 1.0.0 from 1.2.101 is counted: the estimate of the report that "
        "provides the event's values",
    )


def test_rule_4_a_study_level_estimate_needs_a_counted_event_of_its_report() -> None:
    reports = [report(100), report(101, keys=("uid-2",))]
    events = [event(10, 100), event(11, 101, counted=False)]
    got = decide([row(1, 100, None, STUDY_SLOT), row(2, 101, None, STUDY_SLOT)], reports, events)
    assert got[2] == (
        False,
        Selection.REPORT_NOT_COUNTED,
        "none of the report's events is counted (another object of the study accounts for them)",
    )
    assert got[1] == (True, Selection.COUNTED, "the only eligible estimate of its slot")
    # a report that sent no events at all may still count its study-level estimate
    empty = decide([row(3, 102, None, STUDY_SLOT)], [report(102, keys=())], [])
    assert empty[3] == (True, Selection.COUNTED, "the only eligible estimate of its slot")


def test_rule_5_a_reported_value_before_a_model_value() -> None:
    got = decide(
        [row(1, 100, model="ct.effective.k_dlp"), row(2, 100, origin="reported", model="site")],
        [report(100)],
        [event(10, 100)],
    )
    assert got[2] == (
        True,
        Selection.COUNTED,
        "preferred over 1 other estimate(s): a device- or site-reported value before a model value",
    )
    assert got[1] == (
        False,
        Selection.ALTERNATIVE,
        "site 1.0.0 from 1.2.100 is counted: a device- or site-reported value before a model value",
    )


def test_rule_5_model_preference_order() -> None:
    first, second = e.MODEL_PREFERENCE
    rows = [row(1, 100, model=second), row(2, 100, model="other"), row(3, 100, model=first)]
    got = decide(rows, [report(100)], [event(10, 100)])
    criterion = "model preference order (dosewatch.ledger.estimates.MODEL_PREFERENCE)"
    assert got[3] == (True, Selection.COUNTED, f"preferred over 2 other estimate(s): {criterion}")
    assert got[1] == (
        False,
        Selection.ALTERNATIVE,
        f"{first} 1.0.0 from 1.2.100 is counted: {criterion}",
    )
    assert got[2] == (
        False,
        Selection.ALTERNATIVE,
        f"{first} 1.0.0 from 1.2.100 is counted: {criterion}",
    )


def test_rule_5_the_higher_ranked_report_then_model_version_then_value() -> None:
    # the event's values come from report 103, which has no estimate in this slot; of the
    # others an RDSR beats an image header, then the later content wins
    reports = [
        report(100, kind="image_header", when=datetime(2025, 1, 1, 12)),
        report(101, when=datetime(2025, 1, 1, 9)),
        report(102, when=datetime(2025, 1, 1, 10)),
        report(103, when=datetime(2025, 1, 1, 8)),
    ]
    got = decide([row(1, 100), row(2, 101), row(3, 102)], reports, [event(10, 103)])
    criterion = "the higher-ranked report (RDSR > image header, then later, then larger UID)"
    assert got == {
        3: (True, Selection.COUNTED, f"preferred over 2 other estimate(s): {criterion}"),
        2: (
            False,
            Selection.ALTERNATIVE,
            f"ct.effective.k_dlp 1.0.0 from 1.2.102 is counted: {criterion}",
        ),
        1: (
            False,
            Selection.ALTERNATIVE,
            f"ct.effective.k_dlp 1.0.0 from 1.2.102 is counted: {criterion}",
        ),
    }
    # the same report: model version order, then the smaller value
    same = decide(
        [
            row(1, 100, version="2.0.0"),
            row(2, 100, version="1.0.0"),
            row(3, 100, version="1.0.0", value=1.0),
        ],
        [report(100)],
        [event(10, 100)],
    )
    assert {k: v[0] for k, v in same.items()} == {1: False, 2: False, 3: True}
    assert same[3][2] == "preferred over 2 other estimate(s): smaller value (identical sources)"
    assert (
        same[1][2] == "ct.effective.k_dlp 1.0.0 from 1.2.100 is counted: model id and version order"
    )
    assert (
        same[2][2]
        == "ct.effective.k_dlp 1.0.0 from 1.2.100 is counted: smaller value (identical sources)"
    )


def test_a_study_level_slot_prefers_the_top_current_report() -> None:
    """Study-level estimates have no event: the highest-ranked current report stands in for
    the providing one (its reason says so in rule 5's first words)."""
    reports = [
        report(100, kind="image_header", when=datetime(2025, 1, 1, 12)),
        report(101, when=datetime(2025, 1, 1, 10)),
        report(102, when=datetime(2025, 1, 1, 9)),
    ]
    events = [event(10, 100), event(11, 101), event(12, 102)]
    rows = [row(i, r, None, STUDY_SLOT) for i, r in ((1, 100), (2, 101), (3, 102))]
    got = decide(rows, reports, events)
    assert {k: v[0] for k, v in got.items()} == {1: False, 2: True, 3: False}
    assert got[2][2] == (
        "preferred over 2 other estimate(s): the estimate of the report that provides the "
        "event's values"
    )


def test_a_superseded_report_without_a_recorded_successor_names_none() -> None:
    """``superseded_by_id`` NULL: the reason must not name some other report of the study
    (report ids start at 1)."""
    reports = [report(1), report(2, status="superseded")]
    got = decide([row(1, 2)], reports, [event(10, 1)])
    assert got[1] == (False, Selection.REPORT_SUPERSEDED, "report superseded by another report")


def test_study_level_slots_are_elected_each_on_its_own() -> None:
    other = e.slot_key(e.STUDY_TARGET, "effective_dose", None, "ICRP103")
    got = decide(
        [row(1, 100, None, STUDY_SLOT), row(2, 100, None, other)], [report(100)], [event(10, 100)]
    )
    assert got == {
        1: (True, Selection.COUNTED, "the only eligible estimate of its slot"),
        2: (True, Selection.COUNTED, "the only eligible estimate of its slot"),
    }
