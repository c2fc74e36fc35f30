"""Synthetic vendor-private radiation summaries (SR documents that are not TID 10001/10011).

:func:`siemens_radsum_bytes` writes a Siemens "Radiation Summary Report" as the Arcadis
Varic (VC10A) sends it, following the structure documented publicly (OpenREM issue #433
quoting the VC10A conformance statement; OpenREM's importer): Enhanced SR SOP Class, no
Content Template Sequence, document title ``99SMS_RADSUM`` ``C-10``, and at the root the
NUM items ``C-200`` (number of exposures, unit ``{exposures}``), ``C-202`` (cumulative
fluoroscopy time, s) and ``C-204`` (cumulative dose area product, Gy.cm2); no irradiation
events. The start/end date-time and air kerma items of the conformance statement are written
only on request (``extra_num``), under a code of the caller's choosing, because their code
values are not public: the builder does not invent them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth.common import (
    DEFAULT_HEADER,
    ENHANCED_SR_SOP_CLASS,
    Deviation,
    Header,
    SrWriter,
    UidFactory,
    document_ids,
    sr_document,
)


@dataclass(frozen=True, slots=True)
class RadsumSpec:
    """The totals of one procedure; None leaves the item out."""

    dap_gy_cm2: float | None = 12.5
    fluoro_time_s: float | None = 184.0
    exposures: int | None = 7
    #: the unit written with the DAP (the conformance statement documents Gy.cm2)
    dap_unit: str = "Gy.cm2"
    #: further NUM items (concept, value, UCUM unit) the reader does not know
    extra_num: tuple[tuple[Code, float, str], ...] = ()


def siemens_radsum_bytes(
    spec: RadsumSpec = RadsumSpec(),
    header: Header = DEFAULT_HEADER,
    *,
    uids: UidFactory | None = None,
) -> bytes:
    """Part 10 bytes of a Siemens Radiation Summary Report in Enhanced SR."""
    uids = uids or UidFactory(0, "radsum")
    w = SrWriter(frozenset({Deviation.MISSING_TEMPLATE_SEQUENCE}))
    ids = document_ids(header, uids, ENHANCED_SR_SOP_CLASS)
    content: list[bytes] = []
    if spec.exposures is not None:
        content.append(w.num(codes.SIEMENS_RADSUM_EXPOSURES, spec.exposures, "{exposures}"))
    if spec.fluoro_time_s is not None:
        content.append(w.num(codes.SIEMENS_RADSUM_FLUORO_TIME, spec.fluoro_time_s, "s"))
    if spec.dap_gy_cm2 is not None:
        content.append(w.num(codes.SIEMENS_RADSUM_DAP, spec.dap_gy_cm2, spec.dap_unit))
    content.extend(w.num(concept, value, unit) for concept, value, unit in spec.extra_num)
    return sr_document(
        w,
        header,
        ids,
        title=codes.SIEMENS_RADIATION_SUMMARY_REPORT,
        template_id="",
        content=content,
    )
