"""(being written)"""

from __future__ import annotations

from pydicom.dataset import Dataset

from dosewatch.domain.errors import UnsupportedObjectError
from dosewatch.domain.report import DoseReport
from rdsr_parsers.context import ParseContext


def read_image_header(ds: Dataset, ctx: ParseContext) -> DoseReport:
    raise UnsupportedObjectError("reader not written yet")
