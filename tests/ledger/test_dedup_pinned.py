"""The de-duplication rules of :mod:`dosewatch.ledger.dedup`, function by function.

Each test pins one rule of the module docstring (event identity, report rank, covering,
counting, versions of one SOP Instance) by value: the full ledger columns of an event of
each kind, the exact keys, both sides of every boundary. No database is needed except for
:func:`dedup.stored_is_cut` and :func:`dedup.recount` (SQLite and PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from dosewatch.domain import codes
from dosewatch.domain.codes import Code
from dosewatch.domain.report import (
    AccumulatedProjectionDose,
    CtIrradiationEvent,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from dosewatch.domain.units import Quantity
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger import dedup
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.models import EventRow, ReportFinding, ReportRow
from tests.ledger.builders import T0, ct_event, mg_event, prepared, report, source

LONG = "P" * 250  # longer than the 200 characters of EventRow.acquisition_protocol


def _columns(**set_: Any) -> dict[str, Any]:
    """Every ledger value column, None unless given."""
    out: dict[str, Any] = dict.fromkeys(dedup.VALUE_COLUMNS)
    out.update(set_)
    return out


# --------------------------------------------------------------------------- event values


def test_value_columns_are_those_of_the_event_row() -> None:
    assert dedup.VALUE_COLUMNS == (
        "event_uid",
        "kind",
        "modality",
        "from_header",
        "datetime_started",
        "acquisition_protocol",
        "event_type",
        "target_region",
        "laterality",
        "ctdivol_mgy",
        "dlp_mgy_cm",
        "ctdi_phantom_cm",
        "ssde_mgy",
        "kap_gy_cm2",
        "ka_r_gy",
        "agd_mgy",
        "exposure_time_s",
        "activity_mbq",
        "radionuclide",
        "radiopharmaceutical",
    )
    for column in dedup.VALUE_COLUMNS:
        assert column in EventRow.__table__.columns, column


def test_ct_event_values_in_canonical_units_and_codes_as_scheme_value() -> None:
    event = CtIrradiationEvent(
        irradiation_event_uid="5.1",
        acquisition_type=codes.SPIRAL_ACQUISITION,
        acquisition_protocol=LONG,
        target_region=Code("T-D3000", "SRT", "Chest"),  # SRT is stored as its SCT code
        datetime_started=T0,
        ctdivol=Quantity(0.0125, "Gy"),  # 12.5 mGy
        ctdiw_phantom_type=codes.IEC_BODY_DOSIMETRY_PHANTOM,
        dlp=Quantity(0.5, "Gy.cm"),  # 500 mGy.cm
        exposure_time=Quantity(2500.0, "ms"),
        ssde=Quantity(0.016, "Gy"),
    )
    values = dedup.event_values(event, report("1.1", "9.1", (event,)))
    assert values == _columns(
        event_uid="5.1",
        kind="ct",
        modality="CT",
        from_header=False,
        datetime_started=T0,
        acquisition_protocol="P" * 200,
        event_type="SCT:116152004",
        target_region="SCT:51185008",
        ctdivol_mgy=pytest.approx(12.5, rel=1e-12),
        dlp_mgy_cm=pytest.approx(500.0, rel=1e-12),
        ctdi_phantom_cm=32,
        ssde_mgy=pytest.approx(16.0, rel=1e-12),
        exposure_time_s=pytest.approx(2.5, rel=1e-12),
    )
    assert list(values) == list(dedup.VALUE_COLUMNS)


def test_ct_event_of_an_image_header_is_flagged_from_header() -> None:
    event = CtIrradiationEvent(irradiation_event_uid=None, dlp=Quantity(10.0, "mGy.cm"))
    header = report("1.1", "9.1", (event,), kind=SourceKind.IMAGE_HEADER)
    assert dedup.event_values(event, header) == _columns(
        kind="ct", modality="CT", from_header=True, dlp_mgy_cm=10.0
    )


def test_non_finite_doses_are_not_stored() -> None:
    event = CtIrradiationEvent(
        irradiation_event_uid="5.1",
        ctdivol=Quantity(float("nan"), "mGy"),
        dlp=Quantity(float("inf"), "mGy.cm"),
        ssde=Quantity(float("nan"), "mGy"),
        exposure_time=Quantity(float("inf"), "s"),
    )
    values = dedup.event_values(event, report("1.1", "9.1", (event,)))
    assert values == _columns(event_uid="5.1", kind="ct", modality="CT", from_header=False)


def test_projection_event_values_prefer_the_irradiation_duration() -> None:
    event = ProjectionIrradiationEvent(
        irradiation_event_uid="6.1",
        event_type=codes.FLUOROSCOPY,
        datetime_started=T0,
        acquisition_protocol="Coro",
        anatomical_structure=Code("41801008", "SCT", "Coronary artery"),
        laterality=codes.LEFT,
        dose_area_product=Quantity(2500.0, "mGy.cm2"),  # 2.5 Gy.cm2
        dose_rp=Quantity(120.0, "mGy"),  # 0.12 Gy
        exposure_time=Quantity(3.0, "s"),
        irradiation_duration=Quantity(7000.0, "ms"),
    )
    rf = report("1.1", "9.1", (event,), modality=DoseModality.FLUOROSCOPY)
    assert dedup.event_values(event, rf) == _columns(
        event_uid="6.1",
        kind="projection",
        modality="RF",
        from_header=False,
        datetime_started=T0,
        acquisition_protocol="Coro",
        event_type="SCT:44491008",
        target_region="SCT:41801008",
        laterality="SCT:7771000",
        kap_gy_cm2=pytest.approx(2.5, rel=1e-12),
        ka_r_gy=pytest.approx(0.12, rel=1e-12),
        exposure_time_s=pytest.approx(7.0, rel=1e-12),
    )
    # without an irradiation duration, the exposure time is taken; long protocols are cut
    plain = ProjectionIrradiationEvent(
        irradiation_event_uid="6.2", acquisition_protocol=LONG, exposure_time=Quantity(0.5, "s")
    )
    values = dedup.event_values(plain, rf)
    assert values["exposure_time_s"] == 0.5
    assert values["acquisition_protocol"] == "P" * 200


def test_mammography_event_values() -> None:
    event = MammographyIrradiationEvent(
        irradiation_event_uid="7.1",
        event_type=codes.STATIONARY_ACQUISITION,
        datetime_started=T0,
        acquisition_protocol=LONG,
        anatomical_structure=codes.LEFT_BREAST,
        laterality=codes.LEFT,
        average_glandular_dose=Quantity(0.0013, "Gy"),  # 1.3 mGy
        exposure_time=Quantity(1200.0, "ms"),
        dose_area_product=Quantity(0.05, "Gy.cm2"),
    )
    mg = report("1.1", "9.1", (event,), modality=DoseModality.MAMMOGRAPHY)
    assert dedup.event_values(event, mg) == _columns(
        event_uid="7.1",
        kind="mammography",
        modality="MG",
        from_header=False,
        datetime_started=T0,
        acquisition_protocol="P" * 200,
        event_type="DCM:113611",
        target_region="SCT:80248007",
        laterality="SCT:7771000",
        agd_mgy=pytest.approx(1.3, rel=1e-12),
        kap_gy_cm2=0.05,
        exposure_time_s=pytest.approx(1.2, rel=1e-12),
    )


def test_radiopharmaceutical_values_take_the_agent_code_else_its_name() -> None:
    coded = RadiopharmaceuticalAdministration(
        administration_event_uid="8.1",
        radiopharmaceutical_agent=Code("35321007", "SCT", "Fluorodeoxyglucose F^18^"),
        radiopharmaceutical_name="FDG",
        radionuclide=Code("C-111A1", "SRT", "^18^Fluorine"),
        administered_activity=Quantity(0.25, "GBq"),  # 250 MBq
        start_datetime=T0,
    )
    nm = report("1.1", "9.1", (coded,), modality=DoseModality.NUCLEAR_MEDICINE)
    assert dedup.event_values(coded, nm) == _columns(
        event_uid="8.1",  # the administration event UID
        kind="nm",
        modality="NM",
        from_header=False,
        datetime_started=T0,
        radionuclide="SCT:77004003",
        radiopharmaceutical="SCT:35321007",
        activity_mbq=pytest.approx(250.0, rel=1e-12),
    )
    named = RadiopharmaceuticalAdministration(
        administration_event_uid="8.2", radiopharmaceutical_name="N" * 250
    )
    values = dedup.event_values(named, nm)
    assert values["radiopharmaceutical"] == "N" * 200
    assert values["radionuclide"] is None


# --------------------------------------------------------------------------- hash and key


def test_value_hash_is_the_sha256_of_the_documented_payload() -> None:
    values = _columns(
        event_uid="5.1",
        kind="ct",
        modality="CT",
        from_header=True,
        datetime_started=T0,
        dlp_mgy_cm=1.0 / 3.0,
        ctdi_phantom_cm=32,
    )
    # floats to 9 significant digits, date-times ISO, provenance (modality, from_header) out
    payload = (
        '["5.1","ct","2025-03-04T10:00:00",null,null,null,null,null,"0.333333333",32,'
        "null,null,null,null,null,null,null,null]"
    )
    assert dedup.value_hash(values) == hashlib.sha256(payload.encode()).hexdigest()
    assert len(json.loads(payload)) == len(dedup.VALUE_COLUMNS) - 2


def test_value_hash_ignores_provenance_and_digits_beyond_the_ninth() -> None:
    values = _columns(kind="ct", modality="CT", from_header=False, dlp_mgy_cm=100.0)
    base = dedup.value_hash(values)
    assert dedup.value_hash({**values, "modality": "DX", "from_header": True}) == base
    assert dedup.value_hash({**values, "dlp_mgy_cm": 100.0000001}) == base  # 10th digit
    assert dedup.value_hash({**values, "dlp_mgy_cm": 100.000001}) != base  # 9th digit
    for column in dedup.VALUE_COLUMNS:
        if column in {"modality", "from_header"}:
            continue
        assert dedup.value_hash({**values, column: "other"}) != base, column


def test_event_key_is_the_uid_else_a_value_hash_else_sop_and_index() -> None:
    digest = "ab" * 32
    with_uid = _columns(event_uid="5.1", datetime_started=T0)
    assert dedup.event_key(with_uid, "1.1", 3, digest) == "5.1"
    timed = _columns(event_uid=None, datetime_started=T0)
    assert dedup.event_key(timed, "1.1", 3, digest) == "h:" + "ab" * 20
    assert dedup.event_key({**timed, "event_uid": ""}, "1.1", 3, digest) == "h:" + "ab" * 20
    untimed = _columns(event_uid=None)
    assert dedup.event_key(untimed, "1.1", 3, digest) == "1.1#3"


def test_uid_less_events_of_one_object_get_distinct_keys() -> None:
    # two exposures without UID at other times, and two without UID nor time
    timed = (ct_event(None, 100.0, 0), ct_event(None, 100.0, 7))
    untimed = (
        CtIrradiationEvent(irradiation_event_uid=None, dlp=Quantity(5.0, "mGy.cm")),
        CtIrradiationEvent(irradiation_event_uid=None, dlp=Quantity(5.0, "mGy.cm")),
    )
    incoming, repeated = dedup.incoming_events(report("1.1", "9.1", timed + untimed))
    keys = [e.key for e in incoming]
    assert repeated == []
    assert keys[2:] == ["1.1#2", "1.1#3"]
    assert [k[:2] for k in keys[:2]] == ["h:", "h:"]
    assert len(set(keys)) == 4
    for item in incoming[:2]:
        assert item.key == "h:" + item.value_hash[:40]
        assert item.value_hash == dedup.value_hash(item.values)


def test_an_event_repeated_in_one_object_keeps_its_first_values() -> None:
    first, again = ct_event("5.1", 100.0), ct_event("5.1", 999.0)
    incoming, repeated = dedup.incoming_events(report("1.1", "9.1", (first, again)))
    assert repeated == ["5.1"]
    assert [(e.key, e.values["dlp_mgy_cm"]) for e in incoming] == [("5.1", 100.0)]
    # the events after a repeat are still read
    after = ct_event("5.2", 20.0, 3)
    incoming, repeated = dedup.incoming_events(report("1.1", "9.1", (first, again, after)))
    assert (repeated, [e.key for e in incoming]) == (["5.1"], ["5.1", "5.2"])
    assert dedup.estimation_keys(report("1.1", "9.1", (first, again, first))) == (
        "5.1",
        "5.1#repeated-1",
        "5.1#repeated-2",
    )


def test_keyed_for_estimation_labels_each_event_with_its_ledger_key() -> None:
    nm_a = RadiopharmaceuticalAdministration(administration_event_uid="8.1")
    nm_b = RadiopharmaceuticalAdministration(administration_event_uid=None)
    ct = CtIrradiationEvent(irradiation_event_uid=None)
    kept = ct_event("5.1", 10.0)
    original = report("1.1", "9.1", (nm_a, nm_b, ct, kept, kept))
    keyed = dedup.keyed_for_estimation(original)
    assert keyed.events[0] is nm_a  # unchanged: its UID is already its key
    assert isinstance(keyed.events[1], RadiopharmaceuticalAdministration)
    assert keyed.events[1].administration_event_uid == "1.1#1"
    assert isinstance(keyed.events[2], CtIrradiationEvent)
    assert keyed.events[2].irradiation_event_uid == "1.1#2"
    assert keyed.events[3] is kept
    assert isinstance(keyed.events[4], CtIrradiationEvent)
    assert keyed.events[4].irradiation_event_uid == "5.1#repeated-4"
    assert keyed.events[4].dlp == kept.dlp
    assert original.events == (nm_a, nm_b, ct, kept, kept)  # the report itself is unchanged
    assert keyed.study == original.study


# --------------------------------------------------------------------------- vendor summary


def _radsum(
    *planes: AccumulatedProjectionDose, kind: SourceKind = SourceKind.VENDOR_SUMMARY
) -> DoseReport:
    r = report("1.5", "9.1", (), kind=kind, modality=DoseModality.FLUOROSCOPY)
    return replace(r, projection_accumulated=planes)


def test_summary_event_sums_the_planes_in_canonical_units() -> None:
    a = AccumulatedProjectionDose(
        dose_area_product_total=Quantity(3000.0, "mGy.cm2"),  # 3 Gy.cm2
        dose_rp_total=Quantity(200.0, "mGy"),
        total_fluoro_time=Quantity(60.0, "s"),
    )
    b = AccumulatedProjectionDose(
        dose_area_product_total=Quantity(1.5, "Gy.cm2"),
        dose_rp_total=None,
        total_fluoro_time=Quantity(30000.0, "ms"),
    )
    summary = dedup.summary_event(_radsum(a, b))
    assert summary is not None
    assert summary.values == _columns(
        kind="projection",
        modality="RF",
        from_header=False,
        kap_gy_cm2=pytest.approx(4.5, rel=1e-12),
        ka_r_gy=pytest.approx(0.2, rel=1e-12),
        exposure_time_s=pytest.approx(90.0, rel=1e-12),
    )
    assert summary.value_hash == dedup.value_hash(summary.values)
    assert summary.key == "vs:" + summary.value_hash[:40]
    assert dedup.is_summary_key(summary.key)
    assert dedup.incoming_events(_radsum(a, b)) == ([summary], [])


def test_summary_event_with_one_total_only_and_none_without() -> None:
    kap_only = dedup.summary_event(
        _radsum(AccumulatedProjectionDose(dose_area_product_total=Quantity(2.0, "Gy.cm2")))
    )
    assert kap_only is not None
    assert (kap_only.values["kap_gy_cm2"], kap_only.values["ka_r_gy"]) == (2.0, None)
    assert kap_only.values["exposure_time_s"] is None
    rp_only = dedup.summary_event(
        _radsum(AccumulatedProjectionDose(dose_rp_total=Quantity(0.3, "Gy")))
    )
    assert rp_only is not None
    assert (rp_only.values["kap_gy_cm2"], rp_only.values["ka_r_gy"]) == (None, 0.3)
    time_only = AccumulatedProjectionDose(total_fluoro_time=Quantity(10.0, "s"))
    assert dedup.summary_event(_radsum(time_only)) is None
    assert dedup.summary_event(_radsum()) is None
    # an RDSR's accumulated totals, or a summary with events, are not a summary event
    kap = AccumulatedProjectionDose(dose_area_product_total=Quantity(2.0, "Gy.cm2"))
    assert dedup.summary_event(_radsum(kap, kind=SourceKind.XRAY_RDSR)) is None
    with_events = replace(_radsum(kap), events=(ct_event("5.1", 1.0),))
    assert dedup.summary_event(with_events) is None
    assert [e.key for e in dedup.incoming_events(with_events)[0]] == ["5.1"]


def test_summary_keys_are_not_other_keys() -> None:
    assert dedup.SUMMARY_MARK == "vs:"
    assert dedup.is_summary_key("vs:abc")
    assert not dedup.is_summary_key("h:abc")
    assert not dedup.is_summary_key("1.2.3")
    assert not dedup.is_summary_key("x vs:abc")


# --------------------------------------------------------------------------- rank, covering

LATE = datetime(2025, 3, 4, 12, 0)


def test_is_header_only_for_image_headers() -> None:
    assert dedup.is_header("image_header")
    for kind in SourceKind:
        assert dedup.is_header(kind.value) == (kind is SourceKind.IMAGE_HEADER)


def test_rank_rdsr_then_later_then_larger_uid() -> None:
    assert dedup.rank("xray_rdsr", T0, "1.1") == (True, T0, "1.1")
    assert dedup.rank("image_header", T0, "1.1") == (False, T0, "1.1")
    assert dedup.rank("xray_rdsr", None, "1.1") == (True, datetime.min, "1.1")
    # an RDSR outranks a later header; then the later object; then the larger UID
    assert dedup.rank("xray_rdsr", T0, "1.1") > dedup.rank("image_header", LATE, "1.9")
    assert dedup.rank("vendor_summary", T0, "1.1") > dedup.rank("image_header", LATE, "1.9")
    assert dedup.rank("xray_rdsr", LATE, "1.1") > dedup.rank("xray_rdsr", T0, "1.9")
    assert dedup.rank("xray_rdsr", T0, "1.1") > dedup.rank("xray_rdsr", None, "1.9")
    assert dedup.rank("xray_rdsr", T0, "1.9") > dedup.rank("xray_rdsr", T0, "1.1")


def test_row_rank_reads_the_row() -> None:
    row = ReportRow(source_kind="image_header", content_datetime=LATE, sop_instance_uid="1.4")
    assert dedup.row_rank(row) == (False, LATE, "1.4")


K1 = frozenset({"a"})
K12 = frozenset({"a", "b"})
HIGH = (True, LATE, "1.9")
LOW = (True, T0, "1.1")


def test_covers_superset_or_same_set_with_higher_rank() -> None:
    assert dedup.covers(K12, LOW, False, K1, HIGH, False)  # a superset, whatever the rank
    assert not dedup.covers(K1, HIGH, False, K12, LOW, False)  # a subset never covers
    assert dedup.covers(K1, HIGH, False, K1, LOW, False)  # same set: the higher rank
    assert not dedup.covers(K1, LOW, False, K1, HIGH, False)
    assert not dedup.covers(K1, LOW, False, K1, LOW, False)  # equal rank: not "higher"
    disjoint = frozenset({"c"})
    assert not dedup.covers(disjoint, HIGH, False, K1, LOW, False)
    assert not dedup.covers(frozenset({"a", "c"}), HIGH, False, K12, LOW, False)  # overlap


def test_a_header_never_covers_an_rdsr_but_covers_a_header() -> None:
    header_rank = (False, LATE, "1.9")
    assert not dedup.covers(K12, header_rank, True, K1, LOW, False)
    assert dedup.covers(K12, header_rank, True, K1, (False, T0, "1.1"), True)
    assert dedup.covers(K12, LOW, False, K1, header_rank, True)  # an RDSR covers a header
    assert dedup.covers(K1, LOW, False, K1, header_rank, True)


# --------------------------------------------------------------------------- counting


def _row(modality: str, start: datetime | None) -> EventRow:
    return EventRow(modality=modality, datetime_started=start)


def test_gap_rule_constants() -> None:
    assert timedelta(minutes=5) == dedup.GAP_MARGIN
    assert frozenset({"CT", "RF", "DX", "MG"}) == dedup.GAP_FILLING_MODALITIES


def test_rdsr_spans_per_modality_and_none_when_a_time_is_missing() -> None:
    t = [T0 + timedelta(minutes=m) for m in range(4)]
    rows = [
        _row("CT", t[2]),
        _row("CT", t[0]),
        _row("CT", t[3]),
        _row("CT", t[1]),
        _row("MG", t[1]),
        _row("DX", None),
        _row("RF", t[0]),
        _row("RF", None),
        _row("RF", t[2]),
        _row("NM", t[3]),
        _row("NM", t[3]),
    ]
    assert dedup._rdsr_spans(rows) == {
        "CT": (t[0], t[3]),
        "MG": (t[1], t[1]),
        "DX": None,
        "RF": None,  # one RDSR event without a time: no gap can be proven
        "NM": (t[3], t[3]),
    }
    assert dedup._rdsr_spans([_row("DX", None), _row("DX", t[1])]) == {"DX": None}


def test_fills_gap_strictly_beyond_the_margin_on_both_sides() -> None:
    low, high = T0, T0 + timedelta(minutes=30)
    span = (low, high)
    second = timedelta(seconds=1)
    margin = dedup.GAP_MARGIN
    assert not dedup._fills_gap(low - margin, span)
    assert dedup._fills_gap(low - margin - second, span)
    assert not dedup._fills_gap(high + margin, span)
    assert dedup._fills_gap(high + margin + second, span)
    assert not dedup._fills_gap(low + timedelta(minutes=10), span)
    assert not dedup._fills_gap(None, span)
    assert not dedup._fills_gap(high + timedelta(hours=1), None)
    # an aware time against a naive span (or the reverse) proves nothing
    aware = (high + timedelta(hours=1)).replace(tzinfo=UTC)
    assert not dedup._fills_gap(aware, span)
    assert dedup._fills_gap(aware, (low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)))
    assert not dedup._fills_gap(high + timedelta(hours=1), (low.replace(tzinfo=UTC),) * 2)


def _counted(ingestor: Ingestor) -> list[tuple[str, bool]]:
    with session_factory(ingestor.engine)() as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.event_key)).all()
        return [(r.event_key, r.counted) for r in rows]


def test_recount_headers_of_another_family_still_count(ingestor: Ingestor) -> None:
    ct_rdsr = report("1.9", "9.1", (ct_event("5.1", 400.0),))
    mg_header = report(
        "1.1",
        "9.1",
        (mg_event("7.1", 1.2, 0),),  # same time, another modality family: counted
        kind=SourceKind.IMAGE_HEADER,
        modality=DoseModality.MAMMOGRAPHY,
    )
    for item in (prepared(ct_rdsr), prepared(mg_header)):
        ingestor.record(item, source())
    assert _counted(ingestor) == [("5.1", True), ("7.1", True)]


def test_recount_a_header_inside_the_margin_is_not_counted_beyond_it_is(
    ingestor: Ingestor,
) -> None:
    rdsr = report("1.9", "9.1", (ct_event("5.1", 400.0, 0), ct_event("5.2", 100.0, 10)))
    near = report("1.1", "9.1", (ct_event("8.1", 90.0, 15),), kind=SourceKind.IMAGE_HEADER)
    far = report("1.2", "9.1", (ct_event("8.2", 90.0, 16),), kind=SourceKind.IMAGE_HEADER)
    before = report("1.3", "9.1", (ct_event("8.3", 90.0, -6),), kind=SourceKind.IMAGE_HEADER)
    for item in map(prepared, (near, far, before, rdsr)):
        ingestor.record(item, source())
    assert _counted(ingestor) == [
        ("5.1", True),
        ("5.2", True),
        ("8.1", False),  # 5 min after the last RDSR event: the same exposures
        ("8.2", True),  # 6 min after: fills a gap
        ("8.3", True),  # 6 min before the first
    ]


def test_recount_counts_everything_again_when_the_rdsr_is_gone(ingestor: Ingestor) -> None:
    header = report("1.1", "9.1", (ct_event("8.1", 400.0),), kind=SourceKind.IMAGE_HEADER)
    rdsr = report("1.9", "9.1", (ct_event("5.1", 410.0),))
    for item in (prepared(header), prepared(rdsr)):
        ingestor.record(item, source())
    assert _counted(ingestor) == [("5.1", True), ("8.1", False)]
    with session_factory(ingestor.engine)() as session:
        row = session.scalars(select(ReportRow).where(ReportRow.sop_instance_uid == "1.9")).one()
        row.status = "superseded"
        study_id = row.study_id
        session.flush()
        dedup.recount(session, study_id)
        session.commit()
    assert _counted(ingestor) == [("5.1", True), ("8.1", True)]


def test_recount_without_headers_sets_every_event_counted(ingestor: Ingestor) -> None:
    rdsr = report("1.9", "9.1", (ct_event("5.1", 400.0), ct_event("5.2", 10.0, 3)))
    ingestor.record(prepared(rdsr), source())
    with session_factory(ingestor.engine)() as session:
        rows = session.scalars(select(EventRow)).all()
        for row in rows:
            row.counted = False
        session.flush()
        dedup.recount(session, rows[0].study_id)
        session.commit()
    assert _counted(ingestor) == [("5.1", True), ("5.2", True)]


# ------------------------------------------------------------ versions of one SOP Instance


def test_version_rank_complete_first_then_later_then_larger_sha() -> None:
    assert dedup.version_rank(False, T0, "aa") == (True, T0, "aa")
    assert dedup.version_rank(True, None, "aa") == (False, datetime.min, "aa")
    assert dedup.version_rank(False, T0, "aa") > dedup.version_rank(True, LATE, "ff")
    assert dedup.version_rank(False, LATE, "aa") > dedup.version_rank(False, T0, "ff")
    assert dedup.version_rank(False, T0, "ff") > dedup.version_rank(False, T0, "aa")
    assert dedup.version_rank(False, T0, "aa") > dedup.version_rank(False, None, "ff")


def test_is_cut_by_the_two_truncation_codes_only() -> None:
    assert frozenset({"encoding.truncated", "encoding.maybe_truncated"}) == dedup.CUT_CODES
    assert dedup.is_cut(["x", "encoding.truncated"])
    assert dedup.is_cut(["encoding.maybe_truncated"])
    assert not dedup.is_cut(["encoding.undecoded", "x"])
    assert not dedup.is_cut([])


def test_stored_is_cut_reads_the_parser_findings_of_that_report(
    ingestor: Ingestor, engine: Engine
) -> None:
    for sop in ("1.1", "1.2", "1.3"):
        ingestor.record(prepared(report(sop, "9.1", (ct_event(sop + ".5", 10.0),))), source())
    with session_factory(engine)() as session:
        ids = {r.sop_instance_uid: r.id for r in session.scalars(select(ReportRow))}
        for report_id, origin, code in (
            (ids["1.1"], "parser", "encoding.maybe_truncated"),
            (ids["1.2"], "ledger", "encoding.truncated"),  # not the parser's
            (ids["1.3"], "parser", "encoding.undecoded"),
        ):
            session.add(
                ReportFinding(
                    report_id=report_id,
                    origin=origin,
                    code=code,
                    severity="error",
                    message="m",
                )
            )
        session.commit()
        assert dedup.stored_is_cut(session, ids["1.1"])
        assert not dedup.stored_is_cut(session, ids["1.2"])
        assert not dedup.stored_is_cut(session, ids["1.3"])


def test_a_code_sent_as_text_is_stored_cut_to_its_column() -> None:
    # EventRow.event_type/target_region/laterality/radionuclide are String(80)
    assert dedup._code("T" * 100) == "T" * 80
    assert dedup._code("SCT:1") == "SCT:1"
    assert dedup._code(None) is None
    assert dedup._code(codes.LEFT) == "SCT:7771000"
    assert dedup._text("a" * 300) == "a" * 200
    assert dedup._text("a" * 300, 10) == "a" * 10
    assert dedup._text(None) is None
