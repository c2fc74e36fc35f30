"""Dose attributes of mammography images (MG For Presentation / For Processing, DBT).

One image is one :class:`MammographyIrradiationEvent`:

* Organ Dose (0040,0316), in dGy by the IOD, is the average glandular dose (AGD, mGy)
  when Organ Exposed (0040,0318) is BREAST (INFO finding for the unit);
* Entrance Dose in mGy (0040,8302) is the entrance exposure at the reference point
  (else Entrance Dose (0040,0302) in dGy);
* Body Part Thickness (0018,11A0) is the compression thickness (mm);
* Anode Target Material (0018,1191) and Filter Material (0018,7050) words are coded
  (CID 10016 / CID 10006); unknown words are kept in a finding;
* Image Laterality (0020,0062) and View Code Sequence (0054,0220).

Identity: the For Processing and the For Presentation image of one exposure must yield
the same event UID, so that the ledger counts the exposure once. The Irradiation Event
UID (0008,3010) is used when present; otherwise the UID is derived
(:func:`rdsr_parsers.images.identity.derived_uid`, kind ``MAMMOGRAPHY_EXPOSURE``) from
Device Serial Number (else Station Name), Acquisition DateTime (else Acquisition Date and
Time, else Content Date and Time), laterality letter, view code, kVp and exposure (mA.s),
which both twins share while their SOP Instance UIDs and Content Times differ.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_AGD,
    UNIT_LENGTH,
    UNIT_TIME,
    AccumulatedMammographyDose,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import sop
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import attributes as attr
from rdsr_parsers.images.common import read_facts
from rdsr_parsers.images.dx import (
    EXPOSURE_ATTRIBUTES,
    EXPOSURE_TIME_ATTRIBUTES,
    TUBE_CURRENT_ATTRIBUTES,
    entrance_dose,
    read_filters,
)
from rdsr_parsers.images.identity import derived_uid

_ORGAN_DOSE_TAG = 0x00400316
_ORGAN_EXPOSED_TAG = 0x00400318
_ANODE_TAG = 0x00181191
_EVENT_UID_TAG = 0x00083010
_BREAST = "BREAST"


def read_mammography_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """One mammography image header as a DoseReport (MAMMOGRAPHY)."""
    organ_dose = attr.number(ds, "OrganDose", ctx)
    entrance = entrance_dose(ds, ctx)
    if organ_dose is None and entrance is None:
        raise NotADoseObjectError(
            "MG image without dose attributes (no Organ Dose (0040,0316), no Entrance Dose "
            "(0040,0302)/(0040,8302))"
        )
    facts = read_facts(ds, ctx)
    agd = _average_glandular_dose(ds, organ_dose, ctx)
    letter, laterality = attr.laterality(ds)
    view = attr.code_in(ds, "ViewCodeSequence", ctx)
    kvp = attr.quantity(ds, "KVP", "kV", ctx)
    exposure = attr.first_quantity(ds, EXPOSURE_ATTRIBUTES, "mA.s", ctx)
    uid = attr.text(ds, "IrradiationEventUID")
    if uid is None:
        device = facts.device.serial_number or facts.device.station_name
        uid = derived_uid(
            "MAMMOGRAPHY_EXPOSURE",
            device,
            facts.started,
            letter,
            codes.code_str(view),
            None if kvp is None else kvp.value,
            None if exposure is None else exposure.value,
        )
        ctx.add(
            FindingCode.IDENTITY_DERIVED_EVENT_UID,
            f"no Irradiation Event UID (0008,3010); event UID {uid} derived from device, "
            "acquisition datetime, laterality, view, kVp and exposure (shared by the For "
            "Processing / For Presentation twins)",
            path=attr.tag_str(_EVENT_UID_TAG),
        )
    is_tomo = attr.text(ds, "SOPClassUID") == sop.BREAST_TOMOSYNTHESIS
    event = MammographyIrradiationEvent(
        irradiation_event_uid=uid.split("\\")[0],
        event_type=codes.ROTATIONAL_ACQUISITION if is_tomo else codes.STATIONARY_ACQUISITION,
        datetime_started=facts.started,
        acquisition_protocol=attr.text(ds, "ProtocolName"),
        anatomical_structure=attr.code_in(ds, "AnatomicRegionSequence", ctx) or codes.BREAST,
        laterality=laterality,
        image_view=view,
        average_glandular_dose=agd,
        entrance_exposure_at_rp=None if entrance is None else entrance.value,
        compression_thickness=attr.quantity(ds, "BodyPartThickness", UNIT_LENGTH, ctx),
        anode_target_material=_anode(ds, ctx),
        filters=read_filters(ds, ctx),
        kvp=() if kvp is None else (kvp,),
        tube_current=_optional(attr.first_quantity(ds, TUBE_CURRENT_ATTRIBUTES, "mA", ctx)),
        exposure_time=attr.first_quantity(ds, EXPOSURE_TIME_ATTRIBUTES, UNIT_TIME, ctx),
        exposure=exposure,
        positioner_primary_angle=attr.quantity(ds, "PositionerPrimaryAngle", "deg", ctx),
        distance_source_to_detector=attr.quantity(ds, "DistanceSourceToDetector", UNIT_LENGTH, ctx),
        comment=attr.text(ds, "CommentsOnRadiationDose"),
    )
    accumulated: tuple[AccumulatedMammographyDose, ...] = ()
    if agd is not None:
        accumulated = (AccumulatedMammographyDose(laterality, agd),)
    return facts.report(
        DoseModality.MAMMOGRAPHY,
        events=(event,),
        mammography_accumulated=accumulated,
        presentation_intent=attr.text(ds, "PresentationIntentType"),
    )


def _optional(value: Quantity | None) -> tuple[Quantity, ...]:
    return () if value is None else (value,)


def _average_glandular_dose(
    ds: Dataset, organ_dose_dgy: float | None, ctx: ParseContext
) -> Quantity | None:
    if organ_dose_dgy is None:
        return None
    organ = attr.text(ds, "OrganExposed")
    if organ is not None and organ.upper() != _BREAST:
        ctx.add(
            FindingCode.VALUE_UNEXPECTED_ORGAN,
            f"Organ Exposed {organ[:16]!r} is not BREAST; Organ Dose not read as AGD",
            path=attr.tag_str(_ORGAN_EXPOSED_TAG),
        )
        return None
    agd = Quantity(organ_dose_dgy, "dGy").to(UNIT_AGD)
    ctx.add(
        FindingCode.UNIT_IOD_CONVENTION,
        f"Organ Dose {organ_dose_dgy:g} dGy (unit of the IOD) read as average glandular "
        f"dose {agd.value:g} mGy",
        path=attr.tag_str(_ORGAN_DOSE_TAG),
    )
    return agd


def _anode(ds: Dataset, ctx: ParseContext) -> Code | None:
    word = attr.text(ds, "AnodeTargetMaterial")
    if word is None:
        return None
    code = attr.material_code(word)
    if code is None:
        ctx.add(
            FindingCode.CODE_UNMAPPED_TEXT,
            f"anode target material {word[:24]!r} has no CID 10016 code; not coded",
            path=attr.tag_str(_ANODE_TAG),
        )
    return code
