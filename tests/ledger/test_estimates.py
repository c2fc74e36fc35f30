"""Every exposure counts exactly once: estimates per slot, in every arrival order, both databases.

The estimates are the organ models' own (``estimate_report``), not hand-made: the counting
rules are checked on what ingest really stores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dosewatch.domain.estimate import EstimateQuantity
from dosewatch.domain.report import CtIrradiationEvent, DoseModality, DoseReport, SourceKind
from dosewatch.ingest.pipeline import Ingestor, Prepared, estimate_report, prepare_bytes
from dosewatch.ledger import dedup
from dosewatch.ledger import estimates as estimate_ledger
from dosewatch.ledger.db import session_factory, transaction
from dosewatch.ledger.estimate_models import EstimateInputRow
from dosewatch.ledger.estimates import Selection
from dosewatch.ledger.models import EstimateRow, EventRow
from tests.ledger.builders import ct_event, prepared, report, source
from tests.ledger.test_rules import run, same_in_every_order

DATA = Path(__file__).parents[1] / "data"


def chest(uid: str | None, dlp: float, minute: int = 0) -> CtIrradiationEvent:
    """A chest CT event the CT models estimate (region from the protocol keyword)."""
    return replace(ct_event(uid, dlp, minute), acquisition_protocol="CHEST")


def with_estimates(r: DoseReport, salt: str = "") -> Prepared:
    item = prepared(r, salt)
    estimates, findings = estimate_report(r)
    assert estimates, "the organ models must estimate this report"
    return replace(item, estimates=estimates, estimate_findings=findings)


def estimate_rows(ingestor: Ingestor) -> list[EstimateRow]:
    with session_factory(ingestor.engine)() as session:
        return list(session.scalars(select(EstimateRow).order_by(EstimateRow.id)).all())


def event_keys(ingestor: Ingestor) -> dict[int, str]:
    with session_factory(ingestor.engine)() as session:
        return dict(session.execute(select(EventRow.id, EventRow.event_key)).all())


def counted_effective(ingestor: Ingestor) -> dict[str, float]:
    """Counted effective doses (mSv) by event key; fails on any study-level or orphan row."""
    keys = event_keys(ingestor)
    out: dict[str, float] = {}
    for row in estimate_rows(ingestor):
        if row.current and row.quantity == EstimateQuantity.EFFECTIVE_DOSE.value:
            assert row.event_id is not None, f"counted E without an event: {row.slot_key}"
            key = keys[row.event_id]
            assert key not in out, f"event {key} counted twice"
            out[key] = row.value
    return out


def single_event_e(uid: str | None, dlp: float, minute: int = 0) -> float:
    """E of one event estimated alone (the value the ledger must count once)."""
    estimates, _ = estimate_report(report("9.9", "9.9", (chest(uid, dlp, minute),)))
    (e,) = [x for x in estimates if x.quantity is EstimateQuantity.EFFECTIVE_DOSE]
    return e.value.value_in("mSv")


def test_partly_overlapping_reports_count_each_event_once(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    # A = {e1, e2}, B = {e2, e3}: 3 counted events, 3 counted effective doses (not 4)
    a = report("1.1", "2.1", (chest("9.1", 400), chest("9.2", 300, 2)))
    b = report("1.2", "2.1", (chest("9.2", 300, 2), chest("9.3", 200, 4)))
    ledger = same_in_every_order(make_ingestor, [with_estimates(a), with_estimates(b)])
    counted = counted_effective(ledger)
    assert sorted(counted) == ["9.1", "9.2", "9.3"]
    expected = single_event_e("9.1", 400) + single_event_e("9.2", 300, 2)
    expected += single_event_e("9.3", 200, 4)
    assert sum(counted.values()) == pytest.approx(expected, rel=1e-12)
    # e2's second estimate is kept, not counted, with the reason
    e2 = [r for r in estimate_rows(ledger) if r.slot_key.startswith("9.2|effective_dose|")]
    assert sorted(r.selection for r in e2) == [Selection.ALTERNATIVE, Selection.COUNTED]


def test_events_without_uid_get_their_own_estimates(ingestor: Ingestor) -> None:
    r = report("1.1", "2.1", (chest(None, 400), chest(None, 200, 3)))
    run(ingestor, [with_estimates(r)])
    rows = estimate_rows(ingestor)
    assert rows
    assert all(row.event_id is not None for row in rows), "a UID-less event lost its estimates"
    counted = counted_effective(ingestor)
    assert len(counted) == 2
    assert sorted(counted.values()) == pytest.approx(
        sorted([single_event_e(None, 400), single_event_e(None, 200, 3)])
    )


def test_event_repeated_in_one_object_counts_once(ingestor: Ingestor) -> None:
    r = report("1.1", "2.1", (chest("9.1", 400), chest("9.1", 400)))
    run(ingestor, [with_estimates(r)])
    rows = [r for r in estimate_rows(ingestor) if r.quantity == "effective_dose"]
    assert sorted(r.selection for r in rows) == [Selection.COUNTED, Selection.NO_EVENT]
    assert counted_effective(ingestor) == {"9.1": pytest.approx(single_event_e("9.1", 400))}


def test_cumulative_report_supersedes_estimates_in_any_order(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    first = report("1.1", "2.1", (chest("9.1", 400),), content=datetime(2025, 3, 4, 10))
    later = report(
        "1.2", "2.1", (chest("9.1", 400), chest("9.2", 100, 5)), content=datetime(2025, 3, 4, 11)
    )
    ledger = same_in_every_order(make_ingestor, [with_estimates(first), with_estimates(later)])
    assert sorted(counted_effective(ledger)) == ["9.1", "9.2"]
    superseded = [r for r in estimate_rows(ledger) if r.selection == Selection.REPORT_SUPERSEDED]
    assert superseded and not any(r.current for r in superseded)
    assert all(r.selection_reason == "report superseded by 1.2" for r in superseded)


def test_image_header_and_rdsr_of_one_exposure_count_once(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    rdsr = report("1.1", "2.1", (chest("9.1", 400),))
    header = report("1.2", "2.1", (chest("9.h", 400),), kind=SourceKind.IMAGE_HEADER)
    ledger = same_in_every_order(make_ingestor, [with_estimates(rdsr), with_estimates(header)])
    assert counted_effective(ledger) == {"9.1": pytest.approx(single_event_e("9.1", 400))}
    keys = event_keys(ledger)
    from_header = [r for r in estimate_rows(ledger) if r.event_id and keys[r.event_id] == "9.h"]
    assert from_header
    assert {r.selection for r in from_header} == {Selection.EVENT_NOT_COUNTED}


def test_headers_count_until_the_rdsr_arrives_then_not(ingestor: Ingestor) -> None:
    header = report("1.2", "2.1", (chest("9.h", 400),), kind=SourceKind.IMAGE_HEADER)
    run(ingestor, [with_estimates(header)])
    assert sorted(counted_effective(ingestor)) == ["9.h"]
    run(ingestor, [with_estimates(report("1.1", "2.1", (chest("9.1", 400),)))])
    assert sorted(counted_effective(ingestor)) == ["9.1"]


def test_nm_organ_dose_reported_and_from_coefficient_counts_once(ingestor: Ingestor) -> None:
    """NM-RRDSR-Siemens: the RRDSR reports 51.22 mGy to the urinary bladder wall, and the
    ICRP 128 coefficient gives the same organ; both are kept, the reported one counts."""
    name = "openrem/NM-RRDSR-Siemens.dcm"
    item = prepare_bytes((DATA / name).read_bytes(), name)
    run(ingestor, [item])
    rows = estimate_rows(ingestor)
    bladder = [r for r in rows if r.organ_value == "89837001"]
    assert len(bladder) == 2
    counted = [r for r in bladder if r.current]
    assert [(r.model_id, r.origin) for r in counted] == [("nm.reported_organ_dose", "reported")]
    other = next(r for r in bladder if not r.current)
    assert other.selection == Selection.ALTERNATIVE
    assert "reported value before a model value" in other.selection_reason
    per_slot = Counter(r.slot_key for r in rows if r.current)
    assert per_slot and max(per_slot.values()) == 1


def test_inputs_are_stored_typed(ingestor: Ingestor) -> None:
    name = "openrem/NM-RRDSR-Siemens.dcm"
    run(ingestor, [prepare_bytes((DATA / name).read_bytes(), name)])
    with session_factory(ingestor.engine)() as session:
        e = session.scalars(
            select(EstimateRow).where(
                EstimateRow.model_id == "nm.coefficient",
                EstimateRow.quantity == "effective_dose",
            )
        ).one()
        inputs = {
            i.name: i
            for i in session.scalars(
                select(EstimateInputRow).where(
                    EstimateInputRow.estimate_id == (e.inputs_of_id or e.id)
                )
            )
        }
    activity = inputs["administered_activity"]
    assert activity.unit == "MBq" and activity.value is not None and activity.value > 0
    # E = e x A: the stored activity reproduces the stored value with the stored coefficient
    (coefficient,) = e.inputs["coefficients"]
    assert coefficient["unit"] == "mSv/MBq"
    assert e.value == pytest.approx(coefficient["value"] * activity.value, rel=1e-6)


def test_the_database_refuses_a_second_counted_estimate_in_a_slot(ingestor: Ingestor) -> None:
    run(ingestor, [with_estimates(report("1.1", "2.1", (chest("9.1", 400),)))])
    factory = session_factory(ingestor.engine)
    with pytest.raises(IntegrityError), transaction(factory) as session:
        counted = session.scalars(select(EstimateRow).where(EstimateRow.current)).first()
        assert counted is not None
        twin = EstimateRow(
            **{
                c.key: getattr(counted, c.key)
                for c in EstimateRow.__table__.columns
                if c.key != "id"
            }
        )
        session.add(twin)
        session.flush()


def test_estimation_keys_match_the_stored_event_keys() -> None:
    r = report("1.1", "2.1", (chest(None, 400), chest("9.2", 300), chest(None, 400)))
    incoming, repeated = dedup.incoming_events(r)
    keys = dedup.estimation_keys(r)
    assert keys[:2] == tuple(e.key for e in incoming)
    assert repeated == [keys[0]] and keys[2] == f"{keys[0]}{dedup.REPEATED_MARK}2"
    keyed = dedup.keyed_for_estimation(r)
    assert [e.irradiation_event_uid for e in keyed.events] == list(keys)
    assert r.events[0].irradiation_event_uid is None  # the report itself is unchanged
    assert keyed.modality is DoseModality.CT


def test_an_election_written_in_chunks_is_written_whole(
    make_ingestor: Callable[[], Ingestor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the election's UPDATE ... FROM (VALUES ...) is cut into chunks
    (``_ELECTION_CHUNK`` rows; SQLite writes one executemany): with chunks of 2 rows, every
    estimate gets the same selection, reason and counted flag as with one statement per
    step, and each event's E still counts once."""
    a = report("1.1", "2.1", (chest("9.1", 400), chest("9.2", 300, 2)))
    b = report("1.2", "2.1", (chest("9.2", 300, 2), chest("9.3", 200, 4)))

    def elected(ledger: Ingestor) -> list[tuple[str, bool, str, str]]:
        rows = estimate_rows(ledger)
        return sorted((r.slot_key, r.current, r.selection, r.selection_reason) for r in rows)

    whole = make_ingestor()
    for item in (with_estimates(a), with_estimates(b)):
        whole.record(item, source("EST_A"))
    monkeypatch.setattr(estimate_ledger, "_ELECTION_CHUNK", 2)
    chunked = make_ingestor()
    for item in (with_estimates(a), with_estimates(b)):
        chunked.record(item, source("EST_A"))
    assert len(elected(chunked)) > 2 * 2  # more than two chunks to write
    assert elected(chunked) == elected(whole)
    assert sorted(counted_effective(chunked)) == ["9.1", "9.2", "9.3"]
