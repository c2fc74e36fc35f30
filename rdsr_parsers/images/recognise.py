"""Content-first recognition of image objects: the dose content decides the reader.

The SOP Class names where an IOD puts its dose attributes, but vendors put them elsewhere
(a CT dose screen as a DX image, a mammography Organ Dose in a DX object, an NM
Radiopharmaceutical Information Sequence in a Secondary Capture, an SOP Class we have
never seen). :func:`recognise` looks for every dose attribute of PS3.3 wherever the
object carries it — CTDIvol (0018,9345) at the top level or in the CT Exposure functional
group, Exposure Dose Sequence (0040,030E), Organ Dose (0040,0316), Entrance Dose in dGy
(0040,0302) and in mGy (0040,8302), Image and Fluoroscopy Area Dose Product (0018,115E),
Radiopharmaceutical Information Sequence (0054,0016) — and weighs Modality, Body Part
Examined, breast thickness and anode target material, Image Type, Anatomic Region and
Manufacturer. When the content decides differently from the SOP Class, or the SOP Class
is not a known image class, the decision is a ``recognition.by_content`` finding naming
the evidence. An object with none of these attributes is rejected, the error listing
what was looked for.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode
from rdsr_parsers import sop
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images.attributes import text, texts


class DoseFamily(enum.Enum):
    """Which image reader an object's dose content calls for."""

    CT = "CT image (CTDIvol)"
    CT_DOSE_SCREEN = "CT dose screen (Exposure Dose Sequence)"
    PROJECTION = "projection image (DAP / entrance dose)"
    MAMMOGRAPHY = "mammography image (Organ Dose / entrance dose of a breast)"
    RADIOPHARMACEUTICAL = "NM/PET image (Radiopharmaceutical Information Sequence)"


#: every dose attribute looked for, as named in the rejection of an object without any
LOOKED_FOR = (
    "CTDIvol (0018,9345) at the top level or in the CT Exposure functional group",
    "Exposure Dose Sequence (0040,030E) with CTDIvol",
    "Organ Dose (0040,0316)",
    "Entrance Dose (0040,0302) and Entrance Dose in mGy (0040,8302)",
    "Image and Fluoroscopy Area Dose Product (0018,115E)",
    "Radiopharmaceutical Information Sequence (0054,0016)",
)

BY_SOP_CLASS: dict[str, DoseFamily] = {
    sop.CT_IMAGE: DoseFamily.CT,
    sop.ENHANCED_CT_IMAGE: DoseFamily.CT,
    sop.SECONDARY_CAPTURE: DoseFamily.CT_DOSE_SCREEN,
    sop.CR_IMAGE: DoseFamily.PROJECTION,
    sop.DX_PRESENTATION: DoseFamily.PROJECTION,
    sop.DX_PROCESSING: DoseFamily.PROJECTION,
    sop.IO_PRESENTATION: DoseFamily.PROJECTION,
    sop.IO_PROCESSING: DoseFamily.PROJECTION,
    sop.XA_IMAGE: DoseFamily.PROJECTION,
    sop.RF_IMAGE: DoseFamily.PROJECTION,
    sop.MG_PRESENTATION: DoseFamily.MAMMOGRAPHY,
    sop.MG_PROCESSING: DoseFamily.MAMMOGRAPHY,
    sop.BREAST_TOMOSYNTHESIS: DoseFamily.MAMMOGRAPHY,
    sop.NM_IMAGE: DoseFamily.RADIOPHARMACEUTICAL,
    sop.PET_IMAGE: DoseFamily.RADIOPHARMACEUTICAL,
    sop.ENHANCED_PET_IMAGE: DoseFamily.RADIOPHARMACEUTICAL,
}

_BREAST_WORDS = ("BREAST", "MAMMO")
#: anode target materials only mammography tubes use (CID 10016 defined terms)
_MAMMOGRAPHY_ANODES = frozenset({"MOLYBDENUM", "RHODIUM", "SILVER"})


@dataclass(frozen=True, slots=True)
class DoseContent:
    """The dose attributes an object carries, per family, and the breast evidence."""

    ctdivol: bool
    exposure_dose_ctdivol: bool
    organ_dose: bool
    entrance_dose: bool
    area_dose_product: bool
    radiopharmaceutical: bool
    breast_evidence: tuple[str, ...]

    def families(self) -> tuple[DoseFamily, ...]:
        """Families whose dose content is present, most specific first."""
        out: list[DoseFamily] = []
        if self.exposure_dose_ctdivol:
            out.append(DoseFamily.CT_DOSE_SCREEN)
        if self.ctdivol:
            out.append(DoseFamily.CT)
        if self.radiopharmaceutical:
            out.append(DoseFamily.RADIOPHARMACEUTICAL)
        if (self.organ_dose or self.entrance_dose) and self.breast_evidence:
            out.append(DoseFamily.MAMMOGRAPHY)
        if self.area_dose_product or self.entrance_dose:
            out.append(DoseFamily.PROJECTION)
        return tuple(out)

    def evidence(self, family: DoseFamily) -> str:
        found = {
            DoseFamily.CT: ["CTDIvol (0018,9345)"] if self.ctdivol else [],
            DoseFamily.CT_DOSE_SCREEN: ["Exposure Dose Sequence (0040,030E) with CTDIvol"],
            DoseFamily.RADIOPHARMACEUTICAL: ["Radiopharmaceutical Information Sequence"],
            DoseFamily.MAMMOGRAPHY: [
                *(["Organ Dose (0040,0316)"] if self.organ_dose else []),
                *(["Entrance Dose"] if self.entrance_dose else []),
                *self.breast_evidence,
            ],
            DoseFamily.PROJECTION: [
                *(["Area Dose Product (0018,115E)"] if self.area_dose_product else []),
                *(["Entrance Dose"] if self.entrance_dose else []),
            ],
        }[family]
        return ", ".join(found)


def _present(ds: Dataset, keyword: str) -> bool:
    value = ds.get(keyword)
    return value is not None and str(value).strip() != ""


def _ct_exposure(ds: Dataset) -> bool:
    if _present(ds, "CTDIvol"):
        return True
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        for group in (ds.get(groups) or ())[:1]:
            for exposure in group.get("CTExposureSequence") or ():
                if _present(exposure, "CTDIvol"):
                    return True
    return False


def _breast_evidence(ds: Dataset) -> tuple[str, ...]:
    evidence: list[str] = []
    if (text(ds, "Modality") or "").upper() == "MG":
        evidence.append("Modality MG")
    body_part = (text(ds, "BodyPartExamined") or "").upper()
    if any(word in body_part for word in _BREAST_WORDS):
        evidence.append(f"Body Part Examined {body_part[:16]}")
    organ = (text(ds, "OrganExposed") or "").upper()
    if organ == "BREAST":
        evidence.append("Organ Exposed BREAST")
    anode = (text(ds, "AnodeTargetMaterial") or "").upper()
    if anode in _MAMMOGRAPHY_ANODES:
        evidence.append(f"Anode Target Material {anode}")
    if _present(ds, "BodyPartThickness") and _present(ds, "CompressionForce"):
        evidence.append("breast thickness and compression force")
    if any("MAMMO" in value.upper() for value in texts(ds, "ImageType")):
        evidence.append("Image Type MAMMO")
    for region in ds.get("AnatomicRegionSequence") or ():
        meaning = (text(region, "CodeMeaning") or "").upper()
        if "BREAST" in meaning:
            evidence.append("Anatomic Region breast")
            break
    return tuple(evidence)


def dose_content(ds: Dataset) -> DoseContent:
    """Every dose attribute of PS3.3 the object carries, wherever it puts it."""
    screen = any(_present(item, "CTDIvol") for item in ds.get("ExposureDoseSequence") or ())
    return DoseContent(
        ctdivol=_ct_exposure(ds),
        exposure_dose_ctdivol=screen,
        organ_dose=_present(ds, "OrganDose"),
        entrance_dose=_present(ds, "EntranceDose") or _present(ds, "EntranceDoseInmGy"),
        area_dose_product=_present(ds, "ImageAndFluoroscopyAreaDoseProduct"),
        radiopharmaceutical=bool(ds.get("RadiopharmaceuticalInformationSequence")),
        breast_evidence=_breast_evidence(ds),
    )


#: the Modality values each family's IODs define
_MODALITIES = {
    DoseFamily.CT: frozenset({"CT"}),
    DoseFamily.CT_DOSE_SCREEN: frozenset({"CT", "OT", "SC"}),
    DoseFamily.PROJECTION: frozenset({"CR", "DX", "PX", "IO", "XA", "RF"}),
    DoseFamily.MAMMOGRAPHY: frozenset({"MG"}),
    DoseFamily.RADIOPHARMACEUTICAL: frozenset({"NM", "PT"}),
}


def _note_device(ds: Dataset, family: DoseFamily, ctx: ParseContext) -> None:
    """Findings for a Modality that contradicts the content, and for an empty Manufacturer."""
    modality = text(ds, "Modality")
    if modality not in _MODALITIES[family]:
        ctx.add(
            FindingCode.RECOGNITION_MODALITY_MISMATCH,
            f"Modality {modality or 'absent'} where the dose content is that of a "
            f"{family.value}; the report's modality follows the content",
            path="(0008,0060)",
        )
    if not text(ds, "Manufacturer"):
        ctx.add(
            FindingCode.DEVICE_MANUFACTURER_MISSING,
            "Manufacturer (0008,0070) empty or absent; no vendor quirk can apply and the "
            "conformance report lists the object under an unknown manufacturer",
            path="(0008,0070)",
        )


def _what(ds: Dataset) -> str:
    sop_class = text(ds, "SOPClassUID") or "none"
    modality = text(ds, "Modality") or "none"
    manufacturer = text(ds, "Manufacturer")
    made = f", Manufacturer {manufacturer[:32]}" if manufacturer else ", no Manufacturer"
    return f"SOP Class {sop_class}, Modality {modality}{made}"


def recognise(ds: Dataset, ctx: ParseContext) -> DoseFamily:
    """The reader family the object's dose content calls for; a finding when not the SOP's."""
    content = dose_content(ds)
    families: Sequence[DoseFamily] = content.families()
    expected = BY_SOP_CLASS.get(text(ds, "SOPClassUID") or "")
    if not families:
        modality = text(ds, "Modality")
        kind = "object" if expected is None else f"{modality or 'unknown modality'} image"
        raise NotADoseObjectError(
            f"{kind} without dose attributes ({_what(ds)}); looked for " + "; ".join(LOOKED_FOR)
        )
    chosen = expected if expected is not None and expected in families else families[0]
    _note_device(ds, chosen, ctx)
    if chosen is expected:
        return chosen
    declared = "an unknown image class" if expected is None else expected.value
    ctx.add(
        FindingCode.RECOGNITION_BY_CONTENT,
        f"{_what(ds)} names {declared}, but the object carries {content.evidence(chosen)}; "
        f"read as {chosen.value}",
    )
    return chosen
