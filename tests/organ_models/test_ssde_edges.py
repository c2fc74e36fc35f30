"""SSDE: the 10 % comparison with a reported SSDE at its edges, a sub-1 mGy reported SSDE,
the findings carried by the estimate, refusals of a missing or refused fit row, and the
tabulated f per phantom (#15, survivors of the session-4 run).

AAPM Report 204 (2011), ``ssde_conversion.csv``: f(20 cm) = 1.78 for the 32 cm phantom
(row 17) and 0.86 for the 16 cm phantom (row 171); fit constants rows 1-4.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.estimate import EstimateQuantity, NotEstimatedReason, Verification
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from organ_models import EstimationSettings, ssde
from organ_models.common import Outcome
from organ_models.ssde import fit_for, ssde_for_event, table_factor
from organ_models.tables import ReferencePolicy, ReferenceTable, load_table
from tests.organ_models import builders as b


def _outcome(ctdivol: float, reported: float | None) -> Outcome:
    event = b.ct_event(dw_mm=250, ctdivol=ctdivol)
    if reported is not None:
        event = dataclasses.replace(event, ssde=b.q(reported, "mGy"))
    return ssde_for_event(event, BodyRegion.CHEST, EstimationSettings())


def _ctdivol_for(value: float) -> float:
    """A CTDIvol whose computed SSDE (25 cm, 32 cm phantom) is exactly ``value``."""
    f = fit_for(32, ReferencePolicy()).factor(25.0)
    ctdivol = value / f
    for _ in range(64):
        if f * ctdivol == value:
            return ctdivol
        ctdivol = math.nextafter(ctdivol, math.inf if f * ctdivol < value else -math.inf)
    raise AssertionError(f"no CTDIvol gives exactly {value} mGy")


@pytest.mark.parametrize(
    ("computed", "reported", "flagged"),
    [
        (11.0, 10.0, False),  # 10 % exactly: not more than the limit
        (9.0, 10.0, False),
        (11.01, 10.0, True),
        (8.99, 10.0, True),
    ],
)
def test_the_reported_ssde_limit_is_more_than_10_percent(
    computed: float, reported: float, flagged: bool
) -> None:
    out = _outcome(_ctdivol_for(computed), reported)
    (e,) = out.estimates
    assert e.value.value == computed
    codes = [FindingCode.MODEL_REPORTED_DIFFERS] if flagged else []
    assert [f.code for f in out.findings] == codes
    assert [f.code for f in e.findings] == codes  # the estimate carries its findings


def test_a_reported_ssde_below_1_mgy_is_compared() -> None:
    # a low-dose chest CT: computed 1.48 mGy (CTDIvol 1 mGy), reported 0.5 mGy
    out = _outcome(1.0, 0.5)
    (e,) = out.estimates
    f = 3.704369 * math.exp(-0.03671937 * 25.0)
    assert e.value.value == pytest.approx(f)
    assert [(x.code, x.message) for x in out.findings] == [
        (
            FindingCode.MODEL_REPORTED_DIFFERS,
            f"computed SSDE {f:.2f} mGy differs by {(f - 0.5) / 0.5:.0%} from the reported 0.5 mGy",
        )
    ]
    assert e.findings == tuple(out.findings)


def _patch_fit_row(
    monkeypatch: pytest.MonkeyPatch, quantity: str, verification: Verification | None
) -> None:
    """``ssde_conversion`` without the 32 cm fit row of ``quantity`` (or at ``verification``)."""
    real = load_table("ssde_conversion")
    rows = []
    for r in real.rows:
        if (
            r.get("record_type") == "fit_constant"
            and r.get("ctdi_phantom_diameter_cm") == "32"
            and r.get("input_quantity") == quantity
        ):
            if verification is None:
                continue
            r = dataclasses.replace(r, verification=verification)
        rows.append(r)
    table = ReferenceTable(real.name, real.version, tuple(rows))
    monkeypatch.setattr(ssde, "load_table", lambda name: table)


@pytest.mark.parametrize("quantity", ["a", "b"])
@pytest.mark.parametrize("verification", [None, Verification.UNVERIFIED_RECALL])
def test_a_missing_or_refused_fit_constant_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch, quantity: str, verification: Verification | None
) -> None:
    _patch_fit_row(monkeypatch, quantity, verification)
    out = _outcome(10.0, None)
    assert out.estimates == [] and out.findings == []
    what = f"record_type=fit_constant, ctdi_phantom_diameter_cm=32, input_quantity={quantity}"
    if verification is None:
        reason = NotEstimatedReason.NO_COEFFICIENT
        message = f"ssde: ssde_conversion: no row for {what}"
    else:
        reason = NotEstimatedReason.POLICY_REFUSED
        message = (
            f"ssde: ssde_conversion: the only rows for {what} are unverified_recall; refused "
            "by the reference policy (allow_indicative=False)"
        )
    assert [(r.event_uid, r.reason, r.message, r.quantity) for r in out.refused] == [
        ("1.1", reason, message, EstimateQuantity.SSDE)
    ]


def test_tabulated_f_is_read_for_the_phantom_asked() -> None:
    policy = ReferencePolicy()
    assert table_factor(32, 20.0, policy) == 1.78
    assert table_factor(16, 20.0, policy) == 0.86
    # the fit reproduces the 16 cm table too (within 2 %)
    assert fit_for(16, policy).factor(20.0) == pytest.approx(0.86, rel=0.02)
