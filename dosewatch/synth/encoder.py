"""A small, fast DICOM Part 10 encoder for the synthetic objects (PS3.5 chapter 7, PS3.10).

The synthetic region generator writes thousands of SR documents; building and writing
them through pydicom Datasets costs ~0.2 ms per data element on the target machine, far
above the benchmark budget. This encoder writes the same bytes directly: elements are
``(tag, encoded bytes)`` pairs sorted by tag, sequences and items use undefined length
with delimiters (as pydicom writes them). Only string VRs and sequences are needed by
the SR dose templates. Values are written as given: deliberately broken DS/IS strings
of the deviation catalogue are just strings here. The result is read back by pydicom in
the tests, which is the check on this module.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Final

Element = tuple[int, bytes]

EXPLICIT_VR_LITTLE_ENDIAN: Final = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LITTLE_ENDIAN: Final = "1.2.840.10008.1.2"
EXPLICIT_VR_BIG_ENDIAN: Final = "1.2.840.10008.1.2.2"

#: VRs whose explicit-VR header has a 32-bit length (PS3.5 7.1.2)
_LONG_VRS: Final = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)
_UNDEFINED: Final = 0xFFFFFFFF
_ITEM: Final = 0xFFFEE000
_ITEM_DELIMITER: Final = 0xFFFEE00D
_SEQUENCE_DELIMITER: Final = 0xFFFEE0DD
_CHARSET_VRS: Final = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC"})
_SHARED_CACHES: dict[tuple[str, str], dict[object, bytes]] = {}
_SHARED_HEADERS: dict[str, dict[tuple[int, str, int], bytes]] = {}


class Encoder:
    """Encodes data elements for one transfer syntax and character set."""

    __slots__ = (
        "_cache",
        "_end",
        "_headers",
        "_implicit",
        "_item_close",
        "_item_open",
        "_long",
        "_seq_close",
        "_short",
        "charset",
        "implicit_vr",
        "little_endian",
    )

    def __init__(self, transfer_syntax: str, charset: str = "latin_1") -> None:
        if transfer_syntax not in {
            EXPLICIT_VR_LITTLE_ENDIAN,
            IMPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
        }:
            raise ValueError(f"unsupported transfer syntax {transfer_syntax}")
        self.implicit_vr = transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN
        self.little_endian = transfer_syntax != EXPLICIT_VR_BIG_ENDIAN
        self.charset = charset
        self._end = "<" if self.little_endian else ">"
        self._short = struct.Struct(f"{self._end}HH2sH")
        self._long = struct.Struct(f"{self._end}HH2sHI")
        self._implicit = struct.Struct(f"{self._end}HHI")
        self._item_open = self._tag_length(_ITEM, _UNDEFINED)
        self._item_close = self._tag_length(_ITEM_DELIMITER, 0)
        self._seq_close = self._tag_length(_SEQUENCE_DELIMITER, 0)
        #: encoded elements that recur (concept names, units, enumerated strings), shared
        #: by every encoder of the same transfer syntax and character set
        self._cache = _SHARED_CACHES.setdefault((transfer_syntax, charset), {})
        self._headers = _SHARED_HEADERS.setdefault(transfer_syntax, {})

    def _tag_length(self, tag: int, length: int) -> bytes:
        return struct.pack(f"{self._end}HHI", tag >> 16, tag & 0xFFFF, length)

    def header(self, tag: int, vr: str, length: int) -> bytes:
        group, element = tag >> 16, tag & 0xFFFF
        if self.implicit_vr:
            return self._implicit.pack(group, element, length)
        if vr in _LONG_VRS:
            return self._long.pack(group, element, vr.encode(), 0, length)
        return self._short.pack(group, element, vr.encode(), length)

    def value(self, tag: int, vr: str, data: bytes) -> Element:
        """An element from its already encoded value (padded here to even length)."""
        if len(data) % 2:
            data += b"\x00" if vr in {"UI", "OB"} else b" "
        key = (tag, vr, len(data))
        head = self._headers.get(key)
        if head is None:
            head = self._headers[key] = self.header(tag, vr, len(data))
        return tag, head + data

    def text(self, tag: int, vr: str, text: str) -> Element:
        """A string element; text VRs use the character set, others ASCII."""
        if vr in _CHARSET_VRS:
            return self.value(tag, vr, text.encode(self.charset))
        return self.value(tag, vr, text.encode("ascii"))

    def sequence(self, tag: int, items: Iterable[bytes]) -> Element:
        """An SQ element of undefined length; ``items`` are encoded item bodies."""
        opening = self._cache.get(("sq", tag))
        if opening is None:
            opening = self._cache[("sq", tag)] = self.header(tag, "SQ", _UNDEFINED)
        parts = [opening]
        for body in items:
            parts.append(self._item_open)
            parts.append(body)
            parts.append(self._item_close)
        parts.append(self._seq_close)
        return tag, b"".join(parts)

    def nested(self, tag: int, depth: int) -> bytes:
        """``depth`` sequences, each holding one item that holds the next (innermost empty)."""
        opening = self.header(tag, "SQ", _UNDEFINED) + self._item_open
        return opening * depth + (self._item_close + self._seq_close) * depth

    def single(self, tag: int, body: bytes) -> bytes:
        """The encoded SQ element holding exactly one item (the common case, cached framing)."""
        head = self._cache.get(("single-head", tag))
        if head is None:
            head = self._cache[("single-head", tag)] = (
                self.header(tag, "SQ", _UNDEFINED) + self._item_open
            )
        return head + body + self._item_close + self._seq_close

    def body(self, elements: Iterable[Element]) -> bytes:
        """A dataset (or item) body: elements in ascending tag order."""
        return b"".join(data for _tag, data in sorted(elements, key=_first))

    def const(self, tag: int, vr: str, text: str) -> Element:
        """A string element whose encoding is cached (enumerated values, fixed texts)."""
        key = (tag, vr, text)
        data = self._cache.get(key)
        if data is None:
            data = self._cache[key] = self.text(tag, vr, text)[1]
        return tag, data

    def cached(self, key: object) -> bytes | None:
        return self._cache.get(key)

    def remember(self, key: object, data: bytes) -> bytes:
        self._cache[key] = data
        return data


def _first(element: Element) -> int:
    return element[0]


def file_meta(
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax: str,
    implementation_class_uid: str,
    implementation_version_name: str,
) -> bytes:
    """Preamble, ``DICM`` prefix and the File Meta Information group (always explicit LE)."""
    meta = Encoder(EXPLICIT_VR_LITTLE_ENDIAN, "ascii")
    elements = [
        meta.value(0x00020001, "OB", b"\x00\x01"),
        meta.text(0x00020002, "UI", sop_class_uid),
        meta.text(0x00020003, "UI", sop_instance_uid),
        meta.text(0x00020010, "UI", transfer_syntax),
        meta.text(0x00020012, "UI", implementation_class_uid),
        meta.text(0x00020013, "SH", implementation_version_name),
    ]
    group = meta.body(elements)
    length = meta.value(0x00020000, "UL", struct.pack("<I", len(group)))
    return b"\x00" * 128 + b"DICM" + length[1] + group
