"""The package entry points: estimate a DoseReport, with reasons, and the CLI JSON shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dosewatch.domain.estimate import (
    Coefficient,
    Estimate,
    EstimateQuantity,
    NotEstimated,
    NotEstimatedReason,
)
from dosewatch.domain.findings import Finding
from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
)
from organ_models import (
    ct,
    ct_ncict,
    ct_organs,
    fluoro_effective,
    fluoroscopy,
    mammography,
    nuclear,
    radiography,
    ssde,
)
from organ_models.common import EstimationSettings, Outcome
from organ_models.patient import Patient, patient_from_report


@dataclass(frozen=True, slots=True)
class EstimationResult:
    estimates: tuple[Estimate, ...]
    not_estimated: tuple[NotEstimated, ...]
    findings: tuple[Finding, ...]


def _is_fluoro(report: DoseReport) -> bool:
    return report.modality is DoseModality.FLUOROSCOPY


def estimate_with_reasons(
    report: DoseReport,
    patient: Patient | None = None,
    settings: EstimationSettings | None = None,
) -> EstimationResult:
    """Every estimate the models can make for ``report``, and why the others were not made."""
    settings = settings or EstimationSettings()
    patient = patient if patient is not None else patient_from_report(report)
    out = Outcome()
    out.findings.extend(patient.findings)
    for event in report.events:
        if isinstance(event, CtIrradiationEvent):
            region, _ = ct.event_region(event, report)
            out.extend(ct.effective_dose_for_event(event, report, patient, settings))
            out.extend(ssde.ssde_for_event(event, region, settings))
            out.extend(ct_organs.organ_doses_for_event(event, report, patient, settings))
            out.extend(ct_ncict.organ_doses_for_event(event, report, patient, settings))
        elif isinstance(event, MammographyIrradiationEvent):
            out.extend(mammography.glandular_dose_for_event(event, settings))
        elif isinstance(event, RadiopharmaceuticalAdministration):
            out.extend(nuclear.estimate_administration(event, patient, settings))
        elif isinstance(event, ProjectionIrradiationEvent):
            if _is_fluoro(report):
                out.extend(
                    fluoro_effective.effective_dose_for_event(event, report, settings, patient)
                )
            else:
                out.extend(radiography.effective_dose_for_event(event, report, settings, patient))
                out.extend(radiography.entrance_surface_dose_for_event(event, settings, report))
    if _is_fluoro(report):
        out.extend(fluoroscopy.peak_skin_dose(report, settings))
    _explain_gaps(report, out)
    if not report.events:
        out.refuse(
            None,
            NotEstimatedReason.NO_EVENTS,
            f"report has no irradiation events ({report.source_kind})",
        )
    return EstimationResult(
        estimates=tuple(out.estimates),
        not_estimated=tuple(out.refused),
        findings=tuple(out.findings),
    )


#: what is missing for organ doses, per modality (study-level reason when < 5 organs)
_ORGAN_GAP: dict[DoseModality, str] = {
    DoseModality.CT: "organ dose per CTDIvol or per DLP coefficients for this scan region "
    "(NCICT 2015 and AJR 2020 tables cover head, chest, abdomen-pelvis and "
    "chest-abdomen-pelvis scans)",
    DoseModality.RADIOGRAPHY: "radiography organ dose per KAP coefficients (not in the "
    "reference data)",
    DoseModality.FLUOROSCOPY: "fluoroscopy organ dose per KAP coefficients (not in the "
    "reference data)",
    DoseModality.MAMMOGRAPHY: "organ doses outside the breast (only the glandular dose is "
    "modelled; no scatter-organ table in the reference data)",
    DoseModality.NUCLEAR_MEDICINE: "full organ dose coefficient tables per radiopharmaceutical "
    "(only the critical organ of nm_dose_coefficients is tabulated)",
}
MIN_ORGANS_STATED = 5
#: what is missing for an effective dose, per modality (study-level reason)
_EFFECTIVE_GAP: dict[DoseModality, str] = {
    DoseModality.MAMMOGRAPHY: "organ doses outside the breast or a verified E per glandular "
    "dose coefficient (not in the reference data)",
}


def _explain_gaps(report: DoseReport, out: Outcome) -> None:
    """A study-level reason for each quantity the models left without estimate or reason."""
    if not report.events:
        return
    got = {e.quantity for e in out.estimates}
    said = {r.quantity for r in out.refused}
    if EstimateQuantity.EFFECTIVE_DOSE not in got and EstimateQuantity.EFFECTIVE_DOSE not in said:
        out.refuse(
            None,
            NotEstimatedReason.NO_COEFFICIENT,
            f"effective dose: no model for {report.modality} events of this report; missing "
            + _EFFECTIVE_GAP.get(report.modality, "an effective dose coefficient"),
            EstimateQuantity.EFFECTIVE_DOSE,
        )
    organs = {
        (e.organ.scheme_designator, e.organ.value)
        for e in out.estimates
        if e.quantity is EstimateQuantity.ORGAN_DOSE and e.organ is not None
    }
    if len(organs) < MIN_ORGANS_STATED and EstimateQuantity.ORGAN_DOSE not in said:
        out.refuse(
            None,
            NotEstimatedReason.NO_COEFFICIENT,
            f"organ doses: {len(organs)} organ(s) estimated; missing "
            + _ORGAN_GAP.get(report.modality, "organ dose coefficients"),
            EstimateQuantity.ORGAN_DOSE,
        )


def estimate(
    report: DoseReport,
    patient: Patient | None = None,
    settings: EstimationSettings | None = None,
) -> tuple[Estimate, ...]:
    """The estimates of ``report`` (see :func:`estimate_with_reasons` for the refusals)."""
    return estimate_with_reasons(report, patient, settings).estimates


def estimate_to_json(est: Estimate, *, extended: bool = False) -> dict[str, Any]:
    """One estimate in the ``dosewatch inspect --estimates --json`` shape."""
    item: dict[str, Any] = {
        "event_uid": est.event_uid,
        "quantity": str(est.quantity),
        "organ": est.organ.value if est.organ is not None else None,
        "value": est.value.value,
        "unit": est.value.unit,
        "uncertainty_pct": est.uncertainty_pct,
        "model": est.model_id,
        "model_version": est.model_version,
        "basis": str(est.basis) if est.basis is not None else None,
        "origin": str(est.origin),
    }
    if extended:
        item["organ_name"] = est.organ.meaning if est.organ is not None else None
        item["upper_bound"] = est.upper_bound
        item["indicative"] = est.indicative
        item["table_version"] = est.table_version
        item["method"] = est.method
        item["inputs"] = [i.to_json() for i in est.inputs]
        item["coefficients"] = [coefficient_to_json(c) for c in est.coefficients]
    return item


def coefficient_to_json(c: Coefficient) -> dict[str, Any]:
    """A coefficient with its source, table row and verification level."""
    return {
        "name": c.name,
        "value": c.value,
        "unit": c.unit,
        "source": c.source,
        "locator": c.locator,
        "verification": str(c.verification),
    }


def estimates_to_json(
    estimates: tuple[Estimate, ...] | list[Estimate], *, extended: bool = False
) -> list[dict[str, Any]]:
    """The ``"estimates"`` list of one JSON line (organ = SCT code value or null)."""
    return [estimate_to_json(e, extended=extended) for e in estimates]
