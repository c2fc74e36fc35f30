""":mod:`dosewatch.cumulative.skin` field by field: one record per fluoroscopy procedure (its
largest peak skin dose, never a sum; its Ka,r summed over its RF events), and the overlap flag
of two procedures within :data:`skin.OVERLAP_DAYS` days (NCRP Report No. 168 (2010): skin
follow-up of a repeat procedure within 60 days) on the same or an unknown target region.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dosewatch.cumulative import skin
from dosewatch.cumulative.records import EstimateRecord, EventRecord, ExamRecord
from dosewatch.cumulative.skin import ProcedureSkinDose, SkinOverlap, SkinSummary

CHEST, HEAD, PELVIS = "SCT:43799004", "SCT:69536005", "SCT:12921003"
D0 = date(2025, 1, 10)


def ev(modality: str = "RF", region: str | None = None, ka_r: float | None = None) -> EventRecord:
    return EventRecord(modality, modality.lower(), region, None, 1, ka_r, None, None, None, None)


def psd(
    value: float,
    pct: float = 35.0,
    model: str = "rf.skin.psd",
    version: str = "2",
    upper_bound: bool = False,
    quantity: str = "peak_skin_dose",
) -> EstimateRecord:
    return EstimateRecord(
        True,
        "RF",
        quantity,
        None,
        None,
        None,
        "mGy",
        model,
        version,
        "t",
        "model",
        False,
        upper_bound,
        value,
        pct,
    )


def exam(
    uid: str,
    day: date | None = D0,
    events: tuple[EventRecord, ...] = (),
    estimates: tuple[EstimateRecord, ...] = (),
    site: str = "SITE",
) -> ExamRecord:
    return ExamRecord(uid, day, site, None, events, estimates, ())


def proc(
    uid: str, day: date | None = D0, regions: tuple[str, ...] = (), site: str = "SITE"
) -> ProcedureSkinDose:
    return ProcedureSkinDose(uid, day, site, None, None, False, None, None, regions)


def only(e: ExamRecord) -> ProcedureSkinDose:
    (p,) = skin.summarise([e]).procedures
    return p


# --------------------------------------------------------------------------- procedures


def test_a_procedure_keeps_its_largest_psd_and_sums_its_rf_ka_r() -> None:
    e = exam(
        "P",
        D0,
        (
            ev("RF", PELVIS, 1.25),
            ev("RF", CHEST, None),
            ev("RF", CHEST, 0.5),
            ev("CT", HEAD, 9.0),  # not fluoroscopy: neither its Ka,r nor its region
            ev("RF", None, 0.25),
        ),
        (
            psd(2000.0, 30.0, "rf.skin.a", "1"),
            psd(3500.0, 40.0, "rf.skin.b", "3", upper_bound=True),
            psd(9999.0, quantity="effective_dose"),  # not a skin dose
            psd(1000.0, 50.0, "rf.skin.c", "1"),
        ),
        site="HOPITAL_D",
    )
    assert only(e) == ProcedureSkinDose(
        study_instance_uid="P",
        study_date=D0,
        establishment="HOPITAL_D",
        peak_skin_dose_mgy=3500.0,  # the largest, never 6500 (different skin areas)
        uncertainty_pct=40.0,
        upper_bound=True,
        method="rf.skin.b 3",
        ka_r_gy=2.0,  # 1.25 + 0.5 + 0.25
        regions=(PELVIS, CHEST),  # sorted (SCT:129... < SCT:437...), once each
    )


def test_the_largest_psd_carries_its_own_flag_and_uncertainty() -> None:
    e = exam("P", events=(ev(),), estimates=(psd(100.0, 20.0), psd(50.0, 80.0, upper_bound=True)))
    p = only(e)
    assert (p.peak_skin_dose_mgy, p.uncertainty_pct, p.upper_bound, p.method) == (
        100.0,
        20.0,
        False,
        "rf.skin.psd 2",
    )


def test_fluoroscopy_without_a_psd_and_a_psd_without_fluoroscopy_events() -> None:
    no_psd = only(exam("F", events=(ev("RF", HEAD, 3.0),)))
    assert no_psd == ProcedureSkinDose("F", D0, "SITE", None, None, False, None, 3.0, (HEAD,))
    no_ka_r = only(exam("F", events=(ev("RF", HEAD, None),)))
    assert no_ka_r.ka_r_gy is None  # no event reported one: unknown, not 0
    zero = only(exam("F", events=(ev("RF", None, 0.0),)))
    assert zero.ka_r_gy == 0.0 and zero.regions == ()
    only_psd = only(exam("S", None, (ev("CT", CHEST, 1.0),), (psd(700.0, upper_bound=True),)))
    assert only_psd == ProcedureSkinDose(
        "S", None, "SITE", 700.0, 35.0, True, "rf.skin.psd 2", None, ()
    )


def test_an_exam_without_fluoroscopy_nor_psd_is_no_procedure() -> None:
    ct = exam("C", events=(ev("CT", CHEST, 1.0), ev("DX", CHEST, 1.0), ev("rf", CHEST, 1.0)))
    other = exam("E", estimates=(psd(5.0, quantity="organ_dose"),))
    assert skin.summarise([ct, other, exam("N")]) == SkinSummary((), ())


# --------------------------------------------------------------------------- overlap


def test_overlap_on_the_same_region_up_to_60_days_both_ends() -> None:
    assert skin.OVERLAP_DAYS == 60
    a = proc("A", D0, (CHEST, HEAD))
    for n in (0, 1, 60):
        b = proc("B", D0 + timedelta(days=n), (PELVIS, HEAD, CHEST))
        assert skin.overlap(a, b) == SkinOverlap(
            "A", "B", n, f"same target region {CHEST}, {HEAD} within {n} days"
        )
    assert skin.overlap(a, proc("B", D0 + timedelta(days=61), (CHEST,))) is None
    assert skin.overlap(a, proc("B", D0 + timedelta(days=60), (PELVIS,))) is None


def test_an_unknown_region_cannot_exclude_an_overlap() -> None:
    known, unknown = proc("K", D0, (CHEST,)), proc("U", D0 + timedelta(days=7))
    reason = "target region unknown; an overlap within 7 days cannot be excluded"
    assert skin.overlap(known, unknown) == SkinOverlap("K", "U", 7, reason)
    assert skin.overlap(proc("U", D0), proc("K", D0 + timedelta(days=7), (CHEST,))) == (
        SkinOverlap("U", "K", 7, reason)
    )
    assert skin.overlap(proc("U", D0), proc("V", D0 + timedelta(days=7))) == (
        SkinOverlap("U", "V", 7, reason)
    )
    assert skin.overlap(proc("U", D0), proc("V", D0 + timedelta(days=61))) is None


@pytest.mark.parametrize(("first", "second"), [(None, D0), (D0, None), (None, None)])
def test_an_undated_procedure_is_never_flagged(first: date | None, second: date | None) -> None:
    assert skin.overlap(proc("A", first, (CHEST,)), proc("B", second, (CHEST,))) is None
    assert skin.overlap(proc("A", first), proc("B", second)) is None


# --------------------------------------------------------------------------- summary


def test_procedures_in_date_then_uid_order_undated_first_and_every_pair_flagged() -> None:
    def rf(uid: str, day: date | None, region: str | None) -> ExamRecord:
        return exam(uid, day, (ev("RF", region, 1.0),))

    summary = skin.summarise(
        [
            rf("c", D0 + timedelta(days=20), CHEST),
            rf("z", None, CHEST),
            rf("b", D0, CHEST),
            rf("a", D0 + timedelta(days=20), CHEST),
            exam("ct", D0, (ev("CT", CHEST, 1.0),)),
            rf("d", D0 + timedelta(days=50), None),
        ]
    )
    assert [(p.study_instance_uid, p.study_date) for p in summary.procedures] == [
        ("z", None),
        ("b", D0),
        ("a", D0 + timedelta(days=20)),
        ("c", D0 + timedelta(days=20)),
        ("d", D0 + timedelta(days=50)),
    ]
    unknown = "target region unknown; an overlap within {} days cannot be excluded"
    assert [(f.first, f.second, f.days_apart, f.reason) for f in summary.overlaps] == [
        ("b", "a", 20, f"same target region {CHEST} within 20 days"),
        ("b", "c", 20, f"same target region {CHEST} within 20 days"),
        ("b", "d", 50, unknown.format(50)),
        ("a", "c", 0, f"same target region {CHEST} within 0 days"),
        ("a", "d", 30, unknown.format(30)),
        ("c", "d", 30, unknown.format(30)),
    ]
    assert isinstance(summary.procedures, tuple) and isinstance(summary.overlaps, tuple)
