"""The lean dose-object reader behind :func:`rdsr_parsers.parse`.

:func:`open_object` runs the structural pass (:mod:`.lexer`) over every object — truncation
and damaged structure are caught here for every transfer syntax — and, for Explicit and
Implicit VR Little Endian, returns a :class:`~.dataset.LeanDataset` that decodes values lazily.
Everything else (big endian, deflated, encapsulated, no preamble, a file meta group it does not
read plainly) is left to pydicom, with the reason recorded in :class:`Opened`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from rdsr_parsers.reader.dataset import LeanDataset, NeedPydicom
from rdsr_parsers.reader.lexer import (
    LONG_VRS,
    SHORT_VRS,
    Cut,
    DamagedStructureError,
    Index,
    Node,
    TruncatedObjectError,
    index,
)

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEFLATED = ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1")
_TRANSFER_SYNTAX = 0x00020010
_META_HEADER = struct.Struct("<HH2sH")
_U32 = struct.Struct("<I")

NO_PLAIN_META = "no preamble or a file meta group not read plainly"
LEAN = "lean"
PYDICOM = "pydicom"


@dataclass(frozen=True, slots=True)
class Opened:
    """The structural pass's verdict on one object, and the decoder chosen for its values."""

    dataset: LeanDataset | None  # None: read it with pydicom
    cut: Cut | None  # a tolerable cut (inside Pixel Data or past the SR content)
    decoder: str
    reason: str | None  # why pydicom, when it is
    image_without_pixels: bool = False


def _meta(buf: bytes) -> tuple[Node, int, str] | None:
    """The File Meta Information group (PS3.10 §7.1, always Explicit VR LE) after the preamble."""
    if len(buf) < 132 or buf[128:132] != b"DICM":
        return None
    pos, n = 132, len(buf)
    elements: dict[int, tuple[str, object, int]] = {}
    while pos + 8 <= n:
        group, elem, raw_vr, length = _META_HEADER.unpack_from(buf, pos)
        if group != 0x0002:
            break
        vr = raw_vr.decode("latin-1")
        if vr in LONG_VRS:
            if pos + 12 > n:
                return None
            length = _U32.unpack_from(buf, pos + 8)[0]
            start = pos + 12
        elif vr in SHORT_VRS:
            start = pos + 8
        else:
            return None
        if length & 1 or start + length > n:
            return None
        elements[group << 16 | elem] = (vr, start, length)
        pos = start + length
    syntax = elements.get(_TRANSFER_SYNTAX)
    if syntax is None or not isinstance(syntax[1], int):
        return None
    start, length = syntax[1], syntax[2]
    uid = buf[start : start + length].decode("latin-1").rstrip("\0 ")
    return Node(elements), pos, uid


def open_object(buf: bytes) -> Opened:
    """Check the structure of ``buf`` (every syntax) and open it lean where it can be."""
    meta = _meta(buf)
    if meta is None:
        return Opened(None, None, PYDICOM, NO_PLAIN_META)
    meta_node, pos, syntax = meta
    if syntax in (EXPLICIT_LE, IMPLICIT_LE):
        found = index(buf, pos, implicit=syntax == IMPLICIT_LE)
        try:
            file_meta = LeanDataset(buf, meta_node, "latin-1")
            dataset = LeanDataset(buf, found.root, "latin-1", file_meta)
        except NeedPydicom as exc:
            return Opened(None, found.cut, PYDICOM, str(exc), found.image_without_pixels)
        if found.root.implicit_sq:
            return Opened(
                None, found.cut, PYDICOM, "undefined-length UN element", found.image_without_pixels
            )
        return Opened(dataset, found.cut, LEAN, None, found.image_without_pixels)
    other = check_other(buf, pos, syntax)
    return Opened(None, other.cut, PYDICOM, f"transfer syntax {syntax}", other.image_without_pixels)


def check_other(buf: bytes, pos: int, syntax: str) -> Index:
    """The structural pass for the syntaxes pydicom decodes (big endian, deflated, encapsulated)."""
    if syntax == BIG_ENDIAN:
        return index(buf, pos, implicit=False, little=False)
    if syntax in DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            body = inflater.decompress(buf[pos:])
        except zlib.error as exc:
            raise DamagedStructureError(f"deflated data set is damaged ({exc})") from exc
        if not inflater.eof:
            raise TruncatedObjectError(f"file ends inside the deflated data set at byte {len(buf)}")
        return index(body, 0, implicit=False)
    # encapsulated and other native syntaxes: the data set itself is Explicit VR Little Endian
    return index(buf, pos, implicit=False)


def check_bare(buf: bytes, implicit: bool, little: bool) -> Index:
    """The structural pass for an object whose meta group pydicom read, as pydicom guessed it."""
    pos, n = (132 if buf[128:132] == b"DICM" else 0), len(buf)
    while pos + 8 <= n and struct.unpack_from("<H", buf, pos)[0] == 0x0002:
        vr = buf[pos + 4 : pos + 6].decode("latin-1")
        if vr in LONG_VRS and pos + 12 <= n:
            pos += 12 + _U32.unpack_from(buf, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", buf, pos + 6)[0]
    if pos > n:
        raise TruncatedObjectError(f"file ends inside the file meta group at byte {n}")
    return index(buf, pos, implicit=implicit, little=little)


__all__ = [
    "LEAN",
    "NO_PLAIN_META",
    "PYDICOM",
    "Cut",
    "DamagedStructureError",
    "LeanDataset",
    "NeedPydicom",
    "Opened",
    "TruncatedObjectError",
    "check_bare",
    "check_other",
    "open_object",
]
