"""Dose attributes of image objects (IMAGE_HEADER reports), one module per IOD family.

* :mod:`.dx` — CR, DX, PX, IO and XA/RF images (DAP, entrance dose, exposure index);
* :mod:`.mg` — mammography For Processing / For Presentation and breast tomosynthesis;
* :mod:`.nm` — NM and PET images (Radiopharmaceutical Information Sequence);
* :mod:`.ct` — CT images (CTDIvol) and vendor CT dose screens as Secondary Capture.

Which reader is decided by the dose content (:mod:`.recognise`), not the SOP Class; an
object with no dose attribute raises :class:`NotADoseObjectError` naming what was looked for.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from dosewatch.domain.report import DoseReport
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images import ct, dx, mg, nm
from rdsr_parsers.images.recognise import DoseFamily, recognise


def read_image_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    """The dose attributes of one image object, routed by the dose content it carries."""
    family = recognise(ds, ctx)
    if family is DoseFamily.PROJECTION:
        return dx.read_projection_header(ds, ctx)
    if family is DoseFamily.MAMMOGRAPHY:
        return mg.read_mammography_header(ds, ctx)
    if family is DoseFamily.RADIOPHARMACEUTICAL:
        return nm.read_radiopharmaceutical_header(ds, ctx)
    if family is DoseFamily.CT:
        return ct.read_ct_image_header(ds, ctx)
    return ct.read_dose_info_secondary_capture(ds, ctx)


__all__ = ["read_image_header"]
