"""Radiopharmaceutical Radiation Dose SR (TID 10021) into a :class:`DoseReport`.

Reads every Radiopharmaceutical Administration (TID 10022 Radiopharmaceutical
Administration Event Data) with its Organ Dose Information containers (TID 10023),
the reported effective dose, and the Radiopharmaceutical Administration Patient
Characteristics (TID 10024) with the Patient Laboratory Results (TID 10025).

Everything numeric without a dedicated field is kept as a :class:`Measurement` in the
administration's ``other_measurements`` (patient characteristics included), so nothing
is lost. Organ and effective doses are kept as reported, with their reference authority.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import CodeKey, code_key
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_ACTIVITY,
    UNIT_EFFECTIVE_DOSE,
    UNIT_ORGAN_DOSE,
    UNIT_TIME,
    DoseModality,
    DoseReport,
    Measurement,
    OrganDose,
    PatientFacts,
    RadiopharmaceuticalAdministration,
)
from dosewatch.domain.units import Quantity, dimension_of
from rdsr_parsers import quirks
from rdsr_parsers.common import SrDocument
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images.identity import administration_uid
from rdsr_parsers.sr import (
    ContentItem,
    code_of,
    codes_of,
    datetime_of,
    read_code,
    read_numbers,
    read_quantity,
    read_text,
    require,
    require_event_uid,
    text_of,
)
from rdsr_parsers.values import as_text

#: concepts of TID 10022 read into dedicated fields (never duplicated as Measurements)
_ADMINISTRATION_FIELDS: frozenset[CodeKey] = frozenset(
    code_key(c)
    for c in (
        codes.RADIOPHARMACEUTICAL_AGENT,
        codes.RADIONUCLIDE,
        codes.RADIONUCLIDE_HALF_LIFE,
        codes.RADIOPHARMACEUTICAL_ADMINISTRATION_EVENT_UID,
        codes.INTRAVENOUS_EXTRAVASATION_SYMPTOMS,
        codes.RADIOPHARMACEUTICAL_START_DATETIME,
        codes.RADIOPHARMACEUTICAL_STOP_DATETIME,
        codes.ADMINISTERED_ACTIVITY,
        codes.ESTIMATED_EXTRAVASATION_ACTIVITY,
        codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY,
        codes.POST_ADMINISTRATION_MEASURED_ACTIVITY,
        codes.ROUTE_OF_ADMINISTRATION,
        codes.ORGAN_DOSE_INFORMATION,
        codes.EFFECTIVE_DOSE,
        codes.COMMENT,
    )
)
_PERCENT = "%"
_AGE_UNITS = frozenset({"a", "mo", "wk", "d"})


def read_radiopharmaceutical_report(document: SrDocument, ctx: ParseContext) -> DoseReport:
    """The administrations of a TID 10021 document, modality NUCLEAR_MEDICINE."""
    root = document.root
    containers = root.all(codes.RADIOPHARMACEUTICAL_ADMINISTRATION)
    if not containers:
        raise MissingMandatoryItemError(
            "Radiopharmaceutical Radiation Dose SR without any Radiopharmaceutical "
            "Administration container (DCM:113502, TID 10022)",
            content_path="root",
            concept="DCM:113502",
        )
    document = _procedure(document, ctx)
    characteristics = root.first(codes.PATIENT_CHARACTERISTICS)
    patient_measurements: tuple[Measurement, ...] = ()
    if characteristics is not None:
        patient_measurements = _numeric_measurements(characteristics, ctx, exclude=frozenset())
        document = dataclasses.replace(
            document, patient=_complete_patient(document.patient, characteristics, ctx)
        )
    events = tuple(
        _administration(container, document, patient_measurements, ctx) for container in containers
    )
    return document.report(DoseModality.NUCLEAR_MEDICINE, events=events)


# --------------------------------------------------------------------------- TID 10021 root


def _procedure(document: SrDocument, ctx: ParseContext) -> SrDocument:
    """TID 10021 names the procedure with Associated Procedure (SRT G-C2D0), not 121058."""
    if document.procedure_reported is not None:
        return document
    item = document.root.first(codes.ASSOCIATED_PROCEDURE)
    if item is None:
        return document
    return dataclasses.replace(
        document,
        procedure_reported=read_code(item, ctx),
        has_intent=code_of(item, codes.HAS_INTENT, ctx),
    )


# --------------------------------------------------------------------------- TID 10022


def _administration(
    container: ContentItem,
    document: SrDocument,
    patient_measurements: tuple[Measurement, ...],
    ctx: ParseContext,
) -> RadiopharmaceuticalAdministration:
    agent = radionuclide = None
    half_life = None
    agent_item = require(container, codes.RADIOPHARMACEUTICAL_AGENT, ctx, what="agent")
    if agent_item is not None:
        agent = read_code(agent_item, ctx)
        nuclide_item = require(agent_item, codes.RADIONUCLIDE, ctx, what="radionuclide")
        if nuclide_item is not None:
            radionuclide = read_code(nuclide_item, ctx)
        half_life_item = require(
            agent_item, codes.RADIONUCLIDE_HALF_LIFE, ctx, what="radionuclide half life"
        )
        if half_life_item is not None:
            half_life = read_quantity(half_life_item, ctx, to_unit=UNIT_TIME, expect_unit="s")
    activity = _activity(container, codes.ADMINISTERED_ACTIVITY, ctx, mandatory=True)
    start = _mandatory_datetime(container, ctx)
    uid = _administration_uid(container, document, agent, start, activity, ctx)
    route = site = None
    route_item = require(container, codes.ROUTE_OF_ADMINISTRATION, ctx, what="route")
    if route_item is not None:
        route = read_code(route_item, ctx)
        site = code_of(route_item, codes.SITE_OF, ctx)
    extravasation_pct, extravasation = _extravasation(container, activity, ctx)
    effective, method, authority = _effective_dose(container, ctx)
    measurements = _numeric_measurements(container, ctx, exclude=_ADMINISTRATION_FIELDS)
    if extravasation_pct is not None:
        measurements = (extravasation_pct, *measurements)
    return RadiopharmaceuticalAdministration(
        administration_event_uid=uid,
        radiopharmaceutical_agent=agent,
        radiopharmaceutical_name=None if agent is None else agent.meaning,
        radionuclide=radionuclide,
        radionuclide_half_life=half_life,
        administered_activity=activity,
        pre_administration_measured_activity=_activity(
            container, codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY, ctx
        ),
        post_administration_measured_activity=_activity(
            container, codes.POST_ADMINISTRATION_MEASURED_ACTIVITY, ctx
        ),
        route_of_administration=route,
        site_of_administration=site,
        start_datetime=start,
        stop_datetime=datetime_of(container, codes.RADIOPHARMACEUTICAL_STOP_DATETIME, ctx),
        intravenous_extravasation_symptoms=codes_of(
            container, codes.INTRAVENOUS_EXTRAVASATION_SYMPTOMS, ctx
        ),
        estimated_extravasation_activity=extravasation,
        organ_doses=tuple(
            dose
            for item in container.all(codes.ORGAN_DOSE_INFORMATION)
            if (dose := _organ_dose(item, ctx)) is not None
        ),
        reported_effective_dose=effective,
        reported_effective_dose_method=method,
        reported_dose_authority=authority,
        comment=text_of(container, codes.COMMENT),
        other_measurements=measurements + patient_measurements,
    )


def _activity(
    container: ContentItem, concept: Code, ctx: ParseContext, *, mandatory: bool = False
) -> Quantity | None:
    if mandatory:
        item = require(container, concept, ctx, what="administered activity")
    else:
        item = container.first(concept)
    if item is None:
        return None
    return read_quantity(item, ctx, to_unit=UNIT_ACTIVITY, expect_unit="MBq")


def _mandatory_datetime(container: ContentItem, ctx: ParseContext) -> datetime | None:
    item = require(container, codes.RADIOPHARMACEUTICAL_START_DATETIME, ctx, what="start datetime")
    return (
        None
        if item is None
        else datetime_of(container, codes.RADIOPHARMACEUTICAL_START_DATETIME, ctx)
    )


def _administration_uid(
    container: ContentItem,
    document: SrDocument,
    agent: Code | None,
    start: datetime | None,
    activity: Quantity | None,
    ctx: ParseContext,
) -> str:
    uid = require_event_uid(container, codes.RADIOPHARMACEUTICAL_ADMINISTRATION_EVENT_UID, ctx)
    if uid is not None:
        return uid
    agent_key = None if agent is None else codes.code_str(agent)
    derived = administration_uid(
        document.study.study_instance_uid,
        agent_key,
        start,
        None if activity is None else activity.value,
    )
    ctx.add(
        FindingCode.IDENTITY_DERIVED_EVENT_UID,
        f"administration without an event UID; derived {derived} from study, agent, "
        "start datetime and activity",
        path=container.path,
        concept="DCM:113503",
    )
    return derived


def _extravasation(
    container: ContentItem, activity: Quantity | None, ctx: ParseContext
) -> tuple[Measurement | None, Quantity | None]:
    """Estimated Extravasation Activity: TID 10022 sends a percentage of the activity.

    The percentage is kept as a Measurement; the activity in MBq is derived from the
    administered activity (INFO finding). An activity unit is accepted as such.
    """
    item = container.first(codes.ESTIMATED_EXTRAVASATION_ACTIVITY)
    if item is None:
        return None, None
    numbers, unit = read_numbers(item, ctx)
    if not numbers or unit is None:
        return None, None
    where = {"path": item.path, "concept": item.concept_str}
    if unit == _PERCENT:
        percent = Measurement(_concept_of(item), Quantity(numbers[0], unit), item.path)
        if activity is None:
            return percent, None
        derived = Quantity(activity.value * numbers[0] / 100.0, UNIT_ACTIVITY)
        ctx.add(
            FindingCode.VALUE_DERIVED,
            f"extravasated activity {derived} derived from {numbers[0]:g} % of the "
            f"administered {activity}",
            **where,
        )
        return percent, derived
    if dimension_of(unit) == "activity":
        ctx.add(
            FindingCode.UNIT_UNEXPECTED,
            f"extravasation sent as an activity ({unit}) where TID 10022 prescribes %; "
            "read as activity",
            **where,
        )
        return None, Quantity(numbers[0], unit).to(UNIT_ACTIVITY)
    ctx.add(
        FindingCode.UNIT_INCONVERTIBLE,
        f"estimated extravasation in {unit!r}; neither % nor activity; not used",
        **where,
    )
    return None, None


# --------------------------------------------------------------------------- TID 10023


def _code_or_text(item: ContentItem | None, ctx: ParseContext) -> Code | str | None:
    """A concept the template allows as CODE or TEXT (Reference Authority, method)."""
    if item is None:
        return None
    if item.value_type == "TEXT":
        return read_text(item)
    return read_code(item, ctx)


def _organ_dose(container: ContentItem, ctx: ParseContext) -> OrganDose | None:
    site_item = require(container, codes.FINDING_SITE, ctx, what="organ (Finding Site)")
    dose_item = require(container, codes.ORGAN_DOSE, ctx, what="Organ Dose")
    organ = None if site_item is None else read_code(site_item, ctx)
    dose = (
        None
        if dose_item is None
        else read_quantity(dose_item, ctx, to_unit=UNIT_ORGAN_DOSE, expect_unit="mGy")
    )
    if organ is None or dose is None or dose_item is None:
        ctx.add(
            FindingCode.VALUE_DROPPED,
            "organ dose without organ code or dose value; not used",
            path=container.path,
            concept="DCM:113517",
        )
        return None
    laterality = code_of(container, codes.LATERALITY, ctx)
    if laterality is None and site_item is not None:
        laterality = code_of(site_item, codes.LATERALITY, ctx)
    mass = None
    method: Code | str | None = _code_or_text(dose_item.first(codes.MEASUREMENT_METHOD), ctx)
    mass_item = container.first(codes.MASS)
    if mass_item is not None:
        mass = read_quantity(mass_item, ctx, to_unit="g", expect_unit="g")
        if method is None:
            method = _code_or_text(mass_item.first(codes.MEASUREMENT_METHOD), ctx)
    return OrganDose(
        organ=organ,
        laterality=laterality,
        dose=dose,
        mass=mass,
        method=method,
        reference_authority=_code_or_text(dose_item.first(codes.REFERENCE_AUTHORITY), ctx),
    )


def _effective_dose(
    container: ContentItem, ctx: ParseContext
) -> tuple[Quantity | None, Code | str | None, Code | str | None]:
    """The reported effective dose, wherever the device nests it inside the administration.

    Siemens wraps it in a private container (99SHS 220001 "Effective Dose Information",
    quirk RP01); it is found by its standard concept (DCM 113839) at any depth outside
    the organ dose containers.
    """
    items = [
        item
        for item in _walk_outside(container, code_key(codes.ORGAN_DOSE_INFORMATION))
        if item.concept == code_key(codes.EFFECTIVE_DOSE) and item.value_type == "NUM"
    ]
    if not items:
        return None, None, None
    item = items[0]
    if len(items) > 1:
        ctx.add(
            FindingCode.VALUE_MULTIPLE,
            f"{len(items)} effective doses in one administration; the first is used",
            path=item.path,
            concept=item.concept_str,
        )
    if item not in container.children:
        parent = next(c for c in container.children if any(d is item for d in c.walk()))
        quirk = quirks.lookup(
            "nested_effective_dose", parent.concept_str, ctx.manufacturer, ctx.model
        )
        label = f" (quirk {quirk.quirk_id})" if quirk is not None else ""
        ctx.add(
            FindingCode.TEMPLATE_NONSTANDARD_CONTAINER,
            f"effective dose nested in container {parent.concept_str}{label}; read as reported",
            path=item.path,
            concept=item.concept_str,
        )
    dose = read_quantity(item, ctx, to_unit=UNIT_EFFECTIVE_DOSE, expect_unit="mSv")
    method = _code_or_text(item.first(codes.MEASUREMENT_METHOD), ctx)
    authority = _code_or_text(item.first(codes.REFERENCE_AUTHORITY), ctx)
    return dose, method, authority


def _walk_outside(container: ContentItem, skip: CodeKey) -> list[ContentItem]:
    out: list[ContentItem] = []
    stack = list(reversed(container.children))
    while stack:
        item = stack.pop()
        if item.concept == skip:
            continue
        out.append(item)
        stack.extend(reversed(item.children))
    return out


# --------------------------------------------------------------------------- measurements


def _concept_of(item: ContentItem) -> Code:
    seq = item.dataset.get("ConceptNameCodeSequence")
    meaning = None
    if seq:
        meaning = as_text(seq[0].get("CodeMeaning"))
    return Code(item.concept[1], item.concept[0], meaning or item.concept[1])


def _numeric_measurements(
    container: ContentItem, ctx: ParseContext, *, exclude: frozenset[CodeKey]
) -> tuple[Measurement, ...]:
    """Every NUM item under ``container`` (outside ``exclude`` subtrees), kept as sent."""
    out: list[Measurement] = []
    stack = list(reversed(container.children))
    while stack:
        item = stack.pop()
        if item.concept in exclude:
            continue
        stack.extend(reversed(item.children))
        if item.value_type != "NUM" or not item.concept[0]:
            continue
        numbers, unit = read_numbers(item, ctx)
        value = None if not numbers or unit is None else Quantity(numbers[0], unit)
        out.append(Measurement(_concept_of(item), value, item.path))
    return tuple(out)


# --------------------------------------------------------------------------- TID 10024


def _complete_patient(
    patient: PatientFacts, characteristics: ContentItem, ctx: ParseContext
) -> PatientFacts:
    """Fill age, sex, weight and height the header lacks from TID 10024 (INFO finding)."""
    updates: dict[str, Any] = {}
    if patient.weight is None:
        updates["weight"] = _characteristic(characteristics, codes.BODY_WEIGHT, "kg", ctx)
    if patient.height is None:
        updates["height"] = _characteristic(characteristics, codes.BODY_HEIGHT, "m", ctx)
    if patient.age is None:
        item = characteristics.first(codes.SUBJECT_AGE)
        if item is not None:
            numbers, unit = read_numbers(item, ctx)
            if numbers and unit in _AGE_UNITS:
                updates["age"] = Quantity(numbers[0], unit)
    if patient.sex is None:
        sex_code = code_of(characteristics, codes.SUBJECT_SEX, ctx)
        updates["sex"] = _sex_letter(sex_code)
    present = {k: v for k, v in updates.items() if v is not None}
    if not present:
        return patient
    ctx.add(
        FindingCode.PATIENT_FROM_TEMPLATE,
        f"patient {', '.join(sorted(present))} absent from the header; taken from the "
        "Radiopharmaceutical Administration Patient Characteristics (TID 10024)",
        path=characteristics.path,
        concept="DCM:121118",
    )
    return dataclasses.replace(patient, **present)


def _characteristic(
    parent: ContentItem, concept: Code, unit: str, ctx: ParseContext
) -> Quantity | None:
    item = parent.first(concept)
    return None if item is None else read_quantity(item, ctx, to_unit=unit)


def _sex_letter(code: Code | None) -> str | None:
    if code is None:
        return None
    key = code_key(code)
    if key in codes.SEX_MALE_KEYS:
        return "M"
    if key in codes.SEX_FEMALE_KEYS:
        return "F"
    if key in codes.SEX_OTHER_KEYS:
        return "O"
    return None
