"""One structural pass over the bytes of a DICOM data set (PS3.5 §7): elements, items, sequences.

Every object goes through this pass, whichever decoder then reads its values, so that a file
that ends inside an element, an item or a sequence, or whose declared lengths run past its end
(PS3.5 §7.1, §7.5), is never read as a shorter tree. The pass also builds the element index
that :mod:`rdsr_parsers.reader.dataset` decodes lazily: for each data set, tag → (VR, value
start, value length) or, for a sequence (VR SQ), the list of item data sets.

Damage is a :class:`~dosewatch.domain.errors.DoseWatchError`: :class:`TruncatedObjectError`
("file ends inside … at byte N") or :class:`DamagedStructureError` (odd length, an item that
overruns its sequence, a stray delimiter). A cut inside data that no reader reads (Pixel Data
and what follows it) is not an error: the index records it in :attr:`Index.cut` and the parser
keeps the report with an ERROR finding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from dosewatch.domain.errors import UnreadableObjectError


def _load_compiled() -> ModuleType | None:
    """The compiled pass (setup.py; optional: without it this module's pass runs alone)."""
    try:
        from rdsr_parsers.reader import _fastlex
    except ImportError:  # pragma: no cover - built wherever a C compiler is
        return None
    return _fastlex


#: the compiled structural pass for Explicit VR Little Endian, or None where it is not built
COMPILED: Any = _load_compiled()

UNDEFINED = 0xFFFFFFFF
ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
#: Float Pixel Data, Double Float Pixel Data, Pixel Data: where ``stop_before_pixels`` stops
PIXEL_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
#: PS3.5 Table 7.1-1: VRs with a reserved field and a 32-bit length
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
SHORT_VRS = frozenset(
    {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
     "SS", "ST", "TM", "UI", "UL", "US"}
)  # fmt: skip
#: the VR field's two bytes -> (VR, has a 32-bit length): one look-up per explicit-VR element
_VR_FIELD = {vr.encode("ascii"): (vr, True) for vr in LONG_VRS} | {
    vr.encode("ascii"): (vr, False) for vr in SHORT_VRS
}
#: a top-level cut inside an element at or past this tag leaves what the readers read whole
PIXEL_THRESHOLD = 0x7FE00008
SR_THRESHOLD = 0x0040A731  # just past Content Sequence (0040,A730)
#: deeper sequence nesting than this is refused (real dose SRs nest < 20 levels)
MAX_DEPTH = 64


class TruncatedObjectError(UnreadableObjectError):
    """The file ends inside an element, an item or a sequence (or a length runs past its end)."""

    code = "input.truncated"


class DamagedStructureError(UnreadableObjectError):
    """The element/item structure contradicts itself (odd length, overrun, stray delimiter)."""

    code = "input.damaged_structure"


@dataclass(frozen=True, slots=True)
class Cut:
    """A cut inside data no reader reads: the header and content before it are whole."""

    offset: int
    inside: str


#: tag -> (VR, value start, value length) for plain elements; (VR "SQ", items, 0) for sequences
Element = tuple[str, object, int]


@dataclass(slots=True)
class Node:
    """One data set (the top level or a sequence item): its elements by tag, in file order."""

    elements: dict[int, Element]
    implicit_sq: bool = False  # holds an undefined-length element read as a sequence (UN)


@dataclass(slots=True)
class Index:
    root: Node
    cut: Cut | None
    #: an image object that ends without Pixel Data: possibly cut at an element boundary
    image_without_pixels: bool = False


def tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


@lru_cache(maxsize=4096)
def dictionary_vr(tag: int) -> str:
    """The data dictionary VR of ``tag`` (PS3.6); 'UN' for private or unknown tags."""
    from pydicom.datadict import dictionary_VR

    if tag & 0xFFFF == 0:
        return "UL"  # group length
    if (tag >> 16) & 1:
        return "LO" if 0x0010 <= (tag & 0xFFFF) <= 0x00FF else "UN"  # private creator
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return "UN"


class _Lexer:
    """The pass itself; ``little`` selects the byte order, ``implicit`` the VR encoding."""

    def __init__(self, buf: bytes, *, implicit: bool, little: bool) -> None:
        self.buf = buf
        self.n = len(buf)
        self.implicit = implicit
        order = "<" if little else ">"
        self.tag_len = struct.Struct(order + "HHI").unpack_from
        self.short = struct.Struct(order + "HH2sH").unpack_from
        self.u32 = struct.Struct(order + "I").unpack_from
        self.threshold = PIXEL_THRESHOLD  # raised to the SR one once the SOP Class is known
        self.cut: Cut | None = None
        self.image = False
        self.pixels = False

    # ---------------------------------------------------------------- errors

    def _truncated(
        self, what: str, start: int, declared: int | None = None
    ) -> TruncatedObjectError:
        extra = "" if declared is None else f" (declares {declared} bytes from byte {start})"
        return TruncatedObjectError(f"file ends inside {what} at byte {self.n}{extra}")

    # ---------------------------------------------------------------- data sets

    def dataset(self, pos: int, end: int, depth: int, *, in_item: bool) -> tuple[Node, int]:
        """Elements from ``pos`` up to ``end`` (defined length) or the item delimiter.

        ``end`` is ``-1`` for an undefined-length item. Returns the node and the position
        after it (after the delimiter when there is one).
        """
        buf, n = self.buf, self.n
        elements: dict[int, Element] = {}
        node = Node(elements)
        limit = n if end < 0 else end
        implicit = self.implicit
        tag_len, short = self.tag_len, self.short
        top = depth == 0
        last_tag = 0
        raw_vr = b""
        while pos < limit:
            if pos + 8 > n:
                if top and last_tag >= self.threshold:
                    self.cut = Cut(pos, "an element header after " + tag_str(last_tag))
                    return node, n
                raise self._truncated("an element header" if top else "an item", pos)
            if pos + 8 > limit:
                raise DamagedStructureError(f"element header at byte {pos} overruns its item")
            if implicit:
                group, elem, length = tag_len(buf, pos)
            else:  # one unpack: tag, VR field, 16-bit length (items and delimiters: no VR)
                group, elem, raw_vr, length = short(buf, pos)
                if group == 0xFFFE:
                    group, elem, length = tag_len(buf, pos)
            tag = group << 16 | elem
            if tag == ITEM_DELIMITER:
                if not in_item or length != 0:
                    raise DamagedStructureError(f"stray item delimiter at byte {pos}")
                return node, pos + 8
            if group == 0xFFFE:
                raise DamagedStructureError(
                    f"item tag {tag_str(tag)} inside a data set at byte {pos}"
                )
            if top and tag in PIXEL_TAGS:
                self.pixels = True
                self._pixels(tag, pos)
                return node, n
            if implicit:
                vr = dictionary_vr(tag)
                start = pos + 8
            else:
                field = _VR_FIELD.get(raw_vr)
                if field is None:
                    raise DamagedStructureError(
                        f"invalid VR {raw_vr!r} of element {tag_str(tag)} at byte {pos}"
                    )
                vr, long = field
                if long:
                    if pos + 12 > n:
                        if top and tag >= self.threshold:
                            self.cut = Cut(pos, f"element {tag_str(tag)}")
                            return node, n
                        raise self._truncated(f"element {tag_str(tag)}", pos)
                    length = self.u32(buf, pos + 8)[0]
                    start = pos + 12
                else:
                    start = pos + 8
            if length == UNDEFINED:
                if vr not in ("SQ", "UN") and not (implicit and vr in ("OB", "OW", "OB or OW")):
                    raise DamagedStructureError(
                        f"undefined length on element {tag_str(tag)} (VR {vr}) at byte {pos}"
                    )
                if vr != "SQ":
                    node.implicit_sq = True
                items, pos = self.sequence(tag, start, -1, depth + 1, vr != "SQ")
                elements[tag] = ("SQ" if vr == "SQ" else "UN-SQ", items, 0)
                last_tag = tag
                continue
            if length & 1:
                raise DamagedStructureError(
                    f"odd length {length} of element {tag_str(tag)} at byte {pos}"
                )
            value_end = start + length
            if value_end > limit:
                if value_end > n and top and tag >= self.threshold:
                    self.cut = Cut(pos, f"element {tag_str(tag)}")
                    return node, n
                if value_end > n:
                    raise self._truncated(f"element {tag_str(tag)}", pos, length)
                raise DamagedStructureError(
                    f"element {tag_str(tag)} at byte {pos} ({length} bytes) overruns its item"
                )
            if vr == "SQ":
                items, _ = self.sequence(tag, start, value_end, depth + 1, False)
                elements[tag] = ("SQ", items, 0)
            else:
                elements[tag] = (vr, start, length)
                if top and tag == 0x00080016:
                    self._sop_class(start, length)
            pos = value_end
            last_tag = tag
        if end < 0:
            raise self._truncated("an item without its delimiter" if in_item else "a data set", pos)
        return node, pos

    def sequence(
        self, tag: int, pos: int, end: int, depth: int, as_implicit: bool
    ) -> tuple[list[Node], int]:
        """The items of a sequence: up to ``end`` or, for ``end == -1``, its delimiter."""
        if depth > MAX_DEPTH:
            raise DamagedStructureError(
                f"sequences nested deeper than {MAX_DEPTH} levels (at {tag_str(tag)}, byte {pos})"
            )
        buf, n = self.buf, self.n
        items: list[Node] = []
        saved = self.implicit
        if as_implicit:
            self.implicit = True  # PS3.5 §6.2.2: UN of undefined length holds implicit VR LE
        try:
            while end < 0 or pos < end:
                if pos + 8 > n:
                    raise self._truncated(f"sequence {tag_str(tag)}", pos)
                group, elem, length = self.tag_len(buf, pos)
                item_tag = group << 16 | elem
                if item_tag == SEQUENCE_DELIMITER and end < 0:
                    return items, pos + 8
                if item_tag != ITEM:
                    raise DamagedStructureError(
                        f"{tag_str(item_tag)} where an item of {tag_str(tag)} is expected "
                        f"at byte {pos}"
                    )
                start = pos + 8
                if length == UNDEFINED:
                    node, pos = self.dataset(start, -1, depth, in_item=True)
                else:
                    if length & 1:
                        raise DamagedStructureError(f"odd item length {length} at byte {pos}")
                    item_end = start + length
                    if item_end > n:
                        raise self._truncated(f"an item of {tag_str(tag)}", pos, length)
                    if end >= 0 and item_end > end:
                        raise DamagedStructureError(
                            f"item at byte {pos} overruns its sequence {tag_str(tag)}"
                        )
                    node, pos = self.dataset(start, item_end, depth, in_item=True)
                    if pos != item_end:
                        raise DamagedStructureError(f"item at byte {start} ends early")
                items.append(node)
            if pos != end:
                raise DamagedStructureError(f"sequence {tag_str(tag)} overruns its length")
            return items, pos
        finally:
            self.implicit = saved

    def _sop_class(self, start: int, length: int) -> None:
        """An SR's content is whole once its Content Sequence (0040,A730) is: threshold up."""
        from rdsr_parsers import sop

        uid = self.buf[start : start + length].decode("latin-1").rstrip("\0 ")
        if uid in sop.SR_CLASSES:
            self.threshold = SR_THRESHOLD
        self.image = uid in sop.IMAGE_CLASSES

    def _pixels(self, tag: int, pos: int) -> None:
        """Check that Pixel Data is whole; a cut inside it is tolerable (nothing reads it)."""
        buf, n = self.buf, self.n
        if self.implicit:
            if pos + 8 > n:
                self.cut = Cut(pos, f"element {tag_str(tag)}")
                return
            length, start = self.tag_len(buf, pos)[2], pos + 8
        else:
            if pos + 12 > n:
                self.cut = Cut(pos, f"element {tag_str(tag)}")
                return
            raw_vr = buf[pos + 4 : pos + 6]
            if raw_vr in (b"OB", b"OW", b"OF", b"OD", b"UN"):
                length, start = self.u32(buf, pos + 8)[0], pos + 12
            else:
                length, start = self.short(buf, pos)[3], pos + 8
        if length != UNDEFINED:
            if start + length > n:
                self.cut = Cut(pos, f"element {tag_str(tag)}")
            return
        # encapsulated: fragments (items) up to the sequence delimiter
        p = start
        while p + 8 <= n:
            group, elem, flen = self.tag_len(buf, p)
            if (group << 16 | elem) == SEQUENCE_DELIMITER:
                return
            if flen == UNDEFINED:
                break
            p += 8 + flen
        if p + 8 > n or p > n:
            self.cut = Cut(pos, f"element {tag_str(tag)}")


def index(
    buf: bytes, pos: int, *, implicit: bool, little: bool = True, compiled: bool = True
) -> Index:
    """The structural pass from ``pos`` (the first data set element) to the end of ``buf``.

    Explicit VR Little Endian goes first to the compiled pass (:data:`COMPILED`, when it is
    built), which builds the same index for plain, well-formed structure and gives up on
    anything else; then, and for every other encoding, this module's pass reads it and says
    what is wrong. ``compiled=False`` runs this module's pass alone (the tests' oracle).
    """
    if compiled and COMPILED is not None and little and not implicit:
        found = COMPILED.explicit_le(buf, pos, Node, MAX_DEPTH)
        if found is not None:
            root, pixels = found
            return Index(root, None, not pixels and _is_image(buf, root))
    lexer = _Lexer(buf, implicit=implicit, little=little)
    try:
        root, _ = lexer.dataset(pos, len(buf), 0, in_item=False)
    except struct.error as exc:  # pragma: no cover - every read is bounds-checked first
        raise TruncatedObjectError(f"file ends inside an element at byte {len(buf)}") from exc
    return Index(root, lexer.cut, lexer.image and not lexer.pixels)


def _is_image(buf: bytes, root: Node) -> bool:
    """Whether the SOP Class (0008,0016) of the top level is an image class (``_sop_class``)."""
    from rdsr_parsers import sop

    element = root.elements.get(0x00080016)
    if element is None or not isinstance(element[1], int):
        return False
    start, length = element[1], element[2]
    return buf[start : start + length].decode("latin-1").rstrip("\0 ") in sop.IMAGE_CLASSES
