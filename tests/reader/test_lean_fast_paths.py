"""The tree walk's fused accessors of LeanDataset return what ``get`` returns."""

from __future__ import annotations

from typing import Any

import pytest

from rdsr_parsers.reader import LEAN, LeanDataset, NeedPydicom, open_object
from rdsr_parsers.reader import dataset as lean
from rdsr_parsers.reader.lexer import Node, dictionary_vr
from tests.reader.oracle import SAMPLES

FIELDS = ("ValueType", "RelationshipType", "ConceptNameCodeSequence", "ContentSequence")


def _fresh(ds: LeanDataset) -> LeanDataset:
    """The same data set without anything decoded yet."""
    return LeanDataset(ds._buf, Node(ds._elements), ds._encoding)


def _walk(ds: LeanDataset) -> list[LeanDataset]:
    out, stack = [], [ds]
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(item.get("ContentSequence") or [])
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            x._elements is y._elements for x, y in zip(a, b, strict=True)
        )
    return type(a) is type(b) and a == b


def test_the_constants_are_the_dictionary_s() -> None:
    for tag, vr in (
        lean.VALUE_TYPE,
        lean.RELATIONSHIP_TYPE,
        lean.CONCEPT_NAME_CODE_SEQUENCE,
        lean.CONTENT_SEQUENCE,
        lean.CODING_SCHEME_DESIGNATOR,
        lean.CODE_VALUE,
    ):
        assert dictionary_vr(tag) == vr


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_fused_accessors_equal_get_on_every_content_item(path: Any) -> None:
    opened = open_object(path.read_bytes())
    if opened.decoder != LEAN or opened.dataset is None:
        pytest.skip("not read lean")
    items = _walk(opened.dataset)
    for ds in items:
        fused = _fresh(ds).content_item()
        plain = tuple(_fresh(ds).get(name) for name in FIELDS)
        assert all(_same(a, b) for a, b in zip(fused, plain, strict=True)), (fused, plain)
        # the fused values are cached as get's: a later get returns the same objects
        fresh = _fresh(ds)
        values = fresh.content_item()
        assert all(v is fresh.get(n) for v, n in zip(values, FIELDS, strict=True) if v is not None)
        for code in ds.get("ConceptNameCodeSequence") or []:
            fused_code = _fresh(code).code_key_fields()
            plain_code = (_fresh(code).get("CodingSchemeDesignator"), _fresh(code).get("CodeValue"))
            assert fused_code == plain_code


def _one(tag: int, vr: str, value: bytes, encoding: str = "latin-1") -> LeanDataset:
    return LeanDataset(value, Node({tag: (vr, 0, len(value))}), encoding)


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        (b"DCM ", "latin-1", "DCM"),
        (b"", "latin-1", ""),
        (b"A\\B ", "latin-1", ["A", "B"]),
        ("Gy·cm²".encode(), "utf-8", "Gy·cm²"),
        ("é".encode("latin-1") + b"\0", "latin-1", "é"),
    ],
)
def test_short_strings_decode_as_get_does(raw: bytes, encoding: str, expected: object) -> None:
    tag = lean.CODE_VALUE[0]
    assert _one(tag, "SH", raw, encoding).code_key_fields() == (None, expected)
    assert _one(tag, "SH", raw, encoding).get("CodeValue") == expected


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"\x1b$B"])
def test_undecodable_or_escaped_strings_need_pydicom(raw: bytes) -> None:
    with pytest.raises(NeedPydicom):
        _one(lean.CODE_VALUE[0], "SH", raw, "utf-8").code_key_fields()


def test_another_vr_than_the_dictionary_s_needs_pydicom() -> None:
    with pytest.raises(NeedPydicom, match=r"\(0040,A040\) has VR LO, the dictionary says CS"):
        _one(lean.VALUE_TYPE[0], "LO", b"NUM ").content_item()
    with pytest.raises(NeedPydicom, match=r"has VR LO, the dictionary says CS"):
        _one(lean.VALUE_TYPE[0], "LO", b"NUM ").get("ValueType")


def test_code_strings_are_split_and_stripped() -> None:
    assert _one(lean.VALUE_TYPE[0], "CS", b"NUM ").content_item() == ("NUM", None, None, None)
    assert _one(lean.VALUE_TYPE[0], "CS", b"A\\B\0").content_item()[0] == ["A", "B"]
