"""Vendor-private radiation summaries in SR documents that are not TID 10001/10011.

**Siemens "Radiation Summary Report"** (document title ``99SMS_RADSUM`` ``C-10``), sent as
Enhanced SR by fluoroscopy systems (Arcadis Varic, software VC10A) instead of an X-Ray
Radiation Dose SR. Its structure as documented publicly (OpenREM issue #433 quoting the
VC10A conformance statement, and OpenREM's importer): no Content Template Sequence; the
root holds NUM items with the procedure's totals — ``C-202`` cumulative fluoroscopy time
(s), ``C-204`` cumulative dose area product (Gy·cm²), ``C-200`` the number of exposures —
plus the start and end date-time of the examination and, when configured, the cumulative air
kerma. There are **no irradiation events**.

The reader returns a ``VENDOR_SUMMARY`` fluoroscopy report whose accumulated totals are the
object's own values (units from each item's Measurement Units Code Sequence, converted with
a finding when they differ from the documented unit), with the WARNING
``vendor.summary_no_events``. Any other NUM item that carries a value (the air kerma
item, whose code value is not public) is named in a ``vendor.summary_item_not_read``
finding, never silently dropped. The ledger counts such a summary only when no RDSR of the
study accounts for the procedure (:mod:`dosewatch.ledger.dedup`).
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from dosewatch.domain import codes
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    UNIT_KAP,
    UNIT_TIME,
    AccumulatedProjectionDose,
    DoseModality,
    DoseReport,
    SourceKind,
)
from rdsr_parsers import header
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import ContentItem, count_of, num_of

RADSUM_TITLE = codes.code_key(codes.SIEMENS_RADIATION_SUMMARY_REPORT)
_KNOWN = frozenset(
    codes.code_key(c)
    for c in (
        codes.SIEMENS_RADSUM_EXPOSURES,
        codes.SIEMENS_RADSUM_FLUORO_TIME,
        codes.SIEMENS_RADSUM_DAP,
    )
)


def is_siemens_radsum(root: ContentItem) -> bool:
    return root.concept == RADSUM_TITLE


def read_siemens_radsum(ds: Dataset, root: ContentItem, ctx: ParseContext) -> DoseReport:
    """The totals of a Siemens Radiation Summary Report (no events)."""
    dap = num_of(root, codes.SIEMENS_RADSUM_DAP, ctx, to_unit=UNIT_KAP, expect_unit=UNIT_KAP)
    fluoro_time = num_of(
        root, codes.SIEMENS_RADSUM_FLUORO_TIME, ctx, to_unit=UNIT_TIME, expect_unit=UNIT_TIME
    )
    exposures = count_of(root, codes.SIEMENS_RADSUM_EXPOSURES, ctx)
    for item in root.children:
        if item.value_type == "NUM" and item.concept not in _KNOWN and _has_value(item):
            ctx.add(
                FindingCode.VENDOR_SUMMARY_ITEM_NOT_READ,
                f"NUM item {item.concept_str} of the Siemens Radiation Summary Report is not "
                "known to the reader; its value is not used",
                path=item.path,
                concept=item.concept_str,
            )
    read = [
        name
        for name, value in (
            ("dose area product", dap),
            ("fluoroscopy time", fluoro_time),
            ("number of exposures", exposures),
        )
        if value is not None
    ]
    ctx.add(
        FindingCode.VENDOR_SUMMARY_NO_EVENTS,
        "Siemens Radiation Summary Report (99SMS_RADSUM C-10): procedure totals only "
        f"({', '.join(read) or 'none readable'}), no irradiation events",
        path="root",
        concept=f"{RADSUM_TITLE[0]}:{RADSUM_TITLE[1]}",
    )
    totals = AccumulatedProjectionDose(
        dose_area_product_total=dap,
        total_fluoro_time=fluoro_time,
        total_number_of_radiographic_frames=exposures,
    )
    return DoseReport(
        source_kind=SourceKind.VENDOR_SUMMARY,
        modality=DoseModality.FLUOROSCOPY,
        patient=header.patient_facts(ds, ctx),
        study=header.study_facts(ds, ctx),
        device=header.device_facts(ds),
        events=(),
        projection_accumulated=(totals,),
    )


def _has_value(item: ContentItem) -> bool:
    return bool(item.dataset.get("MeasuredValueSequence"))
