"""De-duplication rules on domain-level reports, in every arrival order, on both databases."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from dosewatch.domain.report import DoseModality, SourceKind
from dosewatch.ingest.pipeline import Ingestor, Outcome, Prepared
from dosewatch.ledger import repository
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.dump import canonical_dump
from dosewatch.ledger.models import EventRow, ReportFinding, ReportRow
from tests.ledger.builders import (
    ct_event,
    mg_event,
    nm_event,
    prepared,
    report,
    source,
)


def run(ingestor: Ingestor, items: Sequence[Prepared]) -> list[Outcome]:
    return [ingestor.record(item, source()) for item in items]


def dump(ingestor: Ingestor) -> dict[str, Any]:
    with session_factory(ingestor.engine)() as session:
        return canonical_dump(session)


def events(ingestor: Ingestor) -> list[EventRow]:
    with session_factory(ingestor.engine)() as session:
        return list(session.scalars(select(EventRow).order_by(EventRow.event_key)).all())


def reports(ingestor: Ingestor) -> dict[str, ReportRow]:
    with session_factory(ingestor.engine)() as session:
        return {r.sop_instance_uid: r for r in session.scalars(select(ReportRow)).all()}


def same_in_every_order(
    make_ingestor: Callable[[], Ingestor], items: Sequence[Prepared]
) -> Ingestor:
    """Record ``items`` in every order (at most 6) and check the dumps are equal."""
    first: dict[str, Any] | None = None
    last: Ingestor | None = None
    for order in itertools.islice(itertools.permutations(items), 6):
        ledger = make_ingestor()
        run(ledger, order)
        current = dump(ledger)
        if first is None:
            first = current
        assert current == first, f"ledger differs for order {[p.label for p in order]}"
        last = ledger
    assert last is not None
    return last


def test_same_object_twice_changes_nothing(ingestor: Ingestor) -> None:
    item = prepared(report("1.1", "9.1", (ct_event("5.1", 100.0), ct_event("5.2", 200.0))))
    first = run(ingestor, [item])
    before = dump(ingestor)
    second = run(ingestor, [item, item])
    assert [o.status for o in first + second] == ["recorded", "duplicate", "duplicate"]
    assert dump(ingestor) == before
    with session_factory(ingestor.engine)() as session:
        assert repository.stats(session).as_dict() == {
            "persons": 1,
            "studies": 1,
            "reports": 1,
            "events": 2,
            "quarantined": 0,
        }


def test_known_bytes_are_answered_without_parsing(ingestor: Ingestor) -> None:
    item = prepared(report("1.1", "9.1", (ct_event("5.1", 100.0),)))
    run(ingestor, [item])
    assert ingestor.known(item.sha256) == Outcome("duplicate", "1.1")
    assert ingestor.known("0" * 64) is None


def test_cumulative_report_supersedes_in_any_order(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    e1, e2, e3 = ct_event("5.1", 100.0), ct_event("5.2", 200.0, 5), ct_event("5.3", 50.0, 9)
    items = [
        prepared(report("1.1", "9.1", (e1,))),
        prepared(report("1.2", "9.1", (e1, e2))),
        prepared(report("1.3", "9.1", (e1, e2, e3))),
    ]
    ledger = same_in_every_order(make_ingestor, items)
    rows = reports(ledger)
    assert rows["1.3"].status == "current"
    assert rows["1.1"].status == rows["1.2"].status == "superseded"
    assert rows["1.1"].superseded_by_id == rows["1.2"].superseded_by_id == rows["1.3"].id
    stored = events(ledger)
    assert [e.event_key for e in stored] == ["5.1", "5.2", "5.3"]
    assert {e.report_id for e in stored} == {rows["1.3"].id}
    assert sum(e.dlp_mgy_cm or 0 for e in stored if e.counted) == 350.0


def test_continued_study_adds_disjoint_events(make_ingestor: Callable[[], Ingestor]) -> None:
    items = [
        prepared(report("1.1", "9.1", (ct_event("5.1", 100.0), ct_event("5.2", 20.0, 3)))),
        prepared(report("1.2", "9.1", (ct_event("5.3", 300.0, 30),))),
    ]
    ledger = same_in_every_order(make_ingestor, items)
    assert {r.status for r in reports(ledger).values()} == {"current"}
    assert len(events(ledger)) == 3


def test_same_event_uid_with_other_values_is_kept_once_and_flagged(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    items = [
        prepared(report("1.1", "9.1", (ct_event("5.1", 100.0), ct_event("5.2", 20.0)))),
        prepared(report("1.2", "9.1", (ct_event("5.1", 999.0), ct_event("5.3", 30.0)))),
    ]
    ledger = same_in_every_order(make_ingestor, items)
    stored = {e.event_key: e for e in events(ledger)}
    assert sorted(stored) == ["5.1", "5.2", "5.3"]
    assert stored["5.1"].conflict and not stored["5.2"].conflict
    # the higher-ranked report (same time: larger SOP Instance UID) provides the values
    assert stored["5.1"].dlp_mgy_cm == 999.0
    with session_factory(ledger.engine)() as session:
        codes = session.scalars(select(ReportFinding.code)).all()
    assert "event.conflicting_values" in codes


def test_image_twins_count_once(make_ingestor: Callable[[], Ingestor]) -> None:
    def twin(sop: str, intent: str) -> Prepared:
        return prepared(
            report(
                sop,
                "9.1",
                (mg_event("7.1", 1.3),),
                kind=SourceKind.IMAGE_HEADER,
                modality=DoseModality.MAMMOGRAPHY,
                intent=intent,
            )
        )

    ledger = same_in_every_order(
        make_ingestor, [twin("1.1", "FOR PROCESSING"), twin("1.2", "FOR PRESENTATION")]
    )
    assert [e.agd_mgy for e in events(ledger) if e.counted] == [1.3]
    assert sorted(r.status for r in reports(ledger).values()) == ["current", "superseded"]


def test_resent_image_with_new_sop_uid_and_no_event_uid_counts_once(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    def image(sop: str) -> Prepared:
        return prepared(
            report(
                sop,
                "9.1",
                (mg_event(None, 1.1, 2),),
                kind=SourceKind.IMAGE_HEADER,
                modality=DoseModality.MAMMOGRAPHY,
            )
        )

    ledger = same_in_every_order(make_ingestor, [image("1.1"), image("1.2")])
    assert len(events(ledger)) == 1


def test_rdsr_wins_over_image_headers_and_headers_fill_gaps(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    rdsr = report(
        "1.9",
        "9.1",
        (mg_event("7.1", 1.2, 0), mg_event("7.2", 1.4, 1)),
        modality=DoseModality.MAMMOGRAPHY,
    )
    same_exposure = report(
        "1.1",
        "9.1",
        (mg_event("8.1", 1.25, 0),),  # other UID, same exposure: not counted
        kind=SourceKind.IMAGE_HEADER,
        modality=DoseModality.MAMMOGRAPHY,
    )
    later = report(
        "1.2",
        "9.1",
        (mg_event("8.2", 1.5, 45),),  # 45 min after the RDSR closed: fills a gap
        kind=SourceKind.IMAGE_HEADER,
        modality=DoseModality.MAMMOGRAPHY,
    )
    ledger = same_in_every_order(
        make_ingestor, [prepared(rdsr), prepared(same_exposure), prepared(later)]
    )
    counted = sorted((e.event_key, e.counted) for e in events(ledger))
    assert counted == [("7.1", True), ("7.2", True), ("8.1", False), ("8.2", True)]


def test_headers_alone_count_until_the_rdsr_arrives(ingestor: Ingestor) -> None:
    header = report(
        "1.1",
        "9.1",
        (ct_event("8.1", 400.0),),
        kind=SourceKind.IMAGE_HEADER,
    )
    run(ingestor, [prepared(header)])
    assert [e.counted for e in events(ingestor)] == [True]
    run(ingestor, [prepared(report("1.9", "9.1", (ct_event("5.1", 410.0),)))])
    assert sorted((e.event_key, e.counted) for e in events(ingestor)) == [
        ("5.1", True),
        ("8.1", False),
    ]


def test_nm_image_headers_never_fill_gaps(ingestor: Ingestor) -> None:
    rrdsr = report(
        "1.9",
        "9.1",
        (nm_event("6.1", 250.0, 0),),
        kind=SourceKind.RADIOPHARMACEUTICAL_RDSR,
        modality=DoseModality.NUCLEAR_MEDICINE,
    )
    pet = report(
        "1.1",
        "9.1",
        (nm_event("6.2", 249.0, 60),),
        kind=SourceKind.IMAGE_HEADER,
        modality=DoseModality.NUCLEAR_MEDICINE,
    )
    run(ingestor, [prepared(pet), prepared(rrdsr)])
    assert [(e.event_key, e.counted) for e in events(ingestor)] == [
        ("6.1", True),
        ("6.2", False),
    ]


def test_resent_sop_uid_with_other_bytes_keeps_one_version_in_any_order(
    make_ingestor: Callable[[], Ingestor],
) -> None:
    original = report("1.1", "9.1", (ct_event("5.1", 100.0),))
    corrected = report("1.1", "9.1", (ct_event("5.1", 110.0),))
    items = [prepared(original, "a"), prepared(corrected, "b")]
    ledger = same_in_every_order(make_ingestor, items)
    assert len(reports(ledger)) == 1
    assert len(events(ledger)) == 1
    winner = max(items, key=lambda p: p.sha256)
    assert reports(ledger)["1.1"].sha256 == winner.sha256


def test_report_without_events_is_recorded_and_then_covered(ingestor: Ingestor) -> None:
    empty = report("1.1", "9.1", ())
    full = report("1.2", "9.1", (ct_event("5.1", 10.0),))
    outcomes = run(ingestor, [prepared(empty), prepared(full)])
    assert [o.status for o in outcomes] == ["recorded", "recorded"]
    assert outcomes[1].superseded == 1
    assert reports(ingestor)["1.1"].status == "superseded"
