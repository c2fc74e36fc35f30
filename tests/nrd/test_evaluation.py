"""Evaluation engine on generated records, medians computed by hand in the comments.

Reference values: 2019-DC-0667 Annexe 2 Tableau 2.1, Thorax de face: NRD 200 mGy.cm2,
VGD 150 mGy.cm2 (nrd_france.csv, verified). Arrêté 2011-10-24, paediatric Thorax de face
(PA), 20 kg class: NRD 50 mGy.cm2 (mean of 30 patients <= 30 kg).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from dosewatch.nrd.evaluation import ExamRecord, Status, evaluate_group
from dosewatch.nrd.reference import Indicator, evaluation_rules, packaged, parse_values

START = date(2025, 1, 1)
EST = "CHU-A"
DEV = "ACME DR1 SALLE1"


def rec(
    i: int, pds: float, *, age: float = 50, weight: float | None = 70, acquisitions: int = 1
) -> ExamRecord:
    return ExamRecord(
        study_id=i,
        pseudonym=f"P{i:04d}",
        device=DEV,
        study_date=START + timedelta(days=i),
        exam_type="DX_THORAX_F",
        modality="DX",
        age_years=age,
        sex="F",
        weight_kg=weight,
        height_m=1.7,
        acquisitions=acquisitions,
        indicators={Indicator.PDS: pds},
    )


def one(records: list[ExamRecord], **options: object):  # type: ignore[no-untyped-def]
    evaluations, refused = evaluate_group(
        records,
        establishment=EST,
        device=DEV,
        exam_type="DX_THORAX_F",
        **options,  # type: ignore[arg-type]
    )
    pds = [e for e in evaluations if e.indicator is Indicator.PDS]
    return pds, refused


def test_adult_median_quartiles_and_consecutive_series() -> None:
    # 5 old exams at 10000 then 30 recent ones 100, 110, ..., 390: the series is the 30
    # most recent eligible exams; median = (240 + 250) / 2 = 245 > NRD 200.
    # q1 at rank 0.25*29 = 7.25: 170 + 0.25*10 = 172.5; q3 at 21.75: 310 + 7.5 = 317.5.
    old = [rec(i, 10000.0) for i in range(5)]
    recent = [rec(10 + k, 100.0 + 10 * k) for k in range(30)]
    ineligible = [
        rec(100, 5.0, weight=None),  # weight not recorded
        rec(101, 5.0, acquisitions=2),  # two projections: not a single-projection value
        rec(102, 5.0, age=8, weight=25),  # a child
    ]
    (ev,), refused = one(old + recent + ineligible)
    assert not refused
    assert ev.n == 30 and ev.n_required == 30
    assert ev.median == pytest.approx(245.0)
    assert ev.q1 == pytest.approx(172.5)
    assert ev.q3 == pytest.approx(317.5)
    assert ev.nrd == 200 and ev.vgd == 150
    assert ev.status is Status.ABOVE_NRD
    assert {u.pseudonym for u in ev.exams} == {f"P{10 + k:04d}" for k in range(30)}
    assert ev.as_json()["status"] == "above_nrd"
    assert set(ev.as_json()) == {
        "establishment",
        "device",
        "exam_type",
        "indicator",
        "n",
        "median",
        "nrd",
        "vgd",
        "status",
        "reference_version",
    }


def test_below_vgd_and_between() -> None:
    # 100..129: median (114 + 115) / 2 = 114.5 < VGD 150
    (ev,), _ = one([rec(k, 100.0 + k) for k in range(30)])
    assert ev.median == pytest.approx(114.5) and ev.status is Status.BELOW_VGD
    # 160..189: median 174.5, between VGD 150 and NRD 200
    (ev,), _ = one([rec(k, 160.0 + k) for k in range(30)])
    assert ev.median == pytest.approx(174.5) and ev.status is Status.BETWEEN


def test_insufficient_data_says_n_of_n() -> None:
    (ev,), _ = one([rec(k, 100.0) for k in range(12)] + [rec(50, 100.0, weight=None)])
    assert ev.status is Status.INSUFFICIENT
    assert (ev.n, ev.n_required, ev.n_candidates) == (12, 30, 13)
    assert ev.median is None


def test_weight_band_filter() -> None:
    # A rule set with an adult band of 60-80 kg: the 10 heavy patients (PDS 1000) are left
    # out; the 30 in band are 150..179 -> median 164.5 (between).
    rules = [
        dataclasses.replace(r, weight_min_kg=60.0, weight_max_kg=80.0)
        if (r.regulation, r.family) == ("2019-DC-0667", "radiographie")
        else r
        for r in evaluation_rules()
    ]
    heavy = [rec(100 + k, 1000.0, weight=110) for k in range(10)]
    in_band = [rec(k, 150.0 + k, weight=60 + (k % 20)) for k in range(30)]
    (ev,), _ = one(heavy + in_band, rules=rules)
    assert ev.n == 30 and ev.median == pytest.approx(164.5)
    assert ev.status is Status.BETWEEN
    (unfiltered,), _ = one(heavy + in_band)  # packaged rules: no band, recent 30 include heavy
    assert unfiltered.median != pytest.approx(164.5)


def test_paediatric_weight_classes_2011_mean() -> None:
    # 30 children of 15-25 kg (class of reference weight 20 kg): PDS 40..69,
    # mean = median = 54.5 > NRD 50 -> above; 10 kg children are another class.
    kids = [rec(k, 40.0 + k, age=5, weight=18 + (k % 6)) for k in range(30)]
    toddlers = [rec(100 + k, 15.0, age=1, weight=10) for k in range(5)]
    evaluations, refused = evaluate_group(
        kids + toddlers,
        establishment=EST,
        device=DEV,
        exam_type="DX_THORAX_F",
        regulation="arrêté 2011-10-24",
    )
    pds = {
        (e.population.value, e.reference_weight_kg): e
        for e in evaluations
        if e.indicator is Indicator.PDS
    }
    ev = pds[("paediatric", 20.0)]
    assert ev.n == 30 and ev.statistic == "mean"
    assert ev.mean == pytest.approx(54.5) and ev.median == pytest.approx(54.5)
    assert ev.nrd == 50 and ev.status is Status.ABOVE_NRD
    assert any("obsolete" in label for label in ev.labels)
    small = pds[("paediatric", 10.0)]
    assert small.n == 5 and small.status is Status.INSUFFICIENT
    assert any(r.reason.startswith("DE ") for r in refused)  # entrance dose: not in dose reports


def test_unverified_value_refused_unless_allowed_then_labelled() -> None:
    text = (
        packaged_csv_header() + "\n" + "2019-DC-0667,in_force_since_2019-07-01,radiographie,"
        "Thorax de face (postéro-antérieur),Chest PA,adult,,,PDS (KAP) per single projection,"
        "mGy.cm2,200,150,30,median,annual,test,unverified_recall,\n"
    )
    reference = parse_values(text, version="test-unverified")
    records = [rec(k, 100.0 + k) for k in range(30)]
    evaluations, refused = one(records, reference=reference)
    assert evaluations == [] and "unverified_recall" in refused[0].reason
    (ev,), _ = one(records, reference=reference, allow_unverified=True)
    assert ev.median == pytest.approx(114.5)
    assert any("unverified" in label for label in ev.labels)


def test_ct_2019_refused_annex_not_retrieved() -> None:
    record = dataclasses.replace(
        rec(1, 0.0), exam_type="CT_THORAX", modality="CT", indicators={Indicator.IDSV: 10.0}
    )
    evaluations, refused = evaluate_group(
        [record], establishment=EST, device=DEV, exam_type="CT_THORAX"
    )
    assert evaluations == []
    assert "not retrieved" in refused[0].reason


def packaged_csv_header() -> str:
    from importlib import resources

    text = (
        resources.files("dosewatch.nrd")
        .joinpath("data", "nrd_france.csv")
        .read_text(encoding="utf-8")
    )
    assert packaged().values
    return text.splitlines()[0]
