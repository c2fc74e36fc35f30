"""A read-only, lazily decoded data set over the structural index, for the dose readers.

It offers the part of pydicom's ``Dataset`` interface that ``rdsr_parsers`` uses —
``get(keyword, default)``, ``get_item(tag).value`` (undecoded bytes), ``in``, ``file_meta`` —
and decodes each value the way pydicom 3 does (PS3.5 §6.2 VRs, §6.1 character sets), only when
asked. Whatever it cannot prove it decodes exactly as pydicom would (a VR other than the data
dictionary's, an undefined-length UN, a character set other than the default, ISO_IR 100 or
ISO_IR 192, code extensions, undecodable UTF-8, a keyword it does not know) raises
:class:`NeedPydicom`, and :func:`rdsr_parsers.parse` reads the object again with pydicom.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rdsr_parsers.reader.lexer import Node, dictionary_vr, tag_str

_SPECIFIC_CHARACTER_SET = 0x00080005
#: (0008,0005) defined terms read here, as Python codecs (pydicom: default 'iso8859' = Latin-1)
_CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
#: VRs whose values are returned as (multi-valued) strings, pydicom's convert_string family
_ASCII_MULTI = frozenset({"AS", "CS", "DA", "DT", "TM"})
_CHARSET_MULTI = frozenset({"SH", "LO", "UC"})
_CHARSET_SINGLE = frozenset({"ST", "LT", "UT"})
#: VRs whose undecoded value ``get_item`` hands out (the readers decode DS/IS themselves)
_RAW_VRS = frozenset({"DS", "IS"})


_MISSING = object()


class NeedPydicom(Exception):
    """This object holds something the lean reader does not decode; read it with pydicom."""


@lru_cache(maxsize=1024)
def _tag(keyword: str) -> int:
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        raise NeedPydicom(f"unknown keyword {keyword}")
    return int(tag)


#: keyword -> (tag, data dictionary VR), filled as keywords are first asked for
_SPECS: dict[str, tuple[int, str]] = {}


def _spec(keyword: str) -> tuple[int, str]:
    spec = _SPECS.get(keyword)
    if spec is None:
        tag = _tag(keyword)
        spec = _SPECS[keyword] = (tag, dictionary_vr(tag))
    return spec


#: the elements :meth:`LeanDataset.content_item` reads, with their data dictionary VRs
VALUE_TYPE = (0x0040A040, "CS")
RELATIONSHIP_TYPE = (0x0040A010, "CS")
CONCEPT_NAME_CODE_SEQUENCE = (0x0040A043, "SQ")
CONTENT_SEQUENCE = (0x0040A730, "SQ")
CODING_SCHEME_DESIGNATOR = (0x00080102, "SH")
CODE_VALUE = (0x00080100, "SH")


class LeanDataset:
    """One data set of the index (top level or item) with its inherited character set."""

    __slots__ = ("_buf", "_cache", "_elements", "_encoding", "file_meta")

    def __init__(
        self, buf: bytes, node: Node, encoding: str, file_meta: LeanDataset | None = None
    ) -> None:
        self._buf = buf
        self._elements = node.elements
        self._cache: dict[int, Any] = {}  # decoded values (immutable or never mutated)
        self.file_meta = file_meta
        own = self._elements.get(_SPECIFIC_CHARACTER_SET)
        self._encoding = encoding if own is None else self._charset(own)

    def _charset(self, element: tuple[str, object, int]) -> str:
        vr, start, length = element
        if vr != "CS" or not isinstance(start, int):
            raise NeedPydicom("Specific Character Set with an unexpected VR")
        term = self._buf[start : start + length].decode("latin-1").strip("\0 ")
        encoding = _CHARSETS.get(term)
        if encoding is None:
            raise NeedPydicom(f"Specific Character Set {term[:40]!r}")
        return encoding

    def __contains__(self, keyword: object) -> bool:
        return isinstance(keyword, str) and _tag(keyword) in self._elements

    def get(self, keyword: str, default: Any = None) -> Any:
        tag, vr = _SPECS.get(keyword) or _spec(keyword)
        cached = self._cache.get(tag, _MISSING)
        if cached is not _MISSING:
            return cached
        element = self._elements.get(tag)
        if element is None:
            return default
        if element[0] != vr:
            raise NeedPydicom(f"{tag_str(tag)} has VR {element[0]}, the dictionary says {vr}")
        value = self._cache[tag] = self._decode(tag, element)
        return value

    def content_item(self) -> tuple[Any, Any, Any, Any]:
        """What ``get`` returns (None when absent) for ValueType, RelationshipType, Concept
        Name Code Sequence and Content Sequence: the tree walk's one call per content item."""
        return (
            self._known(*VALUE_TYPE),
            self._known(*RELATIONSHIP_TYPE),
            self._known(*CONCEPT_NAME_CODE_SEQUENCE),
            self._known(*CONTENT_SEQUENCE),
        )

    def code_key_fields(self) -> tuple[Any, Any]:
        """What ``get`` returns (None when absent) for CodingSchemeDesignator and CodeValue."""
        return self._known(*CODING_SCHEME_DESIGNATOR), self._known(*CODE_VALUE)

    def _known(self, tag: int, vr: str) -> Any:
        """``get`` of an element whose tag and dictionary VR the caller knows, with the
        decoding of the VRs the tree walk reads inlined (anything else: :meth:`_decode`)."""
        cached = self._cache.get(tag, _MISSING)
        if cached is not _MISSING:
            return cached
        element = self._elements.get(tag)
        if element is None:
            return None
        found, start, length = element
        if found != vr:
            raise NeedPydicom(f"{tag_str(tag)} has VR {found}, the dictionary says {vr}")
        if found == "SQ":
            assert isinstance(start, list)
            buf, encoding = self._buf, self._encoding
            value: Any = [LeanDataset(buf, item, encoding) for item in start]
        elif found == "CS":
            assert isinstance(start, int)
            value = _multi(self._buf[start : start + length].decode("latin-1"))
        else:
            assert isinstance(start, int)
            raw = self._buf[start : start + length]
            if found == "SH" and b"\\" not in raw and b"\x1b" not in raw:
                try:  # one value (no backslash: in UTF-8 0x5C is only ever the backslash)
                    value = raw.decode(self._encoding).rstrip("\0 ")
                except UnicodeDecodeError:
                    value = self._decode(tag, element)  # raises NeedPydicom, as get would
            else:
                value = self._decode(tag, element)
        self._cache[tag] = value
        return value

    def get_item(self, tag: int) -> _Raw | None:
        element = self._elements.get(tag)
        if element is None:
            return None
        vr, start, length = element
        if vr not in _RAW_VRS or vr != dictionary_vr(tag) or not isinstance(start, int):
            raise NeedPydicom(f"raw value of {tag_str(tag)} with VR {vr}")
        return _Raw(self._buf[start : start + length])

    def _decode(self, tag: int, element: tuple[str, object, int]) -> Any:
        """The value as pydicom gives it; the caller checked the VR is the dictionary's."""
        vr, start, length = element
        if vr == "SQ":
            assert isinstance(start, list)
            return [LeanDataset(self._buf, item, self._encoding) for item in start]
        assert isinstance(start, int)
        if length == 0:
            return ""
        raw = self._buf[start : start + length]
        if vr == "UI":
            return _multi(raw.decode("latin-1").rstrip("\0 "))
        if vr in _ASCII_MULTI:
            return _multi(raw.decode("latin-1"))
        if vr == "AE":
            parts = [p.strip() for p in raw.decode("latin-1").split("\\")]
            return parts[0] if len(parts) == 1 else parts
        if vr == "UR":
            return raw.decode("latin-1").rstrip()
        if vr in _CHARSET_MULTI:
            parts = [p.rstrip("\0 ") for p in self._text(raw).split("\\")]
            return parts[0] if len(parts) == 1 else parts
        if vr in _CHARSET_SINGLE:
            return self._text(raw).rstrip("\0 ")
        if vr == "PN":
            names = [_person_name(p) for p in self._text(raw.rstrip(b"\0 ")).split("\\")]
            return names[0] if len(names) == 1 else names
        raise NeedPydicom(f"value of {tag_str(tag)} with VR {vr}")

    def _text(self, raw: bytes) -> str:
        if b"\x1b" in raw:
            raise NeedPydicom("code extension (ESC) in a text value")
        try:
            return raw.decode(self._encoding)
        except UnicodeDecodeError as exc:
            raise NeedPydicom("text value not decodable in its character set") from exc


class _Raw:
    """An undecoded element value, as pydicom's RawDataElement.value."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value


def _multi(text: str) -> str | list[str]:
    parts = text.rstrip(" \0").split("\\")
    return parts[0] if len(parts) == 1 else parts


def _person_name(text: str) -> str:
    """str() of a pydicom PersonName: its components joined by '=', trailing empties dropped."""
    components = text.split("=")
    while components and not components[-1]:
        components.pop()
    return "=".join(components)
