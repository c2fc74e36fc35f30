"""Deterministic mutations of DICOM bytes for robustness (fuzz) tests.

``mutations(data, seed, count)`` yields :class:`Mutation` objects (kind, description,
bytes). Byte-level kinds damage the encoding itself (truncation, bit flips, overwritten
runs, wrong value lengths, absurdly deep sequence nesting); structural kinds edit the
decoded dataset with pydicom and write it back (delete an element at any depth, duplicate
an SR content item, replace a value by garbage or by nothing, nest the content tree
deeply, change the value type of an SR content item). The same (data, seed, count) always
gives the same mutations. A structural mutation that pydicom cannot apply or write falls
back to a byte-level one, and says so in its description.
"""

from __future__ import annotations

import copy
import io
import pickle
import random
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag, Tag

from dosewatch.synth.encoder import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    Encoder,
)

BYTE_KINDS: Final = ("truncate", "bit_flip", "overwrite_run", "vr_length", "deep_nesting_raw")
STRUCTURAL_KINDS: Final = (
    "delete_element",
    "duplicate_item",
    "garbage_value",
    "empty_value",
    "deep_nesting",
    "swap_value_type",
)
KINDS: Final = BYTE_KINDS + STRUCTURAL_KINDS

_VALUE_TYPES: Final = (
    "NUM", "CODE", "TEXT", "UIDREF", "CONTAINER", "DATETIME", "PNAME", "IMAGE", "SCOORD", "XYZ",
)  # fmt: skip
_VRS: Final = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL "
    b"UN UR US UT UV".split()
)
_LONG_VRS: Final = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_PRIVATE_NESTING_TAG: Final = 0x7FDF1000
#: (0040,A010) Relationship Type, (0040,A040) Value Type, (0008,0100) Code Value, little endian
_IMPLICIT_NEEDLES: Final = (b"\x40\x00\x10\xa0", b"\x40\x00\x40\xa0", b"\x08\x00\x00\x01")
_MIN_PREFIX: Final = 132  # preamble + "DICM"


@dataclass(frozen=True, slots=True)
class Mutation:
    """One mutated object: what was done (no patient data in the description) and its bytes."""

    kind: str
    description: str
    data: bytes = field(repr=False)


class _Base:
    """The original object, decoded once (lazily) for structural mutations."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._readable: bool | None = None
        self._decoded: bytes | None = None  # the decoded dataset, pickled: cheap fresh copies

    def dataset(self) -> Dataset | None:
        """A fresh decoded copy, or None when pydicom cannot read the object."""
        if self._readable is False:
            return None
        if self._decoded is not None:
            copy: Dataset = pickle.loads(self._decoded)  # our own bytes, made just below
            return copy
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pydicom warns about what it repairs
                ds = pydicom.dcmread(io.BytesIO(self.data), force=True)
                _all_elements(ds)  # decode every sequence now: unreadable objects fail here
        except Exception:
            self._readable = False
            return None
        if "SOPClassUID" not in ds:  # force=True "reads" any blob; that is not an object
            self._readable = False
            return None
        self._readable = True
        self._decoded = pickle.dumps(ds, protocol=pickle.HIGHEST_PROTOCOL)
        return ds

    def transfer_syntax(self) -> str:
        ds = self.dataset()
        if ds is None or "TransferSyntaxUID" not in getattr(ds, "file_meta", Dataset()):
            return EXPLICIT_VR_LITTLE_ENDIAN
        return str(ds.file_meta.TransferSyntaxUID)


def mutations(data: bytes, seed: int, count: int) -> Iterator[Mutation]:
    """``count`` deterministic mutations of ``data`` (kinds cycle in a seeded order)."""
    rng = random.Random(seed)
    base = _Base(data)
    order: list[str] = []
    for index in range(count):
        if not order:
            order = list(KINDS)
            rng.shuffle(order)
        kind = order.pop()
        yield _mutate(base, kind, random.Random(rng.getrandbits(64) ^ index))


def _mutate(base: _Base, kind: str, rng: random.Random) -> Mutation:
    if kind in STRUCTURAL_KINDS:
        ds = base.dataset()
        if ds is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    description = _STRUCTURAL[kind](ds, rng)
                    return Mutation(kind, description, _write(ds))
            except _NotApplicable as exc:
                fallback = _overwrite_run(base.data, rng)
                return Mutation(
                    "overwrite_run", f"{kind} not applicable ({exc}); {fallback[0]}", fallback[1]
                )
            except Exception as exc:
                fallback = _overwrite_run(base.data, rng)
                reason = f"{type(exc).__name__}"
                return Mutation(
                    "overwrite_run", f"{kind} not writable ({reason}); {fallback[0]}", fallback[1]
                )
        fallback = _overwrite_run(base.data, rng)
        return Mutation(
            "overwrite_run", f"{kind} needs a readable object; {fallback[0]}", fallback[1]
        )
    if kind == "deep_nesting_raw":
        description, out = _deep_nesting_raw(base, rng)
    elif kind == "vr_length":
        description, out = _vr_length(base, rng)
    else:
        description, out = _BYTE[kind](base.data, rng)
    return Mutation(kind, description, out)


class _NotApplicable(Exception):
    """The object has nothing this mutation can act on."""


def _write(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=False)
    return buffer.getvalue()


# ----------------------------------------------------------------------- byte mutations


def _truncate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    offset = rng.randrange(0, max(len(data), 1))
    return f"truncated at byte {offset} of {len(data)}", data[:offset]


def _bit_flip(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    out = bytearray(data)
    flips = rng.randint(1, 8)
    start = min(_MIN_PREFIX, max(len(out) - 1, 0))
    positions = []
    for _ in range(flips):
        if not out:
            break
        position = rng.randrange(start, len(out)) if len(out) > start else rng.randrange(len(out))
        out[position] ^= 1 << rng.randrange(8)
        positions.append(position)
    return f"{len(positions)} bit(s) flipped at {sorted(positions)[:8]}", bytes(out)


def _overwrite_run(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    if not data:
        return "empty input left empty", data
    length = rng.randint(1, 64)
    start = rng.randrange(0, len(data))
    filler = rng.choice(("random", "zeros", "0xff"))
    if filler == "random":
        run = bytes(rng.getrandbits(8) for _ in range(length))
    elif filler == "zeros":
        run = b"\x00" * length
    else:
        run = b"\xff" * length
    out = data[:start] + run + data[start + length :]
    return f"{length} bytes at {start} overwritten with {filler}", out[: len(data)]


def _vr_length(base: _Base, rng: random.Random) -> tuple[str, bytes]:
    """Rewrite the value length field of a random element header."""
    data = base.data
    ts = base.transfer_syntax()
    end = ">" if ts == EXPLICIT_VR_BIG_ENDIAN else "<"
    choice = rng.choice(("zero", "odd", "huge", "random"))
    if ts == IMPLICIT_VR_LITTLE_ENDIAN:
        # tag (4 bytes) then a 32-bit length; SR content item tags are easy to find
        candidates = [i + 4 for needle in _IMPLICIT_NEEDLES for i in _find_all(data, needle)]
        long_field = True
        vr_name = "implicit VR"
    else:
        candidates = [
            i + 6 for i in range(_MIN_PREFIX, len(data) - 8) if data[i + 4 : i + 6] in _VRS
        ]
        long_field = False
        vr_name = ""
    if not candidates:
        return _overwrite_run(data, rng)
    field_at = sorted(candidates)[rng.randrange(len(candidates))]
    if not long_field:
        vr = data[field_at - 2 : field_at]
        vr_name = vr.decode("ascii")
        long_field = vr in _LONG_VRS
        if long_field:
            field_at += 2
    if long_field:
        value = {"zero": 0, "odd": 1, "huge": 0xFFFFFFF0}.get(choice, rng.getrandbits(32))
        packed = struct.pack(f"{end}I", value)
    else:
        value = {"zero": 0, "odd": 1, "huge": 0xFFFF}.get(choice, rng.getrandbits(16))
        packed = struct.pack(f"{end}H", value)
    out = data[:field_at] + packed + data[field_at + len(packed) :]
    return f"length of {vr_name} element at {field_at} set to {value} ({choice})", out


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found: list[int] = []
    start = data.find(needle)
    while start != -1:
        found.append(start)
        start = data.find(needle, start + 1)
    return found


def _deep_nesting_raw(base: _Base, rng: random.Random) -> tuple[str, bytes]:
    """Append a private sequence nested thousands of levels deep (built iteratively)."""
    depth = rng.randint(2_000, 6_000)
    ts = base.transfer_syntax()
    try:
        enc = Encoder(ts)
    except ValueError:  # another transfer syntax: the appended bytes are noise either way
        enc = Encoder(EXPLICIT_VR_LITTLE_ENDIAN)
    body = enc.nested(_PRIVATE_NESTING_TAG, depth)
    return f"private sequence nested {depth} levels deep appended", base.data + body


_BYTE: Final = {
    "truncate": _truncate,
    "bit_flip": _bit_flip,
    "overwrite_run": _overwrite_run,
}


# ------------------------------------------------------------------ structural mutations


def _all_elements(ds: Dataset) -> list[tuple[Dataset, BaseTag, str]]:
    """(parent dataset, tag, location) of every element at every depth (file meta aside).

    Only sequences are decoded; other values stay raw so that they are written back
    byte for byte.
    """
    out: list[tuple[Dataset, BaseTag, str]] = []
    stack: list[tuple[Dataset, str]] = [(ds, "")]
    while stack:
        node, where = stack.pop()
        for tag in list(node.keys()):
            location = f"{where}{tag}"
            out.append((node, tag, location))
            vr = node.get_item(tag).VR
            if vr is None or vr in {"SQ", "UN"}:
                elem = node[tag]  # decodes (VR looked up for implicit VR)
                if elem.VR == "SQ":
                    for i, item in enumerate(elem.value):
                        stack.append((item, f"{location}[{i}]/"))
    return out


def _content_parents(ds: Dataset) -> list[Dataset]:
    """Every dataset holding a non-empty Content Sequence (the SR tree's branches)."""
    out: list[Dataset] = []
    stack = [ds]
    while stack:
        node = stack.pop()
        seq = node.get("ContentSequence")
        if seq:
            out.append(node)
            stack.extend(seq)
    return out


def _delete_element(ds: Dataset, rng: random.Random) -> str:
    elements = _all_elements(ds)
    if not elements:
        raise _NotApplicable("no element")
    parent, tag, location = elements[rng.randrange(len(elements))]
    del parent[tag]
    return f"element {location} deleted"


def _duplicate_item(ds: Dataset, rng: random.Random) -> str:
    parents = _content_parents(ds)
    if not parents:
        raise _NotApplicable("no content sequence")
    parent = parents[rng.randrange(len(parents))]
    seq = parent.ContentSequence
    index = rng.randrange(len(seq))
    times = rng.randint(1, 3)
    for _ in range(times):
        seq.insert(index + 1, copy.deepcopy(seq[index]))
    return f"content item {index + 1} duplicated {times}x"


def _replace_value(ds: Dataset, rng: random.Random, *, empty: bool) -> str:
    elements = [
        (parent, tag, location)
        for parent, tag, location in _all_elements(ds)
        if _vr_of(parent, tag) != "SQ"
    ]
    if not elements:
        raise _NotApplicable("no value element")
    parent, tag, location = elements[rng.randrange(len(elements))]
    vr = _vr_of(parent, tag)
    if empty:
        raw = b""
    else:
        size = rng.choice((1, 2, 7, 16, 65))
        raw = bytes(rng.getrandbits(8) for _ in range(size))
        if len(raw) % 2:
            raw += b" "
    parent[tag] = RawDataElement(
        Tag(tag),
        vr,
        len(raw),
        raw,
        0,
        bool(parent.original_encoding[0]),
        parent.original_encoding[1] is not False,
    )
    what = "emptied" if empty else f"set to {len(raw)} garbage bytes"
    return f"value of {location} ({vr}) {what}"


def _vr_of(parent: Dataset, tag: BaseTag) -> str:
    vr = parent.get_item(tag).VR
    return str(parent[tag].VR) if vr is None else str(vr)


def _garbage_value(ds: Dataset, rng: random.Random) -> str:
    return _replace_value(ds, rng, empty=False)


def _empty_value(ds: Dataset, rng: random.Random) -> str:
    return _replace_value(ds, rng, empty=True)


def _deep_nesting(ds: Dataset, rng: random.Random) -> str:
    """Wrap the content tree in many CONTAINER levels (pydicom writes it recursively)."""
    if "ContentSequence" not in ds:
        raise _NotApplicable("no content sequence")
    depth = rng.randint(40, 150)
    inner = list(ds.ContentSequence)
    for _ in range(depth):
        wrapper = Dataset()
        wrapper.RelationshipType = "CONTAINS"
        wrapper.ValueType = "CONTAINER"
        wrapper.ContinuityOfContent = "SEPARATE"
        wrapper.ContentSequence = inner
        inner = [wrapper]
    ds.ContentSequence = inner
    return f"content tree wrapped in {depth} nested containers"


def _swap_value_type(ds: Dataset, rng: random.Random) -> str:
    items: list[Dataset] = []
    for parent in _content_parents(ds):
        items.extend(item for item in parent.ContentSequence if "ValueType" in item)
    if not items:
        raise _NotApplicable("no content item")
    item = items[rng.randrange(len(items))]
    old = str(item.ValueType)
    new = rng.choice([v for v in _VALUE_TYPES if v != old])
    item.ValueType = new
    return f"value type {old} of a content item changed to {new}"


_STRUCTURAL: Final = {
    "delete_element": _delete_element,
    "duplicate_item": _duplicate_item,
    "garbage_value": _garbage_value,
    "empty_value": _empty_value,
    "deep_nesting": _deep_nesting,
    "swap_value_type": _swap_value_type,
}
