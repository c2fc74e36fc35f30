"""Windows, uncertainty propagation, completeness and skin flags on hand-made records."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import pytest

from dosewatch.cumulative import skin
from dosewatch.cumulative.records import (
    COVERAGE_QUANTITIES,
    EstimateRecord,
    EventRecord,
    ExamRecord,
)
from dosewatch.cumulative.summary import _nuclide, as_json, propagate, summarise
from dosewatch.cumulative.window import parse_window
from dosewatch.domain.errors import InvalidValueError
from dosewatch.domain.estimate import WeightBasis

Keyed = tuple[str | None, EstimateRecord]


def est(value: float, pct: float, model: str = "m", key: str | None = "e1", **kw: object) -> Keyed:
    """An estimate of event ``key`` (None: of the study), as the ledger would count it."""
    fields: dict[str, object] = {
        "study_level": key is None,
        "modality": "CT",
        "quantity": "effective_dose",
        "organ": None,
        "organ_meaning": None,
        "basis": "ICRP103",
        "value": value,
        "unit": "mSv",
        "uncertainty_pct": pct,
        "model_id": model,
        "model_version": "1",
        "table_version": "t",
        "origin": "model",
        "indicative": False,
        "upper_bound": False,
    }
    fields.update(kw)
    return key, EstimateRecord(**fields)  # type: ignore[arg-type]


def event(key: str, modality: str = "CT", region: str | None = None) -> tuple[str, EventRecord]:
    # Ka,r 1 Gy, KAP 2 Gy.cm2, DLP 100 mGy.cm, exposure time 3 s
    return key, EventRecord(modality, "ct", region, None, 1, 1.0, 2.0, 100.0, 3.0, None)


def exam(
    uid: str,
    day: date | None,
    events: tuple[tuple[str, EventRecord], ...],
    estimates: tuple[Keyed, ...],
    refused: tuple[tuple[str | None, str, str], ...] = (),
) -> ExamRecord:
    """An exam record with its completeness computed from the event keys (as the SQL does)."""
    keys = [k for k, _ in events]
    uncovered: dict[tuple[str, str], tuple[str, ...]] = {}
    for quantity in COVERAGE_QUANTITIES:
        mine = [(k, x) for k, x in estimates if k is not None and x.quantity == quantity]
        for basis in {x.basis or "" for _, x in mine}:
            have = {k for k, x in mine if (x.basis or "") == basis}
            if left := tuple(k for k in keys if k not in have):
                uncovered[(quantity, basis)] = left
    return ExamRecord(
        uid,
        day,
        "SITE",
        None,
        tuple(e for _, e in events),
        tuple(x for _, x in estimates),
        refused,
        uncovered,
    )


def test_windows() -> None:
    today = date(2025, 3, 31)
    assert parse_window("12m", today).start == date(2024, 3, 31)
    assert parse_window("1m", today).start == date(2025, 2, 28)  # clipped to the month
    assert parse_window("5y", today).start == date(2020, 3, 31)
    w = parse_window("2025-01-01:2025-02-01", today)
    assert w.contains(date(2025, 1, 1)) and w.contains(date(2025, 2, 1))
    assert not w.contains(date(2025, 2, 2)) and not w.contains(None)
    assert parse_window("all", today).contains(None)
    for bad in ("soon", "0m", "2025-02-01:2025-01-01", "2025-13-01:"):
        with pytest.raises(InvalidValueError):
            parse_window(bad, today)


def test_uncertainty_correlated_within_a_model_independent_across() -> None:
    # model a: 10 mSv +-20 % and 10 mSv +-20 %: 2 + 2 = 4 mSv (linear, correlated)
    # model b: 20 mSv +-15 %: 3 mSv; total sqrt(4^2 + 3^2) = 5 mSv of 40 mSv = 12.5 %
    total, pct = propagate([est(10, 20, "a")[1], est(10, 20, "a")[1], est(20, 15, "b")[1]])
    assert total == 40
    assert pct == pytest.approx(12.5)
    # treated as independent it would be sqrt(2^2+2^2+3^2)/40 = 10.3 %: the method matters
    assert pct is not None and pct > 100 * math.sqrt(4 + 4 + 9) / 40
    assert propagate([]) == (0.0, None)


def test_completeness_lists_missing_exams_with_reasons_and_never_adds_bases() -> None:
    exams = (
        exam("1", date(2025, 1, 1), (event("e1"),), (est(5, 30, key="e1"),)),
        exam(
            "2",
            date(2025, 2, 1),
            (event("e2"), event("e3")),
            (est(2, 30, key="e2"), est(7, 30, key="e3", basis="ICRP60")),
            (("e3", "effective_dose", "body region unknown"),),
        ),
        exam("3", None, (event("e4"),), (est(1, 30, key="e4"),)),
    )
    view = summarise(1, "p", exams, parse_window("12m", date(2025, 6, 1)))
    assert view.exams == 2 and view.undated_excluded == 1
    assert view.effective.value == 7  # 5 + 2; the ICRP 60 dose is never added
    assert view.effective.coverage == "covers 1 of 2 exams"
    (missing,) = view.effective.missing
    assert missing.study_instance_uid == "2"
    assert "body region unknown" in missing.reason and "ICRP60" in missing.reason
    assert [(o.basis, o.value_msv) for o in view.effective_other_bases] == [("ICRP60", 7)]
    assert [p.running_msv for p in view.timeline] == [5, 7]
    assert view.dlp.value == 300 and view.ka_r.value == 3.0  # indicators of counted events
    lifetime = summarise(1, "p", exams, parse_window("all", date(2025, 6, 1)))
    assert lifetime.exams == 3 and lifetime.effective.value == 8


def test_skin_doses_are_kept_per_procedure_and_close_ones_flagged() -> None:
    chest, head = "SCT:43799004", "SCT:69536005"

    def rf(uid: str, day: date, region: str | None, psd: float) -> ExamRecord:
        return exam(
            uid,
            day,
            (event("k" + uid, "RF", region),),
            (est(psd, 35, "rf.skin.psd", key=None, quantity="peak_skin_dose", unit="mGy"),),
        )

    summary = skin.summarise(
        [
            rf("a", date(2025, 1, 1), chest, 3500),
            rf("b", date(2025, 2, 15), chest, 2000),  # 45 days, same region: flagged
            rf("c", date(2025, 3, 1), head, 4000),  # other region: not with a or b
            rf("d", date(2025, 6, 1), chest, 100),  # more than 60 days after b
        ]
    )
    assert [p.peak_skin_dose_mgy for p in summary.procedures] == [3500, 2000, 4000, 100]
    assert [(f.first, f.second, f.days_apart) for f in summary.overlaps] == [("a", "b", 45)]
    unknown = skin.summarise(
        [rf("x", date(2025, 1, 1), None, 10), rf("y", date(2025, 3, 2), chest, 10)]
    )
    assert [f.reason.startswith("target region unknown") for f in unknown.overlaps] == [True]
    assert skin.OVERLAP_DAYS == 60  # NCRP Report No. 168 follow-up window


def _ev(modality: str, **values: float | str | None) -> EventRecord:
    """One counted event of ``modality``; indicators None unless given."""
    fields: dict[str, object] = {
        "modality": modality,
        "kind": modality.lower(),
        "target_region": None,
        "radionuclide": None,
        "n_events": 1,
        "ka_r_gy": None,
        "kap_gy_cm2": None,
        "dlp_mgy_cm": None,
        "exposure_time_s": None,
        "activity_mbq": None,
    }
    fields.update(values)
    return EventRecord(**fields)  # type: ignore[arg-type]


def test_device_indicators_add_only_where_they_mean_something() -> None:
    """DLP is a CT indicator and fluoroscopy time an RF one: a DX exam's DLP or a CT's
    exposure time is not added; Ka,r and KAP add across modalities; each sum says how many
    exams contributed, and a sum nothing reported is None (not 0)."""
    exams = (
        ExamRecord(
            "ct",
            date(2025, 1, 1),
            "A",
            None,
            (
                _ev("CT", dlp_mgy_cm=400.0, exposure_time_s=12.0),
                _ev("CT", dlp_mgy_cm=100.0),
            ),
            (),
            (),
        ),
        ExamRecord(
            "rf",
            date(2025, 2, 1),
            "B",
            None,
            (_ev("RF", ka_r_gy=1.5, kap_gy_cm2=80.0, exposure_time_s=600.0, dlp_mgy_cm=7.0),),
            (),
            (),
        ),
        ExamRecord(
            "dx",
            date(2025, 3, 1),
            "B",
            None,
            (_ev("DX", ka_r_gy=0.25, kap_gy_cm2=0.5, dlp_mgy_cm=9.0),),
            (),
            (),
        ),
        ExamRecord(
            "nm",
            date(2025, 4, 1),
            "A",
            None,
            (
                _ev("NM", activity_mbq=250.0, radionuclide="SCT:35321007"),
                _ev("NM", activity_mbq=50.0, radionuclide="99X:Tc99m"),
            ),
            (),
            (),
        ),
    )
    view = summarise(1, "p", exams, parse_window("all", date(2025, 6, 1)))
    assert (view.dlp.name, view.dlp.unit, view.dlp.value, view.dlp.exams) == (
        "DLP",
        "mGy.cm",
        500.0,
        1,
    )
    assert (view.fluoro_time.name, view.fluoro_time.unit) == ("fluoroscopy time", "s")
    assert (view.fluoro_time.value, view.fluoro_time.exams) == (600.0, 1)
    assert (view.ka_r.name, view.ka_r.unit, view.ka_r.value, view.ka_r.exams) == (
        "Ka,r",
        "Gy",
        1.75,
        2,
    )
    assert (view.kap.name, view.kap.unit, view.kap.value, view.kap.exams) == (
        "KAP",
        "Gy.cm2",
        80.5,
        2,
    )
    # SNOMED radionuclides by code value, other schemes kept qualified
    assert [(a.name, a.value, a.unit, a.exams) for a in view.activity] == [
        ("35321007", 250.0, "MBq", 1),
        ("99X:Tc99m", 50.0, "MBq", 1),
    ]
    nothing = summarise(1, "p", exams[2:3], parse_window("all", date(2025, 6, 1)))
    assert nothing.dlp.value is None and nothing.dlp.exams == 0
    assert nothing.fluoro_time.value is None and nothing.activity == ()
    assert nothing.effective.value is None and nothing.effective.uncertainty_pct is None


def test_effective_dose_splits_and_organ_completeness() -> None:
    """E split by modality (of the estimate) and by establishment, with exam counts; the
    timeline carries each exam's increment; organ sums share one completeness: an exam
    with an event lacking organ doses is listed under every organ, with its reason."""

    def organ_dose(value: float, key: str, code: str, meaning: str) -> Keyed:
        return est(
            value,
            30,
            key=key,
            quantity="organ_dose",
            organ=code,
            organ_meaning=meaning,
            basis=None,
            unit="mGy",
        )

    exams = (
        exam(
            "1",
            date(2025, 1, 1),
            (event("a"),),
            (
                est(4.0, 20, key="a"),
                organ_dose(10.0, "a", "39607008", "Lung"),
                organ_dose(6.0, "a", "80891009", "Heart"),
            ),
        ),
        exam(
            "2",
            date(2025, 2, 1),
            (event("b"), event("c")),
            (
                est(2.0, 20, key="b"),
                est(3.0, 20, key="c", modality="NM"),
                organ_dose(5.0, "b", "39607008", "Lung"),
            ),
            (("c", "organ_dose", "no organ coefficient"),),
        ),
    )
    # exam 2 at another establishment
    exams = (exams[0], dataclasses.replace(exams[1], establishment="OTHER"))
    view = summarise(1, "p", exams, parse_window("all", date(2025, 6, 1)))
    assert view.effective.value == 9.0 and view.effective.coverage == "covers 2 of 2 exams"
    assert [(s.key, s.value_msv, s.exams) for s in view.effective_by_modality] == [
        ("CT", 6.0, 2),
        ("NM", 3.0, 1),
    ]
    assert [(s.key, s.value_msv, s.exams) for s in view.effective_by_establishment] == [
        ("OTHER", 5.0, 1),
        ("SITE", 4.0, 1),
    ]
    assert [
        (p.study_instance_uid, p.increment_msv, p.running_msv, p.establishment)
        for p in view.timeline
    ] == [("1", 4.0, 4.0, "SITE"), ("2", 5.0, 9.0, "OTHER")]
    assert [(o.code, o.meaning, o.dose.value, o.dose.unit) for o in view.organs] == [
        ("80891009", "Heart", 6.0, "mGy"),
        ("39607008", "Lung", 15.0, "mGy"),
    ]
    for organ in view.organs:
        assert organ.dose.coverage == "covers 1 of 2 exams"
        (gap,) = organ.dose.missing
        assert gap.study_instance_uid == "2" and gap.modality == "CT+NM"
        assert gap.study_date == date(2025, 2, 1)
        assert gap.reason == (
            "1 of 2 counted events without organ-dose estimates: no organ coefficient"
        )
    assert view.organs[1].dose.uncertainty_pct == pytest.approx(30.0)  # one model: linear
    assert view.organs[1].dose.models == ("m 1 (t)",)
    assert view.effective.method.startswith("GUM, k=1")


def test_propagation_of_a_zero_sum_and_the_flags_of_a_sum() -> None:
    # a sum of zero has no relative uncertainty (not a division by zero)
    assert propagate([est(0.0, 20)[1]]) == (0.0, None)
    # a sum below 1 mSv keeps its uncertainty (0.5 mSv +-20 %: 0.1 mSv)
    small, small_pct = propagate([est(0.5, 20)[1]])
    assert small == 0.5 and small_pct == pytest.approx(20.0)
    plain = summarise(
        1,
        "p",
        (exam("1", date(2025, 1, 1), (event("e1"),), (est(5, 30),)),),
        parse_window("all", date(2025, 6, 1)),
    )
    assert plain.effective.indicative is False and plain.effective.upper_bound is False
    flagged = summarise(
        1,
        "p",
        (
            exam(
                "1",
                date(2025, 1, 1),
                (event("e1"),),
                (est(5, 30, indicative=True, upper_bound=True),),
            ),
        ),
        parse_window("all", date(2025, 6, 1)),
    )
    assert flagged.effective.indicative is True and flagged.effective.upper_bound is True


def test_the_view_names_what_it_is_about_in_full() -> None:
    """Every field of the view and of its missing-exam and timeline entries: the person,
    window and basis; units; the date and modality of a listed exam; exam counts of the
    other-basis sums; the skin summary; a radionuclide-less activity."""
    window = parse_window("12m", date(2025, 6, 1))
    exams = (
        exam("1", date(2025, 1, 5), (event("a"),), (est(5, 30, key="a"),)),
        exam(
            "2",
            date(2025, 2, 5),
            (event("b", "RF"), event("c", "RF")),
            (
                est(2, 30, key="b", modality="RF"),
                est(7, 30, key="b", basis="ICRP60", modality="RF"),
                est(1, 30, key="c", basis="ICRP26", modality="RF"),
            ),
        ),
        ExamRecord(
            "3",
            date(2025, 3, 5),
            "SITE",
            None,
            (_ev("NM", activity_mbq=100.0),),
            (),
            (),
        ),
    )
    view = summarise(42, "pseudo-42", exams, window, WeightBasis.ICRP103)
    assert (view.person_id, view.pseudonym, view.window, view.basis) == (
        42,
        "pseudo-42",
        window,
        "ICRP103",
    )
    assert (view.effective.unit, view.effective.value) == ("mSv", 7.0)
    assert [(o.basis, o.value_msv, o.exams) for o in view.effective_other_bases] == [
        ("ICRP26", 1.0, 1),
        ("ICRP60", 7.0, 1),
    ]
    two, three = view.effective.missing
    assert (two.study_instance_uid, two.study_date, two.modality) == ("2", date(2025, 2, 5), "RF")
    assert two.reason == (
        "1 of 2 counted events without ICRP103 effective dose (no reason recorded); "
        "effective dose on ICRP26, ICRP60 kept apart (never added)"
    )
    assert (three.study_date, three.modality) == (date(2025, 3, 5), "NM")
    assert (
        three.reason == "1 of 1 counted events without ICRP103 effective dose (no reason recorded)"
    )
    assert [(p.study_date, p.modality) for p in view.timeline] == [
        (date(2025, 1, 5), "CT"),
        (date(2025, 2, 5), "RF"),
        (date(2025, 3, 5), "NM"),
    ]
    assert [a.name for a in view.activity] == ["unknown"]  # no radionuclide recorded
    assert isinstance(view.skin, skin.SkinSummary)
    assert [p.study_instance_uid for p in view.skin.procedures] == ["2"]
    organ_gap = summarise(1, "p", exams[:1], window)
    assert organ_gap.organs == ()


def test_reasons_are_those_of_the_uncovered_events_and_quantity() -> None:
    """A reason counts for an exam's gap when it is about an uncovered event (or the study)
    and about the quantity (or any quantity); a reason about a covered event, or another
    quantity, is not given; several are joined; an exam without counted events says so."""
    e_of_a = est(5, 30, key="a")
    refused = (
        ("b", "effective_dose", "no coefficient for the protocol"),
        ("b", "any", "device not in the quirk table"),
        ("a", "effective_dose", "reported value kept"),  # a is covered
        ("b", "organ_dose", "no organ table"),  # another quantity
    )
    view = summarise(
        1,
        "p",
        (
            exam("1", date(2025, 1, 1), (event("a"), event("b")), (e_of_a,), refused),
            exam("2", date(2025, 1, 2), (), ()),
            exam("3", date(2025, 1, 3), (event("c"), event("d")), (), (("c", "any", "x"),)),
        ),
        parse_window("all", date(2025, 6, 1)),
    )
    first, empty, none_estimated = view.effective.missing
    assert first.reason == (
        "1 of 2 counted events without ICRP103 effective dose: "
        "device not in the quirk table; no coefficient for the protocol"
    )
    assert empty.reason == "no counted irradiation event"
    assert none_estimated.reason == "2 of 2 counted events without ICRP103 effective dose: x"


def test_radionuclide_codes_are_read_up_to_the_first_colon() -> None:
    assert _nuclide("SCT:35321007") == "35321007"
    assert _nuclide("SCT:a:b") == "a:b"  # the scheme ends at the first colon
    assert _nuclide("DCM:113507") == "DCM:113507"
    assert _nuclide(None) == "unknown"


def test_the_json_object_has_exactly_the_keys_of_the_issue() -> None:
    window = parse_window("2025-01-01:2025-06-30", date(2025, 6, 1))
    lung = est(
        12.3456789,
        30,
        key="a",
        quantity="organ_dose",
        organ="39607008",
        organ_meaning="Lung",
        basis=None,
        unit="mGy",
    )
    exams = (
        exam("1", date(2025, 1, 5), (event("a"),), (est(5.123456789, 23.456, key="a"), lung)),
        ExamRecord(
            "2",
            date(2025, 2, 5),
            "SITE",
            None,
            (_ev("NM", activity_mbq=250.0, radionuclide="SCT:35321007"),),
            (),
            (),
        ),
    )
    out = as_json(summarise(7, "pseudo", exams, window))
    assert out == {
        "person": "pseudo",
        "window": {"label": window.label, "from": "2025-01-01", "to": "2025-06-30"},
        "exams": 2,
        "effective_dose_msv": 5.12346,  # 6 significant digits
        "effective_dose_basis": "ICRP103",
        "effective_dose_exams_covered": 1,
        "organ_doses_mgy": {"39607008": 12.3457},
        "ka_r_gy": 1.0,
        "kap_gy_cm2": 2.0,
        "activity_mbq": {"35321007": 250.0},
        "uncertainty_pct": 23.5,  # one decimal
    }
    lifetime = as_json(summarise(7, "pseudo", (), parse_window("all", date(2025, 6, 1))))
    assert lifetime["window"] == {"label": "all", "from": None, "to": None}
    assert lifetime["effective_dose_msv"] is None and lifetime["uncertainty_pct"] is None
    assert lifetime["ka_r_gy"] is None and lifetime["organ_doses_mgy"] == {}
