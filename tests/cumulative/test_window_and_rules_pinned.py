"""Time windows and alert-rule rows pinned by value, both sides of every boundary.

Windows: ``12m`` / ``5y`` rolling (start day included, the same day of the month clipped to
the month's last day), ``all``, ``FROM:TO``. Rules: ``data/alert_rules.csv`` row by row
against the literature each row cites (NCRP Report No. 168 (2010) substantial radiation
dose levels; Rehani 2020; ICRP Publication 118; ASN 2019-DC-0667).
"""

from __future__ import annotations

from datetime import date

import pytest

from dosewatch.cumulative import alert_rules
from dosewatch.cumulative.alert_rules import AlertRule, RuleKind, parse_rules, rule_for
from dosewatch.cumulative.window import Window, _months_back, parse_window
from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.auth_models import Role

TODAY = date(2026, 3, 31)

# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize("text", ["all", " ALL ", "lifetime", "Lifetime"])
def test_all_is_unbounded(text: str) -> None:
    window = parse_window(text, TODAY)
    assert window == Window("all", None, None)
    assert not window.bounded
    assert window.contains(None)
    assert window.contains(date(1900, 1, 1)) and window.contains(date(2100, 1, 1))


@pytest.mark.parametrize(
    ("text", "today", "start"),
    [
        ("12m", TODAY, date(2025, 3, 31)),
        (" 12M ", TODAY, date(2025, 3, 31)),
        ("1m", TODAY, date(2026, 2, 28)),  # 31 March - 1 month: clipped to 28 February
        ("1m", date(2024, 3, 31), date(2024, 2, 29)),  # leap year
        ("1m", date(2026, 5, 31), date(2026, 4, 30)),
        ("1m", date(2026, 3, 30), date(2026, 2, 28)),
        ("1m", date(2026, 3, 29), date(2026, 2, 28)),
        ("1m", date(2026, 3, 28), date(2026, 2, 28)),
        ("1m", date(2026, 3, 27), date(2026, 2, 27)),
        ("1m", date(2026, 1, 15), date(2025, 12, 15)),  # across the year
        ("3m", date(2026, 1, 1), date(2025, 10, 1)),
        ("11m", date(2026, 12, 5), date(2026, 1, 5)),
        ("1y", date(2024, 2, 29), date(2023, 2, 28)),
        ("5y", TODAY, date(2021, 3, 31)),
        ("999m", TODAY, date(1942, 12, 31)),  # 83 years 3 months
        ("100y", TODAY, date(1926, 3, 31)),
    ],
)
def test_rolling_windows(text: str, today: date, start: date) -> None:
    window = parse_window(text, today)
    assert window == Window(text.strip().lower(), start, today)
    assert window.bounded
    assert window.contains(start) and window.contains(today)  # both ends included
    assert not window.contains(date.fromordinal(start.toordinal() - 1))
    assert not window.contains(date.fromordinal(today.toordinal() + 1))
    assert not window.contains(None)  # a bounded window cannot place an undated study


def test_months_back_keeps_the_day() -> None:
    for day in range(1, 29):
        assert _months_back(date(2026, 3, day), 1) == date(2026, 2, day)
        assert _months_back(date(2026, 3, day), 0) == date(2026, 3, day)
    assert _months_back(date(2026, 1, 31), 0) == date(2026, 1, 31)
    assert _months_back(date(2026, 12, 31), 12) == date(2025, 12, 31)
    assert _months_back(date(2026, 12, 31), 13) == date(2025, 11, 30)
    assert _months_back(date(2026, 7, 31), 24) == date(2024, 7, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0m", "window '0m': the length must be positive"),
        ("000y", "window '000y': the length must be positive"),
        ("1000m", "window '1000m': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("12d", "window '12d': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("m", "window 'm': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("x12m", "window 'x12m': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("12m5", "window '12m5': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("", "window '': expected 12m, 5y, all or FROM:TO (ISO dates)"),
        ("2026-02-01:2026-01-31", "window '2026-02-01:2026-01-31': FROM is after TO"),
    ],
)
def test_bad_windows_are_refused_with_their_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        parse_window(text, TODAY)
    assert str(refused.value) == message


def test_bad_dates_name_the_window_and_the_date_error() -> None:
    with pytest.raises(InvalidValueError) as refused:
        parse_window("2026-02-30:2026-03-01", TODAY)
    message = str(refused.value)
    assert message.startswith("window '2026-02-30:2026-03-01': dates must be YYYY-MM-DD (")
    assert "day is out of range" in message and message.endswith(")")
    with pytest.raises(InvalidValueError, match=r"^window '2026-01-01:x': dates must be"):
        parse_window("2026-01-01:x", TODAY)


def test_from_to_windows() -> None:
    jan, dec = date(2025, 1, 1), date(2025, 12, 31)
    both = parse_window(" 2025-01-01:2025-12-31 ", TODAY)
    assert both == Window("2025-01-01:2025-12-31", jan, dec)
    assert both.contains(jan) and both.contains(dec)
    assert not both.contains(date(2024, 12, 31)) and not both.contains(date(2026, 1, 1))
    assert not both.contains(None)
    one_day = parse_window("2025-06-01:2025-06-01", TODAY)
    assert one_day == Window("2025-06-01:2025-06-01", date(2025, 6, 1), date(2025, 6, 1))
    assert one_day.contains(date(2025, 6, 1))
    until = parse_window(":2025-12-31", TODAY)
    assert until == Window(":2025-12-31", None, dec)
    assert until.bounded and until.contains(date(1900, 1, 1)) and not until.contains(None)
    assert not until.contains(date(2026, 1, 1))
    since = parse_window("2025-01-01:", TODAY)
    assert since == Window("2025-01-01:", jan, None)
    assert since.bounded and since.contains(date(2100, 1, 1)) and not since.contains(None)
    assert not since.contains(date(2024, 12, 31))
    assert parse_window(":", TODAY) == Window(":", None, None)


# --------------------------------------------------------------------------- rule rows

HEADER = "rule_id,version,kind,threshold,unit,window_days,establishment,role,organ,source\n"


def _rule(**set_: object) -> AlertRule:
    base: dict[str, object] = {
        "rule_id": "r",
        "version": "1",
        "kind": RuleKind.PROCEDURE_KA_R,
        "threshold": 5.0,
        "unit": "Gy",
        "window_days": None,
        "establishment": "*",
        "role": Role.PHYSICIST,
        "organ": None,
        "source": "s",
    }
    base.update(set_)
    return AlertRule(**base)  # type: ignore[arg-type]


def test_the_bundled_rules_row_by_row() -> None:
    by_id = {r.rule_id: r for r in alert_rules.default_rules()}
    got = {
        rid: (r.version, r.kind, r.threshold, r.unit, r.window_days, r.establishment, r.role)
        for rid, r in by_id.items()
    }
    physicist, radiologist = Role.PHYSICIST, Role.RADIOLOGIST
    assert got == {
        # Rehani 2020: cumulative E >= 100 mSv within 1-5 years (5 y = 1826 days)
        "cumulative_effective_dose": (
            "1",
            RuleKind.CUMULATIVE_EFFECTIVE,
            100.0,
            "mSv",
            1826,
            "*",
            physicist,
        ),
        # NCRP 168 substantial radiation dose levels
        "srdl_ka_r": ("1", RuleKind.PROCEDURE_KA_R, 5.0, "Gy", None, "*", physicist),
        "srdl_kap": ("1", RuleKind.PROCEDURE_KAP, 500.0, "Gy.cm2", None, "*", physicist),
        "srdl_psd": ("1", RuleKind.PROCEDURE_PSD, 3000.0, "mGy", None, "*", physicist),
        "srdl_fluoro_time": (
            "1",
            RuleKind.PROCEDURE_FLUORO_TIME,
            3600.0,
            "s",
            None,
            "*",
            physicist,
        ),
        "repeat_procedure": ("1", RuleKind.REPEAT_AFTER_SRDL, 0.0, "d", 60, "*", physicist),
        "repeat_ct_region": ("1", RuleKind.REPEAT_CT_REGION, 0.0, "d", 30, "*", radiologist),
        # ICRP 118: lens opacities at 0.5 Gy
        "eye_lens_cumulative": ("1", RuleKind.CUMULATIVE_ORGAN, 500.0, "mGy", None, "*", physicist),
        "single_exam_above_nrd": (
            "1",
            RuleKind.STUDY_ABOVE_NRD,
            1.0,
            "x NRD",
            None,
            "*",
            Role.QUALITY_MANAGER,
        ),
    }
    assert by_id["eye_lens_cumulative"].organ == "78076003"  # SNOMED CT: lens of the eye
    assert {r.organ for r in by_id.values() if r.rule_id != "eye_lens_cumulative"} == {None}
    assert "NCRP Report No. 168" in by_id["srdl_kap"].source
    assert "ICRP Publication 118" in by_id["eye_lens_cumulative"].source
    assert alert_rules.default_rules() is alert_rules.default_rules()  # read once


def test_srdl_kinds_are_the_four_procedure_levels() -> None:
    assert (
        frozenset(
            {
                RuleKind.PROCEDURE_KA_R,
                RuleKind.PROCEDURE_KAP,
                RuleKind.PROCEDURE_PSD,
                RuleKind.PROCEDURE_FLUORO_TIME,
            }
        )
        == alert_rules.SRDL_KINDS
    )
    assert alert_rules.DEFAULT_ESTABLISHMENT == "*"


def test_parse_rules_reads_every_field() -> None:
    text = (
        HEADER
        + "a,3,cumulative_organ,0.5,Gy,365,EST_A,radiologist,78076003,ICRP 118\n"
        + "b,1,procedure_kap,250,Gy.cm2,,,physicist,,NCRP 168\n"
    )
    assert parse_rules(text) == (
        _rule(
            rule_id="a",
            version="3",
            kind=RuleKind.CUMULATIVE_ORGAN,
            threshold=0.5,
            unit="Gy",
            window_days=365,
            establishment="EST_A",
            role=Role.RADIOLOGIST,
            organ="78076003",
            source="ICRP 118",
        ),
        _rule(
            rule_id="b",
            kind=RuleKind.PROCEDURE_KAP,
            threshold=250.0,
            unit="Gy.cm2",
            source="NCRP 168",
        ),
    )
    assert parse_rules(HEADER) == ()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "a,1,procedure_ka_r,5,Gy,,*,physicist,,s\nb,1,procedure_ka_r,x,Gy,,*,physicist,,s\n",
            "alert rules row 3: could not convert string to float: 'x'",
        ),
        (
            "a,1,procedure_ka_r,5,Gy,7.5,*,physicist,,s\n",
            "alert rules row 2: invalid literal for int() with base 10: '7.5'",
        ),
        (
            "a,1,no_kind,5,Gy,,*,physicist,,s\n",
            "alert rules row 2: 'no_kind' is not a valid RuleKind",
        ),
        (
            "a,1,procedure_ka_r,5,Gy,,*,physicist,,  \n",
            "alert rules row 2: a rule needs its source",
        ),
    ],
)
def test_a_bad_row_is_named(rows: str, message: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        parse_rules(HEADER + rows)
    assert str(refused.value) == message


def test_a_missing_column_is_named() -> None:
    text = "rule_id,version,kind,threshold,unit,window_days,establishment,role,source\n"
    with pytest.raises(InvalidValueError) as refused:
        parse_rules(text + "a,1,procedure_ka_r,5,Gy,,*,physicist,s\n")
    assert str(refused.value) == "alert rules row 2: 'organ'"


def test_rule_for_takes_the_override_else_the_default() -> None:
    default = _rule(threshold=5.0)
    local = _rule(threshold=3.0, establishment="EST_A")
    other = _rule(rule_id="z", threshold=1.0, establishment="EST_B")
    for rules in ((default, local, other), (local, other, default), (other, local, default)):
        assert rule_for(rules, "r", "EST_A") is local
        assert rule_for(rules, "r", "EST_B") is default
        assert rule_for(rules, "r", "*") is default
    with pytest.raises(InvalidValueError) as refused:
        rule_for((local, other), "r", "EST_C")
    assert str(refused.value) == "alert rule r has no default row"
    with pytest.raises(InvalidValueError, match=r"^alert rule z has no default row$"):
        rule_for((default, local, other), "z", "EST_A")
    assert rule_for((local, default), "r", "EST_A") is local


def test_the_first_colon_splits_from_and_to() -> None:
    with pytest.raises(InvalidValueError) as refused:
        parse_window("2026-01-01:x:2026-01-02", TODAY)
    assert "'x:2026-01-02'" in str(refused.value)
