"""Synthetic image objects whose dose content is not where their SOP Class leads.

:func:`image_header_bytes` writes a small, valid Part 10 image header (no pixel data) for
each :class:`HeaderDeviation` class of issue #12 — dose content in an IOD that does not
define it, an unknown SOP Class, an empty Manufacturer, CTDIvol only in a functional group,
no dose content at all, UTF-8 text decoded as Latin-1 — so that content-first recognition
has one deterministic case per class. Values are fixed and realistic (a chest DX of
0.12 dGy.cm2, a CT acquisition of 12.5 mGy CTDIvol, 350 MBq of Tc-99m, an MG Organ Dose of
0.013 dGy); UIDs derive from the deviation name, never from randomness.
"""

from __future__ import annotations

import enum
import hashlib
import io
from typing import Final

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

CT_IMAGE: Final = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE: Final = "1.2.840.10008.5.1.4.1.1.2.1"
DX_PRESENTATION: Final = "1.2.840.10008.5.1.4.1.1.1.1"
SECONDARY_CAPTURE: Final = "1.2.840.10008.5.1.4.1.1.7"
#: Enhanced XA Image Storage: an image class the header readers do not route by name
ENHANCED_XA_IMAGE: Final = "1.2.840.10008.5.1.4.1.1.12.1.1"

#: what each case carries, for the tests (CTDIvol mGy, DAP dGy.cm2, activity MBq, AGD dGy)
CTDIVOL_MGY: Final = 12.5
DAP_DGY_CM2: Final = 0.12
ACTIVITY_MBQ: Final = 350.0
ORGAN_DOSE_DGY: Final = 0.013
#: a German name with umlauts, written as UTF-8 bytes under ISO_IR 100 (Latin-1)
MOJIBAKE_NAME: Final = "Müller^Jürgen"
MOJIBAKE_INSTITUTION: Final = "Klinikum Süd"


class HeaderDeviation(enum.StrEnum):
    """Classes of image objects whose dose content the SOP Class does not announce."""

    #: CTDIvol (a CT dose) in a DX Image object
    CT_DOSE_IN_DX_CLASS = "ct_dose_in_dx_class"
    #: Organ Dose of a breast (Modality MG, Body Part BREAST, molybdenum anode) in DX
    MG_DOSE_IN_DX_CLASS = "mg_dose_in_dx_class"
    #: Radiopharmaceutical Information Sequence in a Secondary Capture
    NM_IN_SECONDARY_CAPTURE = "nm_in_secondary_capture"
    #: Area Dose Product in an SOP Class the readers do not know (Enhanced XA)
    UNKNOWN_SOP_CLASS = "unknown_sop_class"
    #: DAP in a DX image with an empty Manufacturer and Modality OT
    EMPTY_MANUFACTURER = "empty_manufacturer"
    #: Enhanced CT with CTDIvol only in the shared CT Exposure functional group
    CTDIVOL_IN_FUNCTIONAL_GROUP = "ctdivol_in_functional_group"
    #: a DX image without any dose attribute (rejected, naming what was looked for)
    NO_DOSE_CONTENT = "no_dose_content"
    #: a DX image whose UTF-8 names are declared ISO_IR 100 (read as mojibake)
    MOJIBAKE = "mojibake"


def _uid(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def _base(deviation: HeaderDeviation, sop_class: str, modality: str) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = _uid("sop", deviation.value)
    ds.StudyInstanceUID = _uid("study", deviation.value)
    ds.SeriesInstanceUID = _uid("series", deviation.value)
    ds.Modality = modality
    ds.Manufacturer = "SYNTH MEDICAL"
    ds.ManufacturerModelName = "Header 1"
    ds.SoftwareVersions = "1.0"
    ds.StudyDate = "20260115"
    ds.StudyTime = "101500"
    ds.AcquisitionDateTime = "20260115101700"
    ds.PatientName = "Synth^Header"
    ds.PatientID = f"SYN-{deviation.value[:12]}"
    ds.PatientSex = "F"
    ds.PatientAge = "054Y"
    return ds


def _build(deviation: HeaderDeviation) -> Dataset:
    if deviation is HeaderDeviation.CT_DOSE_IN_DX_CLASS:
        ds = _base(deviation, DX_PRESENTATION, "CT")
        ds.CTDIvol = CTDIVOL_MGY
        ds.KVP = 120
        return ds
    if deviation is HeaderDeviation.MG_DOSE_IN_DX_CLASS:
        ds = _base(deviation, DX_PRESENTATION, "MG")
        ds.BodyPartExamined = "BREAST"
        ds.AnodeTargetMaterial = "MOLYBDENUM"
        ds.BodyPartThickness = 52
        ds.OrganDose = ORGAN_DOSE_DGY
        ds.OrganExposed = "BREAST"
        ds.ImageLaterality = "L"
        ds.KVP = 28
        return ds
    if deviation is HeaderDeviation.NM_IN_SECONDARY_CAPTURE:
        ds = _base(deviation, SECONDARY_CAPTURE, "NM")
        item = Dataset()
        item.Radiopharmaceutical = "Tc-99m MDP"
        item.RadionuclideTotalDose = ACTIVITY_MBQ
        item.RadiopharmaceuticalStartDateTime = "20260115091500"
        ds.RadiopharmaceuticalInformationSequence = Sequence([item])
        return ds
    if deviation is HeaderDeviation.UNKNOWN_SOP_CLASS:
        ds = _base(deviation, ENHANCED_XA_IMAGE, "XA")
        ds.ImageAndFluoroscopyAreaDoseProduct = DAP_DGY_CM2
        return ds
    if deviation is HeaderDeviation.EMPTY_MANUFACTURER:
        ds = _base(deviation, DX_PRESENTATION, "OT")
        ds.Manufacturer = ""
        ds.ImageAndFluoroscopyAreaDoseProduct = DAP_DGY_CM2
        return ds
    if deviation is HeaderDeviation.CTDIVOL_IN_FUNCTIONAL_GROUP:
        ds = _base(deviation, ENHANCED_CT_IMAGE, "CT")
        exposure = Dataset()
        exposure.CTDIvol = CTDIVOL_MGY
        group = Dataset()
        group.CTExposureSequence = Sequence([exposure])
        ds.SharedFunctionalGroupsSequence = Sequence([group])
        return ds
    if deviation is HeaderDeviation.NO_DOSE_CONTENT:
        ds = _base(deviation, DX_PRESENTATION, "DX")
        ds.KVP = 70
        return ds
    ds = _base(deviation, DX_PRESENTATION, "DX")
    ds.ImageAndFluoroscopyAreaDoseProduct = DAP_DGY_CM2
    ds.PatientName = MOJIBAKE_NAME
    ds.InstitutionName = MOJIBAKE_INSTITUTION
    return ds


def image_header_bytes(deviation: HeaderDeviation) -> bytes:
    """The Part 10 bytes of the case ``deviation`` (deterministic)."""
    ds = _build(deviation)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    data = buffer.getvalue()
    if deviation is HeaderDeviation.MOJIBAKE:
        # the UTF-8 bytes declared as Latin-1 (same length): every reader shows "MÃ¼ller"
        data = data.replace(b"ISO_IR 192", b"ISO_IR 100", 1)
    return data
