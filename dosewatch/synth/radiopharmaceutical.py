"""Synthetic Radiopharmaceutical Radiation Dose SR (SOP Class 1.2.840.10008.5.1.4.1.1.88.68).

TID 10021 Radiopharmaceutical Radiation Dose → TID 10022 Radiopharmaceutical
Administration (agent with radionuclide and half-life, administration event UID, start and
stop date-times, administered activity, route) → optional TID 10023 Organ Dose
Information per organ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth.common import (
    COMMON_DEVIATIONS,
    DEFAULT_HEADER,
    RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
    Deviation,
    Header,
    SrWriter,
    UidFactory,
    check_deviations,
    decimal_comma,
    document_ids,
    ds_str,
    observer_context,
    patient_characteristics,
    read_dataset,
    sr_document,
)

FLUORODEOXYGLUCOSE_F18: Final = Code("35321007", "SCT", "Fluorodeoxyglucose F^18^")
FLUORINE_18: Final = Code("77004003", "SCT", "^18^Fluorine")
INTRAVENOUS_ROUTE: Final = Code("47625008", "SCT", "Intravenous route")
PET_STUDY_FOR_LOCALIZATION_OF_TUMOR: Final = Code(
    "241443006", "SCT", "PET study for localization of tumor"
)
#: half-life of fluorine-18 in seconds
F18_HALF_LIFE_S: Final = 6586.2

ADRENAL_GLAND: Final = Code("23451007", "SCT", "Adrenal gland")
BRAIN: Final = Code("12738006", "SCT", "Brain")
HEART: Final = Code("80891009", "SCT", "Heart")
LIVER: Final = Code("10200004", "SCT", "Liver")
LUNG: Final = Code("39607008", "SCT", "Lung")
KIDNEY: Final = Code("64033007", "SCT", "Kidney")
URINARY_BLADDER: Final = Code("89837001", "SCT", "Urinary bladder")
THYROID: Final = Code("69748006", "SCT", "Thyroid")

#: FDG absorbed dose per administered activity (mGy/MBq), adult, ICRP Publication 128
#: order of magnitude; used only to make synthetic organ doses look plausible
FDG_ORGAN_DOSE_PER_MBQ: Final[tuple[tuple[Code, float], ...]] = (
    (BRAIN, 0.038),
    (HEART, 0.067),
    (LIVER, 0.021),
    (LUNG, 0.020),
    (KIDNEY, 0.017),
    (URINARY_BLADDER, 0.13),
    (THYROID, 0.010),
)

SUPPORTED_DEVIATIONS: Final = COMMON_DEVIATIONS - {
    Deviation.MISSING_ACCUMULATED,
    Deviation.TOTALS_DIFFER,
}


@dataclass(frozen=True, slots=True)
class OrganDoseSpec:
    """One Organ Dose Information container (TID 10023)."""

    organ: Code
    dose_mgy: float
    laterality: Code | None = None
    reference_authority: str = "ICRP Publication 128"


@dataclass(frozen=True, slots=True)
class AdministrationSpec:
    """One radiopharmaceutical administration (TID 10022)."""

    activity_mbq: float = 250.0
    agent: Code = FLUORODEOXYGLUCOSE_F18
    radionuclide: Code = FLUORINE_18
    half_life_s: float = F18_HALF_LIFE_S
    route: Code = INTRAVENOUS_ROUTE
    pre_administration_activity_mbq: float | None = None
    organ_doses: tuple[OrganDoseSpec, ...] = ()
    administration_event_uid: str | None = None
    #: seconds before the study time (injection precedes the scan)
    start_before_study_s: float = 3600.0
    duration_s: float = 30.0


@dataclass(frozen=True, slots=True)
class RadiopharmaceuticalReportSpec:
    """A radiopharmaceutical dose report (TID 10021)."""

    administrations: tuple[AdministrationSpec, ...] = (AdministrationSpec(),)
    associated_procedure: Code = PET_STUDY_FOR_LOCALIZATION_OF_TUMOR
    patient_characteristics: bool = True


def fdg_organ_doses(activity_mbq: float) -> tuple[OrganDoseSpec, ...]:
    """Plausible FDG organ doses for an activity (see :data:`FDG_ORGAN_DOSE_PER_MBQ`)."""
    return tuple(
        OrganDoseSpec(organ, round(activity_mbq * per_mbq, 3))
        for organ, per_mbq in FDG_ORGAN_DOSE_PER_MBQ
    )


def _organ(w: SrWriter, spec: OrganDoseSpec) -> bytes:
    items = [w.code(codes.FINDING_SITE, spec.organ, "HAS CONCEPT MOD")]
    if spec.laterality is not None:
        items.append(w.code(codes.LATERALITY, spec.laterality, "HAS CONCEPT MOD"))
    authority = w.text(codes.REFERENCE_AUTHORITY, spec.reference_authority, "HAS PROPERTIES")
    items.append(w.num(codes.ORGAN_DOSE, spec.dose_mgy, "mGy", children=[authority]))
    return w.container(codes.ORGAN_DOSE_INFORMATION, items)


def _administration(
    w: SrWriter, spec: AdministrationSpec, header: Header, uids: UidFactory, first: bool
) -> bytes:
    start = header.study.study_datetime - timedelta(seconds=spec.start_before_study_s)
    half_life: float | None = spec.half_life_s
    if first and w.has(Deviation.EMPTY_MEASURED_VALUE):
        half_life = None
    agent_children = [
        w.code(
            codes.RADIONUCLIDE,
            None if first and w.has(Deviation.EMPTY_CODED_VALUE) else spec.radionuclide,
            "HAS PROPERTIES",
        ),
        w.num(codes.RADIONUCLIDE_HALF_LIFE, half_life, "s", "HAS PROPERTIES"),
    ]
    items: list[bytes] = [
        w.code(codes.RADIOPHARMACEUTICAL_AGENT, spec.agent, children=agent_children)
    ]
    event_uid = spec.administration_event_uid or uids()
    if not w.has(Deviation.MISSING_EVENT_UID):
        items.append(w.uidref(codes.RADIOPHARMACEUTICAL_ADMINISTRATION_EVENT_UID, event_uid))
    items.append(w.datetime(codes.RADIOPHARMACEUTICAL_START_DATETIME, start))
    items.append(
        w.datetime(
            codes.RADIOPHARMACEUTICAL_STOP_DATETIME, start + timedelta(seconds=spec.duration_s)
        )
    )
    activity: float | str = spec.activity_mbq
    if first and w.has(Deviation.DS_DECIMAL_COMMA):
        activity = decimal_comma(spec.activity_mbq)
    elif first and w.has(Deviation.DS_SLASH_SEPARATOR):
        activity = f"{ds_str(spec.activity_mbq)}/{ds_str(spec.activity_mbq)}"
    items.append(w.num(codes.ADMINISTERED_ACTIVITY, activity, "MBq"))
    if spec.pre_administration_activity_mbq is not None:
        items.append(
            w.num(
                codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY,
                spec.pre_administration_activity_mbq,
                "MBq",
            )
        )
    items.extend(_organ(w, organ) for organ in spec.organ_doses)
    items.append(w.code(codes.ROUTE_OF_ADMINISTRATION, spec.route))
    return w.container(codes.RADIOPHARMACEUTICAL_ADMINISTRATION, items)


def radiopharmaceutical_report_bytes(
    spec: RadiopharmaceuticalReportSpec = RadiopharmaceuticalReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> bytes:
    """Part 10 bytes of a Radiopharmaceutical Radiation Dose SR (TID 10021)."""
    chosen = check_deviations(deviations, SUPPORTED_DEVIATIONS, "radiopharmaceutical")
    uids = uids or UidFactory(0, "radiopharmaceutical")
    w = SrWriter(chosen)
    ids = document_ids(header, uids, RADIOPHARMACEUTICAL_RDSR_SOP_CLASS)
    intent = w.code(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, "HAS CONCEPT MOD")
    content: list[bytes] = [
        w.code(
            codes.ASSOCIATED_PROCEDURE,
            spec.associated_procedure,
            "HAS CONCEPT MOD",
            children=[intent],
        )
    ]
    content.extend(observer_context(w, header.device))
    for index, administration in enumerate(spec.administrations):
        content.append(_administration(w, administration, header, uids, first=index == 0))
    if spec.patient_characteristics:
        content.append(patient_characteristics(w, header.patient, header.study.study_datetime))
    return sr_document(
        w,
        header,
        ids,
        title=codes.RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT,
        template_id="10021",
        content=content,
    )


def build_radiopharmaceutical_report(
    spec: RadiopharmaceuticalReportSpec = RadiopharmaceuticalReportSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    deviations: Iterable[Deviation] = (),
    uids: UidFactory | None = None,
) -> Dataset:
    """The pydicom Dataset (with file meta) of :func:`radiopharmaceutical_report_bytes`."""
    return read_dataset(
        radiopharmaceutical_report_bytes(spec, header, deviations=deviations, uids=uids)
    )
