"""(being written)"""

from __future__ import annotations

from dosewatch.domain.errors import UnsupportedObjectError
from dosewatch.domain.report import DoseReport
from rdsr_parsers.common import SrDocument
from rdsr_parsers.context import ParseContext


def read_ct_report(document: SrDocument, ctx: ParseContext) -> DoseReport:
    raise UnsupportedObjectError("reader not written yet")
