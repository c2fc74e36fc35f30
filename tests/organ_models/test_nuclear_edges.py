"""NM coefficients: the most verified row wins whatever the table order, a critical organ
that is no ICRP tissue gets no organ dose, and the 30 % consistency check against the
reported organ doses at its edges (#15, survivors of the session-4 run).

nm_dose_coefficients.csv: 18F-FDG adult ICRP 60 e = 0.019 mSv/MBq, bladder wall
0.13 mGy/MBq (row 1, verified, ICRP 106) and e = 0.02, 0.136 mGy/MBq (row 40, derived);
ICRP 103 e = 0.0171 mSv/MBq (row 2, verified).
"""

from __future__ import annotations

import dataclasses

import pytest

from dosewatch.domain.estimate import EstimateQuantity, WeightBasis
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import OrganDose, RadiopharmaceuticalAdministration
from organ_models import EstimationSettings, Patient, nuclear
from organ_models.common import Outcome
from organ_models.nuclear import estimate_administration
from organ_models.organs import TISSUE_CODES
from organ_models.tables import ReferenceRow, ReferenceTable, load_table
from tests.organ_models import builders as b

ADULT = Patient(age_years=40, sex="M")


def _outcome(
    admin: RadiopharmaceuticalAdministration, basis: WeightBasis = WeightBasis.ICRP103
) -> Outcome:
    return estimate_administration(admin, ADULT, EstimationSettings(basis=basis))


def _patch_rows(monkeypatch: pytest.MonkeyPatch, rows: tuple[ReferenceRow, ...]) -> None:
    real = load_table("nm_dose_coefficients")
    table = ReferenceTable(real.name, real.version, rows)
    monkeypatch.setattr(nuclear, "load_table", lambda name: table)


def test_the_most_verified_row_wins_whatever_the_table_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _patch_rows(monkeypatch, tuple(reversed(load_table("nm_dose_coefficients").rows)))
    out = _outcome(b.nm_admin(activity=100.0), WeightBasis.ICRP60)
    assert out.refused == []
    e, d = out.estimates
    assert e.quantity is EstimateQuantity.EFFECTIVE_DOSE
    assert e.value.value == pytest.approx(0.019 * 100.0)  # row 1 (verified), not row 40
    assert [c.locator for c in e.coefficients] == [
        "organ_models/data/nm_dose_coefficients.csv row 1"
    ]
    assert d.quantity is EstimateQuantity.ORGAN_DOSE
    assert d.value.value == pytest.approx(0.13 * 100.0)


def test_a_critical_organ_that_is_no_tissue_gets_no_organ_dose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = tuple(
        dataclasses.replace(r, fields={**r.fields, "critical_organ": "whole body"})
        if r.row_number == 1
        else r
        for r in load_table("nm_dose_coefficients").rows
    )
    _patch_rows(monkeypatch, rows)
    out = _outcome(b.nm_admin(activity=100.0))
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.EFFECTIVE_DOSE
    assert e.value.value == pytest.approx(0.0171 * 100.0)


def _with_organs(activity: float) -> RadiopharmaceuticalAdministration:
    return b.nm_admin(
        activity=activity,
        organ_doses=(OrganDose(TISSUE_CODES["lung"], None, b.q(2.0, "mGy")),),
    )


def _stub_sum(monkeypatch: pytest.MonkeyPatch, e: float) -> None:
    # no RRDSR gives every ICRP 103 tissue: the tissue-weight sum is stubbed (as in
    # test_nuclear_record.py) to check the comparison that follows it
    monkeypatch.setattr(nuclear, "effective_dose_from_organs", lambda doses, basis, sex: e)


def _from_organs(out: Outcome) -> list[FindingCode]:
    (e,) = [x for x in out.estimates if x.model_id == "nm.effective_from_organs"]
    assert [f.code for f in out.findings] == [f.code for f in e.findings]
    return [f.code for f in e.findings]


def test_no_comparison_with_a_zero_activity(monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_sum(monkeypatch, 1.0)
    out = _outcome(_with_organs(0.0))
    (direct,) = [x for x in out.estimates if x.model_id == "nm.coefficient" and x.basis]
    assert direct.value.value == 0.0
    assert _from_organs(out) == []


#: an FDG activity whose e x A (ICRP 103, 0.0171 mSv/MBq) is exactly 10 mSv in floating point
A_FOR_10 = 10.0 / 0.0171


@pytest.mark.parametrize(
    ("e_from_organs", "flagged"),
    [
        (13.0, False),  # |13 - 10| / 10 = 30 % exactly: not more than the limit
        (7.0, False),
        (13.01, True),
        (6.99, True),
    ],
)
def test_the_consistency_limit_is_more_than_30_percent(
    monkeypatch: pytest.MonkeyPatch, e_from_organs: float, flagged: bool
) -> None:
    assert 0.0171 * A_FOR_10 == 10.0
    _stub_sum(monkeypatch, e_from_organs)
    codes = _from_organs(_outcome(_with_organs(A_FOR_10)))
    assert codes == ([FindingCode.MODEL_INCONSISTENT] if flagged else [])
