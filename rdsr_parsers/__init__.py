"""DICOM dose objects in, frozen :class:`~dosewatch.domain.report.DoseReport` out.

Never touches the database; never configures logging or pydicom globals.
"""

from dosewatch.domain.findings import Strictness
from rdsr_parsers.dispatch import Source, parse
from rdsr_parsers.header import peek_device
from rdsr_parsers.result import ParseResult

__all__ = ["ParseResult", "Source", "Strictness", "parse", "peek_device"]
