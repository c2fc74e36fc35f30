"""TID 10001 mammography RDSRs: TID 10005 accumulated AGD per breast and MG events."""

from __future__ import annotations

import re

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import same
from dosewatch.domain.findings import Severity
from dosewatch.domain.report import DoseModality, MammographyIrradiationEvent
from rdsr_parsers.dispatch import parse
from tests.rdsr_parsers.test_projection import (
    accumulated,
    build_rdsr,
    coded,
    container,
    event,
    num,
    parsed,
    projection_rows,
    with_code,
)

MG_ROWS = [r for r in projection_rows() if r["file"].startswith("MG-")]
_AGD_NOTE = re.compile(r"accumulated AGD per breast \(mGy\): ([0-9.]+) \+ ([0-9.]+)")


def _manifest_agd(notes: str) -> list[float]:
    match = _AGD_NOTE.search(notes)
    assert match is not None, "MANIFEST row without per-breast AGD"
    return sorted(float(v) for v in match.groups())


def test_manifest_has_both_mammography_rdsrs() -> None:
    assert {r["file"] for r in MG_ROWS} == {
        "MG-RDSR-GEPristina-2D.dcm",
        "MG-RDSR-GEPristina-DBT.dcm",
    }


@pytest.mark.parametrize("row", MG_ROWS, ids=[r["file"] for r in MG_ROWS])
def test_accumulated_agd_per_breast_matches_manifest(row: dict[str, str]) -> None:
    report = parsed(row["file"]).report
    assert report.modality is DoseModality.MAMMOGRAPHY
    values = sorted(
        b.accumulated_average_glandular_dose.value_in("mGy")
        for b in report.mammography_accumulated
        if b.accumulated_average_glandular_dose is not None
    )
    expected = _manifest_agd(row["notes"])
    assert values == pytest.approx(expected, rel=1e-6)
    assert report.projection_accumulated == ()


def test_pristina_2d_breasts_and_events() -> None:
    result = parsed("MG-RDSR-GEPristina-2D.dcm")
    report = result.report
    by_breast = {
        b.laterality.value: b.accumulated_average_glandular_dose
        for b in report.mammography_accumulated
        if b.laterality is not None
    }
    # sent as Left breast / Right breast, read as CID 6022 Left / Right (quirk PX11)
    assert set(by_breast) == {codes.LEFT.value, codes.RIGHT.value}
    assert len(with_code(result.findings, "code.nonstandard_value")) == 2
    right = by_breast[codes.RIGHT.value]
    assert right is not None and right.value == pytest.approx(9.68)
    events = [e for e in report.events if isinstance(e, MammographyIrradiationEvent)]
    assert len(events) == 8
    agd_sum = sum(e.average_glandular_dose.value for e in events if e.average_glandular_dose)
    assert agd_sum == pytest.approx(9.68, rel=1e-6)
    first = events[0]
    assert same(first.laterality, codes.RIGHT)
    assert same(first.anatomical_structure, codes.BREAST)
    assert first.average_glandular_dose is not None
    assert first.average_glandular_dose.value == pytest.approx(1.22)
    assert first.compression_thickness is not None
    assert first.compression_thickness.value == pytest.approx(46.1)
    assert first.half_value_layer is not None and first.half_value_layer.unit == "mm[Al]"
    assert [k.value for k in first.kvp] == [34.1, 33.99]
    assert first.exposure_time is not None
    assert first.exposure_time.value == pytest.approx(0.6095)
    assert first.anode_target_material is not None
    assert first.dose_area_product is None
    # totals equal the per-breast event sums: no finding
    assert not with_code(result.findings, "totals.differ_from_events")
    assert not with_code(result.findings, "template.missing_mandatory")


def test_pristina_dbt_single_rotational_event() -> None:
    report = parsed("MG-RDSR-GEPristina-DBT.dcm").report
    (only,) = report.events
    assert isinstance(only, MammographyIrradiationEvent)
    assert only.average_glandular_dose is not None
    assert only.average_glandular_dose.value == pytest.approx(1.09)


def _mg_event(agd: str | None, laterality: Code = codes.RIGHT) -> Dataset:
    structure = coded(codes.ANATOMICAL_STRUCTURE, codes.BREAST)
    structure.ContentSequence = [coded(codes.LATERALITY, laterality, "HAS CONCEPT MOD")]
    extra = [structure]
    if agd is not None:
        extra.append(num(codes.AVERAGE_GLANDULAR_DOSE, agd, "mGy"))
    return event(event_type=codes.STATIONARY_ACQUISITION, dap=None, dose_rp=None, extra=extra)


def _mg_accumulated(right: str, left: str) -> Dataset:
    items = []
    for value, breast in ((right, codes.RIGHT_BREAST), (left, codes.LEFT_BREAST)):
        agd = num(codes.ACCUMULATED_AVERAGE_GLANDULAR_DOSE, value, "mGy")
        agd.ContentSequence = [coded(codes.LATERALITY, breast, "HAS CONCEPT MOD")]
        items.append(agd)
    return container(
        codes.ACCUMULATED_X_RAY_DOSE_DATA,
        [coded(codes.ACQUISITION_PLANE, codes.SINGLE_PLANE, "HAS CONCEPT MOD"), *items],
    )


def test_synthetic_mammography_decided_from_agd_items() -> None:
    # procedure reported Projection X-Ray, but AGD items make it a mammography report
    ds = build_rdsr([_mg_accumulated("1.5", "0"), _mg_event("1.0"), _mg_event("0.4")])
    result = parse(ds)
    assert result.report.modality is DoseModality.MAMMOGRAPHY
    (differ,) = with_code(result.findings, "totals.differ_from_events")
    assert differ.concept == "DCM:111637" and "1.4" in differ.message


def test_synthetic_mammography_event_without_agd_is_an_error() -> None:
    ds = build_rdsr([_mg_accumulated("1.0", "0"), _mg_event(None)], procedure=codes.MAMMOGRAPHY)
    result = parse(ds)
    (only,) = result.report.events
    assert isinstance(only, MammographyIrradiationEvent)
    assert only.average_glandular_dose is None
    (error,) = with_code(result.findings, "template.missing_mandatory")
    assert error.severity is Severity.ERROR and error.concept == "DCM:111631"


def test_projection_report_with_accumulated_totals_is_not_mammography() -> None:
    report = parse(build_rdsr([accumulated(), event()])).report
    assert report.modality is not DoseModality.MAMMOGRAPHY
    assert report.mammography_accumulated == ()
