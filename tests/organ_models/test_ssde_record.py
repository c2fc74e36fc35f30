"""SSDE: the full record of a computed or reported SSDE and the exact refusals (#15).

AAPM Report 204 (2011) fit f(D) = a exp(-b D): 32 cm phantom a = 3.704369, b = 0.03671937;
16 cm phantom a = 1.874799, b = 0.03871313; tabulated ranges 8-45 cm (32 cm) and 6-55 cm
(16 cm), no extrapolation. Uncertainty: 15 % with D_w (AAPM 220), 20 % with D_eff, +10 %
for an assumed phantom, 20 % for a scanner-reported SSDE.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import (
    Estimate,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent
from organ_models import EstimationSettings
from organ_models.common import Outcome
from organ_models.ssde import MODEL, REPORTED, event_phantom, fit_for, ssde_for_event, table_factor
from organ_models.tables import ReferencePolicy
from tests.organ_models import builders as b

A32, B32 = 3.704369, 0.03671937
A16, B16 = 1.874799, 0.03871313


def _outcome(event: CtIrradiationEvent, region: BodyRegion | None = BodyRegion.CHEST) -> Outcome:
    return ssde_for_event(event, region, EstimationSettings())


def _one(out: Outcome, reported: bool = False) -> Estimate:
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.SSDE and e.event_uid == "1.1"
    assert e.value.unit == "mGy"
    model = REPORTED if reported else MODEL
    assert e.model_id == model.model_id
    assert e.origin is (EstimateOrigin.REPORTED if reported else EstimateOrigin.MODEL)
    return e


def _inputs(e: Estimate) -> list[tuple[str, float | None, str | None, bool]]:
    return [
        (i.name, None if i.quantity is None else i.quantity.value, i.text, i.assumed)
        for i in e.inputs
    ]


def test_body_ssde_from_dw_record() -> None:
    out = _outcome(b.ct_event(dw_mm=250))
    e = _one(out)
    f = A32 * math.exp(-B32 * 25.0)
    assert e.value.value == pytest.approx(f * 10.0)
    assert e.uncertainty_pct == 15.0
    assert e.method == "SSDE = a*exp(-b*D) x CTDIvol, D = 25.0 cm"
    assert [(c.name, c.value, c.unit) for c in e.coefficients] == [
        ("AAPM 204 a (32 cm)", A32, "dimensionless"),
        ("AAPM 204 b (32 cm)", B32, "1/cm"),
    ]
    assert _inputs(e) == [
        ("ctdivol", 10.0, "event Mean CTDIvol", False),
        ("ctdi_phantom", 32.0, "CTDIw phantom", False),
        ("water_equivalent_diameter", 25.0, "RDSR, AAPM 220", False),
        ("f", None, f"conversion factor f(D) = {f:.4f}", False),
    ]
    assert out.findings == []


def test_head_phantom_deff_ssde_that_differs_from_the_reported_one() -> None:
    event = dataclasses.replace(b.ct_event(deff_mm=300, head_phantom=True), ssde=b.q(20, "mGy"))
    out = _outcome(event)
    e = _one(out)
    value = A16 * math.exp(-B16 * 30.0) * 10.0
    assert e.value.value == pytest.approx(value)
    assert e.uncertainty_pct == 20.0
    assert [c.name for c in e.coefficients] == ["AAPM 204 a (16 cm)", "AAPM 204 b (16 cm)"]
    assert _inputs(e)[1:3] == [
        ("ctdi_phantom", 16.0, "CTDIw phantom", False),
        ("effective_diameter", 30.0, "RDSR, AAPM 204", False),
    ]
    assert [(f.code, f.message) for f in out.findings] == [
        (
            FindingCode.MODEL_REPORTED_DIFFERS,
            "computed SSDE 5.87 mGy differs by 71% from the reported 20 mGy",
        )
    ]


def test_a_reported_ssde_within_10_percent_is_not_flagged() -> None:
    value = A32 * math.exp(-B32 * 25.0) * 10.0
    # difference relative to the reported value: 9.5 % either way; a reported 0 is not compared
    for reported in (value / 1.095, value / 0.905, 0.0):
        event = dataclasses.replace(b.ct_event(dw_mm=250), ssde=b.q(reported, "mGy"))
        out = _outcome(event)
        assert _one(out).value.value == pytest.approx(value)
        assert out.findings == []
    event = dataclasses.replace(b.ct_event(dw_mm=250), ssde=b.q(value * 1.2, "mGy"))
    assert [f.code for f in _outcome(event).findings] == [FindingCode.MODEL_REPORTED_DIFFERS]


def test_unreported_phantom_is_assumed_32_cm() -> None:
    event = dataclasses.replace(b.ct_event(dw_mm=250), ctdiw_phantom_type=None)
    out = _outcome(event, region=None)
    e = _one(out)
    assert e.uncertainty_pct == 15.0 + 10.0
    assert _inputs(e)[1] == ("ctdi_phantom", 32.0, "CTDIw phantom", True)
    assert [(f.code, f.message) for f in out.findings] == [
        (FindingCode.MODEL_DEFAULT_ASSUMED, "CTDIw phantom not reported; 32 cm assumed")
    ]


def test_event_phantom() -> None:
    unreported = dataclasses.replace(b.ct_event(), ctdiw_phantom_type=None)
    assert event_phantom(unreported, BodyRegion.HEAD) == (16, True)
    assert event_phantom(unreported, BodyRegion.CHEST) == (32, True)
    assert event_phantom(unreported, None) == (32, True)
    assert event_phantom(b.ct_event(head_phantom=True), BodyRegion.CHEST) == (16, False)


@pytest.mark.parametrize(
    ("event", "region", "what", "method"),
    [
        (
            dataclasses.replace(b.ct_event(), ssde=b.q(12, "mGy")),
            BodyRegion.CHEST,
            "scanner SSDE",
            "SSDE kept as reported by the scanner (no size metric to recompute)",
        ),
        (
            dataclasses.replace(b.ct_event(region=b.HEAD), ssde=b.q(12, "mGy")),
            BodyRegion.HEAD,
            "scanner SSDE (head)",
            "SSDE kept as reported by the scanner (head CT; method not stated)",
        ),
    ],
)
def test_reported_ssde_record(
    event: CtIrradiationEvent, region: BodyRegion, what: str, method: str
) -> None:
    e = _one(_outcome(event, region), reported=True)
    assert e.value.value == 12.0 and e.uncertainty_pct == 20.0
    assert e.method == method and e.coefficients == ()
    assert _inputs(e) == [("ssde_reported", 12.0, what, False)]


@pytest.mark.parametrize(
    ("event", "region", "reason", "message"),
    [
        (
            dataclasses.replace(b.ct_event(), ctdivol=None),
            BodyRegion.CHEST,
            NotEstimatedReason.MISSING_INPUT,
            "ssde: no Mean CTDIvol in the event",
        ),
        (
            b.ct_event(),
            BodyRegion.CHEST,
            NotEstimatedReason.MISSING_INPUT,
            "ssde: the RDSR gives neither a water-equivalent nor an effective diameter, and no "
            "AAPM 204 size-from-age/weight table is in the reference data",
        ),
        (
            b.ct_event(dw_mm=500),
            BodyRegion.CHEST,
            NotEstimatedReason.NOT_APPLICABLE,
            "ssde: diameter 50.0 cm outside the AAPM 204 range 8-45 cm (no extrapolation)",
        ),
        (
            b.ct_event(region=b.HEAD, dw_mm=180),
            BodyRegion.HEAD,
            NotEstimatedReason.NO_COEFFICIENT,
            "ssde: head CT needs the AAPM Report 293 head fit f_H(D_w); it is not verified in "
            "the reference data (the AAPM 204 body fit is not applied to heads)",
        ),
    ],
)
def test_refusals_are_exact(
    event: CtIrradiationEvent,
    region: BodyRegion,
    reason: NotEstimatedReason,
    message: str,
) -> None:
    out = _outcome(event, region)
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "1.1" and r.quantity is EstimateQuantity.SSDE
    assert (r.reason, r.message) == (reason, message)


def test_fit_ranges_and_edges() -> None:
    fit = fit_for(32, ReferencePolicy())
    assert (fit.d_min_cm, fit.d_max_cm) == (8.0, 45.0)
    assert fit.factor(8.0) == pytest.approx(A32 * math.exp(-B32 * 8.0))
    assert fit.factor(45.0) == pytest.approx(A32 * math.exp(-B32 * 45.0))
    head = fit_for(16, ReferencePolicy())
    assert (head.d_min_cm, head.d_max_cm) == (6.0, 55.0)
    # the fit reproduces the AAPM 204 table within 1 % (table f at 30 cm, 32 cm phantom)
    assert fit.factor(30.0) == pytest.approx(table_factor(32, 30.0, ReferencePolicy()), rel=0.01)
