"""Dose attributes of image objects (IMAGE_HEADER reports), one module per IOD family.

* :mod:`.dx` — CR, DX, PX, IO and XA/RF images (DAP, entrance dose, exposure index);
* :mod:`.mg` — mammography For Processing / For Presentation and breast tomosynthesis;
* :mod:`.nm` — NM and PET images (Radiopharmaceutical Information Sequence);
* :mod:`.ct` — CT images (CTDIvol) and vendor CT dose screens as Secondary Capture.

An image with no dose attribute raises :class:`NotADoseObjectError`.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.report import DoseReport
from rdsr_parsers import sop
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import ct, dx, mg, nm
from rdsr_parsers.images.attributes import text

_PROJECTION = frozenset(
    {
        sop.CR_IMAGE,
        sop.DX_PRESENTATION,
        sop.DX_PROCESSING,
        sop.IO_PRESENTATION,
        sop.IO_PROCESSING,
        sop.XA_IMAGE,
        sop.RF_IMAGE,
    }
)
_MAMMOGRAPHY = frozenset({sop.MG_PRESENTATION, sop.MG_PROCESSING, sop.BREAST_TOMOSYNTHESIS})
_RADIOPHARMACEUTICAL = frozenset({sop.NM_IMAGE, sop.PET_IMAGE, sop.ENHANCED_PET_IMAGE})
_CT = frozenset({sop.CT_IMAGE, sop.ENHANCED_CT_IMAGE})


def read_image_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """The dose attributes of one image object, routed by SOP Class UID."""
    sop_class = text(ds, "SOPClassUID")
    if sop_class in _PROJECTION:
        return dx.read_projection_header(ds, ctx)
    if sop_class in _MAMMOGRAPHY:
        return mg.read_mammography_header(ds, ctx)
    if sop_class in _RADIOPHARMACEUTICAL:
        return nm.read_radiopharmaceutical_header(ds, ctx)
    if sop_class in _CT:
        return ct.read_ct_image_header(ds, ctx)
    if sop_class == sop.SECONDARY_CAPTURE:
        return ct.read_dose_info_secondary_capture(ds, ctx)
    raise NotADoseObjectError(f"image of SOP Class {sop_class} without dose attributes")


__all__ = ["read_image_header"]
