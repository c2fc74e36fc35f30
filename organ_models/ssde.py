"""Size-specific dose estimate (AAPM Report 204 fit; AAPM Report 220 water-equivalent diameter).

``SSDE = f(D) x CTDIvol`` with ``f(D) = a exp(-b D)``, D in cm, constants per CTDI phantom
(``ssde_conversion.csv`` fit rows). D is the water-equivalent diameter D_w when the RDSR gives
it (AAPM 220), else the derived effective diameter (AAPM 204). Outside the tabulated size
range the model refuses rather than extrapolate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dosewatch.domain.errors import ModelNotApplicableError, ReferenceDataError
from dosewatch.domain.estimate import (
    Coefficient,
    Estimate,
    EstimateInput,
    EstimateOrigin,
    EstimateQuantity,
    NotEstimatedReason,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.regions import BodyRegion
from dosewatch.domain.report import CtIrradiationEvent
from dosewatch.domain.units import Quantity
from organ_models.common import (
    EstimationSettings,
    ModelInfo,
    Outcome,
    build,
    finding,
    qty,
    refusal_reason,
)
from organ_models.tables import ReferencePolicy, load_table

MODEL = ModelInfo(
    model_id="ct.ssde.aapm204",
    version="1.0.0",
    modality="CT",
    quantities=(EstimateQuantity.SSDE,),
    tables=("ssde_conversion",),
    formula="SSDE = a*exp(-b*D) x CTDIvol (AAPM 204; D = D_w per AAPM 220 or D_eff)",
    defaults=("phantom 32 cm when the RDSR does not name it (16 cm for head regions)",),
)
REPORTED = ModelInfo(
    model_id="ct.ssde.reported",
    version="1.0.0",
    modality="CT",
    quantities=(EstimateQuantity.SSDE,),
    tables=(),
    formula="SSDE as reported by the scanner (DCM 113930)",
)

UNCERTAINTY_DW_PCT = 15.0  # AAPM 204/220 central-slice SSDE: about 10-20 %
UNCERTAINTY_DEFF_PCT = 20.0
UNCERTAINTY_REPORTED_PCT = 20.0


@dataclass(frozen=True, slots=True)
class SsdeFit:
    a: Coefficient
    b: Coefficient
    d_min_cm: float
    d_max_cm: float

    def factor(self, diameter_cm: float) -> float:
        if not self.d_min_cm <= diameter_cm <= self.d_max_cm:
            raise ModelNotApplicableError(
                f"diameter {diameter_cm:.1f} cm outside the AAPM 204 range "
                f"{self.d_min_cm:g}-{self.d_max_cm:g} cm (no extrapolation)"
            )
        return self.a.value * math.exp(-self.b.value * diameter_cm)


def fit_for(phantom_cm: int, policy: ReferencePolicy) -> SsdeFit:
    """The AAPM 204 fit constants and size range for the 16 or 32 cm phantom."""
    table = load_table("ssde_conversion")
    ph = str(phantom_cm)
    a = table.lookup(
        policy, record_type="fit_constant", ctdi_phantom_diameter_cm=ph, input_quantity="a"
    )
    b = table.lookup(
        policy, record_type="fit_constant", ctdi_phantom_diameter_cm=ph, input_quantity="b"
    )
    sizes = [
        size
        for r in table.select(policy, record_type="table_f_vs_Deff", ctdi_phantom_diameter_cm=ph)
        if (size := r.number("input_value")) is not None
    ]
    if not sizes:
        raise ModelNotApplicableError(f"no AAPM 204 size range for the {ph} cm phantom")
    return SsdeFit(
        a=a.coefficient(f"AAPM 204 a ({ph} cm)"),
        b=b.coefficient(f"AAPM 204 b ({ph} cm)"),
        d_min_cm=min(sizes),
        d_max_cm=max(sizes),
    )


def table_factor(phantom_cm: int, diameter_cm: float, policy: ReferencePolicy) -> float:
    """The tabulated AAPM 204 f at one effective diameter (for checks against the fit)."""
    table = load_table("ssde_conversion")
    row = table.lookup(
        policy,
        record_type="table_f_vs_Deff",
        ctdi_phantom_diameter_cm=str(phantom_cm),
        input_value=f"{diameter_cm:g}",
    )
    return row.require_value()


_Q = EstimateQuantity.SSDE


def event_phantom(event: CtIrradiationEvent, region: BodyRegion | None) -> tuple[int, bool]:
    """(phantom diameter cm, assumed?) of an event's CTDIvol."""
    reported = event.phantom_diameter_cm
    if reported is not None:
        return reported, False
    return (16 if region is not None and region.is_head else 32), True


def ssde_for_event(
    event: CtIrradiationEvent,
    region: BodyRegion | None,
    settings: EstimationSettings,
) -> Outcome:
    """SSDE of one CT event, or the reason why not."""
    out = Outcome()
    uid = event.irradiation_event_uid
    if event.ctdivol is None:
        out.refuse(uid, NotEstimatedReason.MISSING_INPUT, "ssde: no Mean CTDIvol in the event", _Q)
        return out
    if region is not None and region.is_head:
        return _head(event, uid)
    ctdivol = event.ctdivol.value_in("mGy")
    phantom, phantom_assumed = event_phantom(event, region)
    if event.water_equivalent_diameter is not None:
        diameter = event.water_equivalent_diameter.value_in("cm")
        size_input = qty("water_equivalent_diameter", diameter, "cm", "RDSR, AAPM 220")
        base_u = UNCERTAINTY_DW_PCT
    elif event.derived_effective_diameter is not None:
        diameter = event.derived_effective_diameter.value_in("cm")
        size_input = qty("effective_diameter", diameter, "cm", "RDSR, AAPM 204")
        base_u = UNCERTAINTY_DEFF_PCT
    else:
        if event.ssde is not None:
            out.estimates.append(
                _reported_ssde(
                    event.ssde,
                    uid,
                    "scanner SSDE",
                    "SSDE kept as reported by the scanner (no size metric to recompute)",
                )
            )
        else:
            out.refuse(
                uid,
                NotEstimatedReason.MISSING_INPUT,
                "ssde: the RDSR gives neither a water-equivalent nor an effective diameter, "
                "and no AAPM 204 size-from-age/weight table is in the reference data",
                _Q,
            )
        return out
    try:
        fit = fit_for(phantom, settings.policy)
        f = fit.factor(diameter)
    except ReferenceDataError as exc:
        out.refuse(uid, refusal_reason(exc), f"ssde: {exc}", _Q)
        return out
    except ModelNotApplicableError as exc:
        out.refuse(uid, NotEstimatedReason.NOT_APPLICABLE, f"ssde: {exc}", _Q)
        return out
    value = f * ctdivol
    findings = []
    if phantom_assumed:
        findings.append(
            finding(
                FindingCode.MODEL_DEFAULT_ASSUMED,
                f"CTDIw phantom not reported; {phantom} cm assumed",
            )
        )
    if event.ssde is not None and event.ssde.value_in("mGy") > 0:
        diff = abs(value - event.ssde.value_in("mGy")) / event.ssde.value_in("mGy")
        if diff > 0.10:
            findings.append(
                finding(
                    FindingCode.MODEL_REPORTED_DIFFERS,
                    f"computed SSDE {value:.2f} mGy differs by {diff:.0%} from the reported "
                    f"{event.ssde}",
                )
            )
    out.findings.extend(findings)
    out.estimates.append(
        build(
            MODEL,
            EstimateQuantity.SSDE,
            value,
            "mGy",
            base_u + (10.0 if phantom_assumed else 0.0),
            event_uid=uid,
            coefficients=(fit.a, fit.b),
            inputs=(
                qty("ctdivol", ctdivol, "mGy", "event Mean CTDIvol"),
                EstimateInput(
                    "ctdi_phantom",
                    Quantity(float(phantom), "cm"),
                    text="CTDIw phantom",
                    assumed=phantom_assumed,
                ),
                size_input,
                EstimateInput("f", text=f"conversion factor f(D) = {f:.4f}"),
            ),
            method=f"SSDE = a*exp(-b*D) x CTDIvol, D = {diameter:.1f} cm",
            findings=findings,
        )
    )
    return out


def _head(event: CtIrradiationEvent, uid: str | None) -> Outcome:
    """Head CT: the AAPM 204 fit is for bodies; AAPM Report 293 is the head method.

    The AAPM 293 fit constants are in the reference additions only as a secondary
    transcription (level ``agreed_secondary``, not a verification level of the reference
    README): not used. A scanner-reported SSDE is kept as reported; otherwise refused.
    """
    out = Outcome()
    if event.ssde is not None:
        out.estimates.append(
            _reported_ssde(
                event.ssde,
                uid,
                "scanner SSDE (head)",
                "SSDE kept as reported by the scanner (head CT; method not stated)",
            )
        )
        return out
    out.refuse(
        uid,
        NotEstimatedReason.NO_COEFFICIENT,
        "ssde: head CT needs the AAPM Report 293 head fit f_H(D_w); it is not verified in the "
        "reference data (the AAPM 204 body fit is not applied to heads)",
        _Q,
    )
    return out


def _reported_ssde(ssde: Quantity, uid: str | None, what: str, method: str) -> Estimate:
    """The scanner's own SSDE, kept as reported (origin REPORTED, never recomputed)."""
    return build(
        REPORTED,
        EstimateQuantity.SSDE,
        ssde.value_in("mGy"),
        "mGy",
        UNCERTAINTY_REPORTED_PCT,
        event_uid=uid,
        coefficients=(),
        inputs=(EstimateInput("ssde_reported", ssde, text=what),),
        method=method,
        origin=EstimateOrigin.REPORTED,
    )
