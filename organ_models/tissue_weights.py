"""ICRP 103 (and ICRP 60) tissue weighting: effective dose from organ doses.

``E = sum_T w_T H_T`` with w_R = 1 for photons and electrons (H_T in mSv = D_T in mGy).
ICRP 103 remainder: arithmetic mean of the 13 remainder tissues of the patient's sex
(prostate for males, uterus/cervix for females; all 14 averaged when sex is unknown), with
w = 0.12. Gonads: testes for males, ovaries for females, the mean of both when sex is unknown.
ICRP 60: the remainder splitting rule is not in the sources read, so the model refuses the
cases where it would apply. The two bases are never mixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dosewatch.domain.errors import ModelNotApplicableError
from dosewatch.domain.estimate import Coefficient, WeightBasis
from organ_models.tables import ReferencePolicy, ReferenceRow, load_table

_COLUMN = {
    WeightBasis.ICRP103: "w_T_icrp103_dimensionless",
    WeightBasis.ICRP60: "w_T_icrp60_dimensionless",
}


@dataclass(frozen=True, slots=True)
class TissueWeights:
    """Named tissue weights and the remainder list of one basis."""

    basis: WeightBasis
    named: dict[str, float]
    remainder_weight: float
    remainder_members: tuple[str, ...]
    rows: dict[str, ReferenceRow]

    def coefficients(self) -> tuple[Coefficient, ...]:
        out = [
            self.rows[k].coefficient(f"w_T {k} ({self.basis})", w, "1")
            for k, w in self.named.items()
        ]
        out.append(
            self.rows["remainder"].coefficient(
                f"w_T remainder ({self.basis})", self.remainder_weight, "1"
            )
        )
        return tuple(out)


def tissue_weights(basis: WeightBasis, policy: ReferencePolicy | None = None) -> TissueWeights:
    """Weights of one basis from ``icrp103_tissue_weights.csv``."""
    policy = policy or ReferencePolicy()
    table = load_table("icrp103_tissue_weights")
    column = _COLUMN[basis]
    named: dict[str, float] = {}
    members: list[str] = []
    remainder = 0.0
    rows: dict[str, ReferenceRow] = {}
    for row in table.rows:
        if not policy.admits(row.verification):
            continue
        key = row.get("tissue_key")
        text = row.get(column)
        rows[key] = row
        if row.get("role") == "named" and text:
            named[key] = float(text)
        elif row.get("role") == "remainder_group" and text:
            remainder = float(text)
        elif row.get("role") == "remainder_member" and text == "in_remainder":
            members.append(key)
    return TissueWeights(basis, named, remainder, tuple(members), rows)


def _gonads(doses: Mapping[str, float], sex: str | None) -> float | None:
    if "gonads" in doses:
        return doses["gonads"]
    testis, ovary = doses.get("testis"), doses.get("ovary")
    if sex == "M":
        return testis
    if sex == "F":
        return ovary
    if testis is not None and ovary is not None:
        return (testis + ovary) / 2.0
    return None


def effective_dose_from_organs(
    doses_mgy: Mapping[str, float],
    basis: WeightBasis = WeightBasis.ICRP103,
    sex: str | None = None,
    policy: ReferencePolicy | None = None,
    *,
    female_doses_mgy: Mapping[str, float] | None = None,
) -> float:
    """Effective dose (mSv) from organ absorbed doses (mGy) keyed by tissue key.

    ICRP 103 (``E = sum_T w_T (H_T^M + H_T^F)/2``, shared/reference/README.md section 1): E is
    always **sex-averaged**, whatever the patient's sex: ``doses_mgy`` are the male (or the only)
    phantom's doses, ``female_doses_mgy`` the female phantom's (the same doses when None),
    gonads are testes for the male and ovaries for the female term, and each term has its own
    13-tissue remainder. ``sex`` only matters for ICRP 60.

    Raises :class:`ModelNotApplicableError` naming the missing tissues when the organ set is
    incomplete.
    """
    weights = tissue_weights(basis, policy)
    if basis is WeightBasis.ICRP103:
        return _icrp103_sex_averaged(weights, doses_mgy, female_doses_mgy or doses_mgy)
    missing: list[str] = []
    total = 0.0
    for tissue, w in weights.named.items():
        dose = _gonads(doses_mgy, sex) if tissue == "gonads" else doses_mgy.get(tissue)
        if dose is None:
            missing.append(tissue)
            continue
        total += w * dose
    # ICRP 60 lists brain under its own key for the remainder
    members = ["brain" if m == "brain_icrp60_remainder" else m for m in weights.remainder_members]
    if sex == "M" and "uterus_cervix" in members:
        members.remove("uterus_cervix")
    remainder_doses = [doses_mgy[m] for m in members if m in doses_mgy]
    missing.extend(m for m in members if m not in doses_mgy)
    if missing:
        raise ModelNotApplicableError(
            f"organ set incomplete for {basis} effective dose: missing {', '.join(missing)}"
        )
    if basis is WeightBasis.ICRP60:
        named_doses = [doses_mgy.get(t) or _gonads(doses_mgy, sex) or 0.0 for t in weights.named]
        if remainder_doses and max(remainder_doses) > max(named_doses):
            raise ModelNotApplicableError(
                "ICRP 60 remainder splitting rule applies (a remainder tissue exceeds every "
                "named tissue); the rule is not verified in our sources"
            )
    total += weights.remainder_weight * (sum(remainder_doses) / len(remainder_doses))
    return total


def _sex_term(
    weights: TissueWeights, doses: Mapping[str, float], sex: str, missing: list[str]
) -> float:
    """sum_T w_T H_T for one sex of the reference person (ICRP 103)."""
    total = 0.0
    for tissue, w in weights.named.items():
        dose = _gonads(doses, sex) if tissue == "gonads" else doses.get(tissue)
        if dose is None:
            missing.append(f"{tissue} ({sex})" if tissue == "gonads" else tissue)
            continue
        total += w * dose
    other = "uterus_cervix" if sex == "M" else "prostate"
    members = [m for m in weights.remainder_members if m != other]
    present = [doses[m] for m in members if m in doses]
    missing.extend(m for m in members if m not in doses)
    if present:
        total += weights.remainder_weight * (sum(present) / len(present))
    return total


def _icrp103_sex_averaged(
    weights: TissueWeights, male: Mapping[str, float], female: Mapping[str, float]
) -> float:
    missing: list[str] = []
    e_male = _sex_term(weights, male, "M", missing)
    e_female = _sex_term(weights, female, "F", missing)
    if missing:
        unique = list(dict.fromkeys(missing))
        raise ModelNotApplicableError(
            "organ set incomplete for ICRP103 sex-averaged effective dose: missing "
            + ", ".join(unique)
        )
    return 0.5 * (e_male + e_female)
