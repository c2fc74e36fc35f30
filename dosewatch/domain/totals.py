"""A report's own accumulated totals in canonical units, and per-event indicators.

Totals are what the object states (summed over acquisition planes), never event sums;
for image headers they are that object's values. Event sums are computed separately so
that the two can be compared, never substituted for one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from dosewatch.domain import codes
from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseReport,
    IrradiationEvent,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
)
from dosewatch.domain.units import Quantity


@dataclass(frozen=True, slots=True)
class ReportTotals:
    dlp_mgy_cm: float | None = None
    kap_gy_cm2: float | None = None
    ka_r_gy: float | None = None
    agd_left_mgy: float | None = None
    agd_right_mgy: float | None = None
    activity_mbq: float | None = None


@dataclass(frozen=True, slots=True)
class EventIndicators:
    uid: str | None
    ctdivol_mgy: float | None = None
    dlp_mgy_cm: float | None = None
    kap_gy_cm2: float | None = None
    ka_r_gy: float | None = None
    agd_mgy: float | None = None
    activity_mbq: float | None = None


def _v(quantity: Quantity | None, unit: str) -> float | None:
    return None if quantity is None else quantity.value_in(unit)


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def report_totals(report: DoseReport) -> ReportTotals:
    """The object's own accumulated values, summed over planes/administrations."""
    planes = report.projection_accumulated
    agd_left = agd_right = None
    for breast in report.mammography_accumulated:
        value = _v(breast.accumulated_average_glandular_dose, "mGy")
        if codes.same(breast.laterality, codes.LEFT):
            agd_left = _sum([agd_left, value])
        elif codes.same(breast.laterality, codes.RIGHT):
            agd_right = _sum([agd_right, value])
    activities = [
        _v(e.administered_activity, "MBq")
        for e in report.events
        if isinstance(e, RadiopharmaceuticalAdministration)
    ]
    ct = report.ct_accumulated
    return ReportTotals(
        dlp_mgy_cm=None if ct is None else _v(ct.dlp_total, "mGy.cm"),
        kap_gy_cm2=_sum([_v(p.dose_area_product_total, "Gy.cm2") for p in planes]),
        ka_r_gy=_sum([_v(p.dose_rp_total, "Gy") for p in planes]),
        agd_left_mgy=agd_left,
        agd_right_mgy=agd_right,
        activity_mbq=_sum(activities),
    )


def fluoro_time_total_s(report: DoseReport) -> float | None:
    """The object's own accumulated fluoroscopy time (s), summed over planes.

    Not a field of :class:`ReportTotals`: the ``inspect --json`` contract lists those.
    """
    return _sum([_v(p.total_fluoro_time, "s") for p in report.projection_accumulated])


def event_indicators(event: IrradiationEvent) -> EventIndicators:
    """The dose indicators of one event in canonical units."""
    if isinstance(event, CtIrradiationEvent):
        return EventIndicators(
            event.irradiation_event_uid,
            ctdivol_mgy=_v(event.ctdivol, "mGy"),
            dlp_mgy_cm=_v(event.dlp, "mGy.cm"),
        )
    if isinstance(event, ProjectionIrradiationEvent):
        return EventIndicators(
            event.irradiation_event_uid,
            kap_gy_cm2=_v(event.dose_area_product, "Gy.cm2"),
            ka_r_gy=_v(event.dose_rp, "Gy"),
        )
    if isinstance(event, MammographyIrradiationEvent):
        return EventIndicators(
            event.irradiation_event_uid,
            kap_gy_cm2=_v(event.dose_area_product, "Gy.cm2"),
            ka_r_gy=_v(event.dose_rp, "Gy"),
            agd_mgy=_v(event.average_glandular_dose, "mGy"),
        )
    return EventIndicators(
        event.administration_event_uid, activity_mbq=_v(event.administered_activity, "MBq")
    )
