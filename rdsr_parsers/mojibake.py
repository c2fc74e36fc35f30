"""Text decoded with the wrong character set: UTF-8 bytes declared as Latin-1 (mojibake).

A value such as ``MÃ¼ller`` is what the UTF-8 bytes of ``Müller`` look like when the
object declares ISO_IR 100 (or no Specific Character Set, read as Latin-1 / Windows-1252).
The test is strict: the text must contain non-ASCII characters, re-encode losslessly in
the single-byte set, and the bytes must then decode as UTF-8 to a *different*, shorter
text — a real Latin-1 ``Müller`` fails the UTF-8 decoding. Findings name the attributes,
never their values (patient names must not reach logs or findings).
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from dosewatch.domain.finding_codes import FindingCode
from rdsr_parsers.context import ParseContext

#: the person-name and descriptive text attributes a dose object carries in its header
TEXT_KEYWORDS = (
    "PatientName",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "InstitutionName",
    "InstitutionalDepartmentName",
    "StationName",
    "Manufacturer",
    "ManufacturerModelName",
    "StudyDescription",
    "SeriesDescription",
    "ProtocolName",
)


def is_mojibake(value: str) -> bool:
    """True when ``value`` reads as UTF-8 bytes decoded in a single-byte character set."""
    if value.isascii():
        return False
    for single_byte in ("latin-1", "cp1252"):
        try:
            repaired = value.encode(single_byte).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != value and len(repaired) < len(value):
            return True
    return False


def note_mojibake(ds: Dataset, ctx: ParseContext) -> None:
    """One ``encoding.mojibake`` finding naming every header attribute that reads as mojibake."""
    affected = [
        keyword
        for keyword in TEXT_KEYWORDS
        if keyword in ds and is_mojibake(str(ds.get(keyword) or ""))
    ]
    if affected:
        charset = ds.get("SpecificCharacterSet") or "none (default repertoire)"
        ctx.add(
            FindingCode.ENCODING_MOJIBAKE,
            f"{', '.join(affected)} read as UTF-8 bytes decoded with Specific Character Set "
            f"{charset}; kept as sent",
        )
