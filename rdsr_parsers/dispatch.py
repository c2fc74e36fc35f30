"""``parse()``: one DICOM object in, one :class:`ParseResult` out — or a DoseWatchError.

Routing is by SOP Class and, for SR, by the document title concept and content: X-Ray
Radiation Dose SR (CT → TID 10011, otherwise TID 10001), Radiopharmaceutical Radiation
Dose SR (TID 10021), Enhanced X-Ray Radiation Dose SR, generic SR classes that carry a
dose report (GE CT in Enhanced SR) or a vendor-private summary (Siemens Radiation Summary
Report, :mod:`rdsr_parsers.vendor_summary`) and image headers. Anything that is not a dose object
is rejected with :class:`NotADoseObjectError` naming what it is.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import (
    DoseWatchError,
    NotADoseObjectError,
    UnreadableObjectError,
    UnsupportedObjectError,
)
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.findings import Strictness
from dosewatch.domain.report import DoseReport, SourceKind
from rdsr_parsers import gc_pause, reader, sop
from rdsr_parsers.common import SrDocument, read_document
from rdsr_parsers.context import ParseContext
from rdsr_parsers.header import text
from rdsr_parsers.mojibake import note_mojibake
from rdsr_parsers.result import ParseResult
from rdsr_parsers.sr import ContentItem, build_tree
from rdsr_parsers.vendor_summary import is_siemens_radsum, read_siemens_radsum

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | Dataset
_T = TypeVar("_T")


def parse(
    source: Source,
    strictness: Strictness = Strictness.LENIENT,
    *,
    name: str | None = None,
    decoder: Literal["auto", "pydicom"] = "auto",
) -> ParseResult:
    """Read one dose object.

    ``source`` is a path, the bytes of a DICOM file, or an already read pydicom Dataset
    (not modified). ``name`` labels the source in errors (defaults to the path's name).
    Raises a :class:`DoseWatchError` subclass — never another exception type.

    Bytes and paths first go through the structural pass of :mod:`rdsr_parsers.reader`
    (truncation and damaged structure are errors, whatever the transfer syntax); their values
    are then decoded by the lean reader or, where it cannot prove it decodes them as pydicom
    would, by pydicom. Both give the same :class:`ParseResult`; which one did is recorded in
    ``ParseResult.decoder``. ``decoder="pydicom"`` skips the lean decoder (the oracle of the
    differential tests and the baseline of the benchmarks); the structural pass still runs.
    The garbage collector is paused while it runs (:mod:`rdsr_parsers.gc_pause`).
    """
    label = name or (Path(source).name if isinstance(source, str | os.PathLike) else None)
    # pydicom reports values it repairs as UserWarnings. They are silenced here, not turned
    # into findings: whether pydicom warns depends on what the process decoded before (it
    # does not repeat itself), and findings must be a pure function of the object. The
    # values the parsers use are validated by our own readers, with their own findings.
    with warnings.catch_warnings(), gc_pause.paused():
        warnings.simplefilter("ignore")
        if isinstance(source, Dataset):
            ctx = ParseContext(strictness=strictness, file=label)
            report = _parse_located(source, ctx, label)
            return ParseResult(report, tuple(ctx.findings), "dataset")
        data = _located(lambda: _bytes(source), label)
        opened = _located(lambda: reader.open_object(data), label)
        reason = opened.reason if decoder == "auto" else "pydicom requested"
        if opened.dataset is not None and decoder == "auto":
            ctx = ParseContext(strictness=strictness, file=label)
            lean = opened.dataset
            try:
                report = _parse_located(lambda: _lean(lean, opened, len(data), ctx), ctx, label)
                return ParseResult(report, tuple(ctx.findings), reader.LEAN)
            except reader.NeedPydicom as exc:
                reason = str(exc)
        ctx = ParseContext(strictness=strictness, file=label)
        report = _parse_located(lambda: _pydicom_read(data, opened, ctx), ctx, label)
        return ParseResult(report, tuple(ctx.findings), reader.PYDICOM, reason)


def _located(step: Callable[[], _T], label: str | None) -> _T:
    try:
        return step()
    except DoseWatchError as exc:
        raise exc.located(file=label) from None


def _bytes(source: str | os.PathLike[str] | bytes | bytearray | memoryview) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UnreadableObjectError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise UnreadableObjectError("empty file")
    return data


def _note_cut(
    cut: reader.Cut | None, image_without_pixels: bool, size: int, ctx: ParseContext
) -> None:
    if image_without_pixels:
        ctx.add(
            FindingCode.ENCODING_MAYBE_TRUNCATED,
            f"image object ends at byte {size} without Pixel Data (7FE0,0010): it may have "
            "been cut at an element boundary; the header was read as far as it goes",
        )
    if cut is not None:
        ctx.add(
            FindingCode.ENCODING_TRUNCATED,
            f"file ends inside {cut.inside} at byte {size} (element starts at byte "
            f"{cut.offset}); the content before it is whole and was read",
        )


def _lean(
    ds: reader.LeanDataset, opened: reader.Opened, size: int, ctx: ParseContext
) -> reader.LeanDataset:
    _note_cut(opened.cut, opened.image_without_pixels, size, ctx)
    return ds


def _pydicom_read(data: bytes, opened: reader.Opened, ctx: ParseContext) -> Dataset:
    ds = _read(data, ctx)
    cut, no_pixels = opened.cut, opened.image_without_pixels
    if opened.reason == reader.NO_PLAIN_META:
        implicit, little = ds.original_encoding
        found = reader.check_bare(data, bool(implicit), bool(little))
        cut, no_pixels = found.cut, found.image_without_pixels
    _note_cut(cut, no_pixels, len(data), ctx)
    return ds


def _parse_located(
    source: Dataset | Callable[[], Dataset | reader.LeanDataset],
    ctx: ParseContext,
    label: str | None,
) -> DoseReport:
    try:
        ds: Any = source() if callable(source) else source
        _note_transfer_syntax(ds, ctx)
        ctx.sop_instance_uid = text(ds, "SOPInstanceUID")
        ctx.manufacturer = text(ds, "Manufacturer")
        ctx.model = text(ds, "ManufacturerModelName")
        report = _route(ds, ctx)
        note_mojibake(ds, ctx)
        ctx.flush_tallies()
    except reader.NeedPydicom:
        raise
    except DoseWatchError as exc:
        raise exc.located(file=label, sop_instance_uid=ctx.sop_instance_uid) from None
    except RecursionError as exc:
        raise UnreadableObjectError(
            "object nests sequences too deeply to decode",
            file=label,
            sop_instance_uid=ctx.sop_instance_uid,
        ) from exc
    except Exception as exc:  # the boundary: any decoder failure becomes a located error
        raise UnreadableObjectError(
            f"could not decode the object ({type(exc).__name__}: {str(exc)[:160]})",
            file=label,
            sop_instance_uid=ctx.sop_instance_uid,
        ) from exc
    return report


_RETIRED_OR_LEGACY_SYNTAXES = {
    "1.2.840.10008.1.2": (
        FindingCode.ENCODING_IMPLICIT_VR,
        "Implicit VR Little Endian transfer syntax",
    ),
    "1.2.840.10008.1.2.2": (
        FindingCode.ENCODING_BIG_ENDIAN,
        "Explicit VR Big Endian transfer syntax (retired in DICOM)",
    ),
}


def _note_transfer_syntax(ds: Dataset, ctx: ParseContext) -> None:
    meta = getattr(ds, "file_meta", None)
    syntax = None if meta is None else text(meta, "TransferSyntaxUID")
    note = _RETIRED_OR_LEGACY_SYNTAXES.get(syntax or "")
    if note is not None:
        ctx.add(note[0], f"{note[1]}; decoded")


def _read(data: bytes, ctx: ParseContext) -> Dataset:
    try:
        return _dcmread(io.BytesIO(data), force=False)
    except InvalidDicomError:
        pass
    # No preamble/DICM prefix: a bare dataset is still DICOM in the wild; try once.
    try:
        ds = _dcmread(io.BytesIO(data), force=True)
    except Exception as exc:
        raise UnreadableObjectError(
            "not a DICOM file (no DICM prefix, not a bare dataset)"
        ) from exc
    if "SOPClassUID" not in ds:
        raise UnreadableObjectError("not a DICOM file (no DICM prefix and no SOP Class UID)")
    ctx.add(
        FindingCode.ENCODING_NO_PREAMBLE,
        "file has no DICOM preamble/prefix; read as a bare dataset",
    )
    return ds


def _dcmread(fp: BinaryIO, *, force: bool) -> Dataset:
    # Values and nested sequences are decoded lazily, on first access by the readers; that
    # still happens inside parse(), whose boundary turns any decoder failure into a
    # located UnreadableObjectError.
    ds: Dataset = pydicom.dcmread(fp, force=force, stop_before_pixels=True)
    return ds


def _route(ds: Dataset, ctx: ParseContext) -> DoseReport:
    sop_class = text(ds, "SOPClassUID")
    if not sop_class:
        raise NotADoseObjectError("object has no SOP Class UID")
    if sop_class == sop.XRAY_RDSR:
        return _xray_sr(ds, ctx, SourceKind.XRAY_RDSR)
    if sop_class == sop.ENHANCED_XRAY_RDSR:
        ctx.add(
            FindingCode.SOP_ENHANCED_XRAY_RDSR,
            "Enhanced X-Ray Radiation Dose SR read with TID 10001/10011 readers",
        )
        return _xray_sr(ds, ctx, SourceKind.ENHANCED_XRAY_RDSR)
    if sop_class == sop.RADIOPHARMACEUTICAL_RDSR:
        from rdsr_parsers.tid10021_radiopharmaceutical import read_radiopharmaceutical_report

        root = _root(ds, codes.RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT, ctx)
        document = read_document(ds, root, SourceKind.RADIOPHARMACEUTICAL_RDSR, ctx)
        return read_radiopharmaceutical_report(document, ctx)
    if sop_class in sop.GENERIC_SR:
        return _generic_sr(ds, ctx, sop_class)
    if sop_class == sop.PATIENT_RADIATION_DOSE_SR:
        raise NotADoseObjectError(
            "Patient Radiation Dose SR (an estimate, possibly our own output) is not a device "
            "dose report; not ingested"
        )
    # image classes, and every other class: the dose content decides (content-first)
    if isinstance(ds, reader.LeanDataset):  # non-SR headers: small, and read by pydicom
        raise reader.NeedPydicom("non-SR object header")
    from rdsr_parsers.images import read_image_header

    return read_image_header(ds, ctx)


def _root(ds: Dataset, expected: Code, ctx: ParseContext) -> ContentItem:
    root = build_tree(ds)
    if root.concept != codes.code_key(expected):
        title = f"{root.concept[0]}:{root.concept[1]}" if root.concept[0] else "none"
        ctx.add(
            FindingCode.TEMPLATE_UNEXPECTED_TITLE,
            f"document title {title} where {codes.code_str(expected)} ({expected.meaning}) "
            "is expected",
            path="root",
        )
    if not root.children:
        raise NotADoseObjectError("dose SR without any content items")
    return root


def _is_ct(document: SrDocument) -> bool:
    if document.template_id == "10011":
        return True
    if document.template_id == "10001":
        return False
    if codes.same(document.procedure_reported, codes.COMPUTED_TOMOGRAPHY_X_RAY):
        return True
    ct_markers = (codes.CT_ACCUMULATED_DOSE_DATA, codes.CT_ACQUISITION)
    return any(document.root.first(marker) is not None for marker in ct_markers)


def _xray_sr(ds: Dataset, ctx: ParseContext, kind: SourceKind) -> DoseReport:
    root = _root(ds, codes.X_RAY_RADIATION_DOSE_REPORT, ctx)
    return _xray_document(read_document(ds, root, kind, ctx), ctx)


def _xray_document(document: SrDocument, ctx: ParseContext) -> DoseReport:
    if _is_ct(document):
        from rdsr_parsers.tid10011_ct import read_ct_report

        return read_ct_report(document, ctx)
    from rdsr_parsers.tid10001_projection import read_projection_report

    return read_projection_report(document, ctx)


def _generic_sr(ds: Dataset, ctx: ParseContext, sop_class: str) -> DoseReport:
    root = build_tree(ds)
    if is_siemens_radsum(root):
        return read_siemens_radsum(ds, root, ctx)
    if root.concept == codes.code_key(codes.X_RAY_RADIATION_DOSE_REPORT):
        ctx.add(
            FindingCode.SOP_DOSE_REPORT_IN_GENERIC_SR,
            f"X-Ray Radiation Dose Report sent as generic SR (SOP Class {sop_class}); "
            "read with the dose templates (quirk Q01)",
        )
        return _xray_document(read_document(ds, root, SourceKind.ENHANCED_SR_DOSE, ctx), ctx)
    if root.concept == codes.code_key(codes.RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT):
        from rdsr_parsers.tid10021_radiopharmaceutical import read_radiopharmaceutical_report

        ctx.add(
            FindingCode.SOP_DOSE_REPORT_IN_GENERIC_SR,
            "Radiopharmaceutical dose report in generic SR",
        )
        document = read_document(ds, root, SourceKind.ENHANCED_SR_DOSE, ctx)
        return read_radiopharmaceutical_report(document, ctx)
    title = "none" if not root.concept[0] else f"{root.concept[0]}:{root.concept[1]}"
    if not root.children:
        raise NotADoseObjectError(
            f"SR document (SOP Class {sop_class}, title {title}) has no content tree and no "
            "dose report"
        )
    raise NotADoseObjectError(
        f"SR document (SOP Class {sop_class}) with title {title} is not a radiation dose report"
    )


__all__ = ["ParseResult", "Source", "UnsupportedObjectError", "parse"]
