"""The compiled structural pass (``_fastlex.c``) against the Python pass, its oracle.

The compiled pass either builds exactly the index the Python pass builds (every node, every
element's VR, value start and length, the same flags) or gives up (None) and the Python pass
reads the object. Checked over every Explicit VR Little Endian sample, every synthetic
template and deviation, >= 2,000 seeded mutations and hand-made damage; and it must not give
up on a well-formed object.
"""

from __future__ import annotations

import collections
import gc
import struct
import tracemalloc
from typing import Any

import pytest

from dosewatch.domain.errors import DoseWatchError
from dosewatch.synth.mutate import mutations
from rdsr_parsers.reader import EXPLICIT_LE, _meta, lexer
from rdsr_parsers.reader.lexer import COMPILED, MAX_DEPTH, Index, Node
from tests.reader.oracle import DATA, SAMPLES
from tests.reader.test_oracle import MUTATION_SEEDS, stable_seed
from tests.synth.specs import TEMPLATES, build

PER_FILE = 160  # 13 x 160 = 2,080 mutations, as the decoder's differential test


def _compiled() -> Any:
    assert COMPILED is not None, "the compiled pass is not built (setup.py, a C compiler)"
    return COMPILED


def _python(buf: bytes, pos: int) -> Index | tuple[str, str]:
    try:
        return lexer.index(buf, pos, implicit=False, compiled=False)
    except DoseWatchError as exc:
        return (type(exc).__name__, str(exc))


def compare(buf: bytes, pos: int, what: str) -> str:
    """'same' (compiled index == Python index) or 'gave up' (None: the Python pass reads it)."""
    found = _compiled().explicit_le(buf, pos, Node, MAX_DEPTH)
    oracle = _python(buf, pos)
    if found is None:
        # the public entry point then gives exactly the Python pass's verdict
        try:
            via_index: Index | tuple[str, str] = lexer.index(buf, pos, implicit=False)
        except DoseWatchError as exc:
            via_index = (type(exc).__name__, str(exc))
        assert via_index == oracle, what
        return "gave up"
    assert isinstance(oracle, Index), f"{what}: compiled read it, the Python pass said {oracle}"
    root, pixels = found
    assert oracle.cut is None, f"{what}: the Python pass found a cut {oracle.cut}"
    assert root == oracle.root, f"{what}: the indexes differ"
    assert lexer.index(buf, pos, implicit=False) == oracle, f"{what}: the flags differ"
    assert isinstance(pixels, bool)
    return "same"


def _explicit(data: bytes) -> int | None:
    meta = _meta(data)
    return meta[1] if meta is not None and meta[2] == EXPLICIT_LE else None


def test_the_compiled_pass_is_built() -> None:
    assert _compiled().explicit_le.__doc__.startswith("explicit_le(")


def test_every_explicit_sample_is_read_by_the_compiled_pass_exactly() -> None:
    verdicts: collections.Counter[str] = collections.Counter()
    for path in SAMPLES:
        data = path.read_bytes()
        pos = _explicit(data)
        if pos is not None:
            verdicts[compare(data, pos, path.name)] += 1
    # well-formed objects, images with whole Pixel Data included: it never gives up
    assert verdicts == {"same": 45}, verdicts


def test_every_template_and_deviation() -> None:
    verdicts: collections.Counter[str] = collections.Counter()
    for template in sorted(TEMPLATES):
        for deviation in [None, *sorted(TEMPLATES[template][2])]:
            data = build(template) if deviation is None else build(template, deviation)
            pos = _explicit(data)
            if pos is not None:
                verdicts[compare(data, pos, f"{template}+{deviation}")] += 1
    assert verdicts["same"] >= len(TEMPLATES), verdicts


@pytest.mark.parametrize("seed_file", MUTATION_SEEDS)
def test_seeded_mutations(seed_file: str) -> None:
    data = (DATA / seed_file).read_bytes()
    seed = stable_seed("compiled:" + seed_file)
    verdicts: collections.Counter[str] = collections.Counter()
    for number, mutation in enumerate(mutations(data, seed=seed, count=PER_FILE)):
        pos = _explicit(mutation.data)
        what = f"{seed_file} seed={seed} #{number} {mutation.kind}: {mutation.description}"
        verdicts[compare(mutation.data, pos, what) if pos is not None else "other syntax"] += 1
    assert sum(verdicts.values()) == PER_FILE
    if _explicit(data) is not None:
        # mutations that keep the structure well formed are read by the compiled pass,
        # damaged ones are left to the Python pass: both kinds occur
        assert verdicts["same"] > 0 and verdicts["gave up"] > 0, verdicts


# ---------------------------------------------------------------- hand-made structure


def _el(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    if vr in (b"SQ", b"OB", b"UN", b"UT", b"OW"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def _undefined(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sHI", group, elem, vr, 0, 0xFFFFFFFF) + value


def _item(body: bytes, *, defined: bool = True) -> bytes:
    if defined:
        return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
    return struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + body + ITEM_END


ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
CODE = _el(0x0008, 0x0100, b"SH", b"113701") + _el(0x0008, 0x0102, b"CS", b"DCM ")
SR_CLASS = _el(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.88.67\0")
IMAGE_CLASS = _el(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.1.1\0")


def _nested(depth: int) -> bytes:
    body = CODE
    for _ in range(depth):
        body = _el(0x0040, 0xA730, b"SQ", _item(body))
    return body


CASES = {
    "defined sequence": (SR_CLASS + _el(0x0040, 0xA730, b"SQ", _item(CODE) + _item(CODE)), "same"),
    "undefined sequence and items": (
        SR_CLASS + _undefined(0x0040, 0xA730, b"SQ", _item(CODE, defined=False) + SEQ_END),
        "same",
    ),
    "empty sequence": (
        _el(0x0040, 0xA730, b"SQ", b"") + _undefined(0x0040, 0xA043, b"SQ", SEQ_END),
        "same",
    ),
    "empty values": (_el(0x0010, 0x0010, b"PN", b"") + _el(0x0040, 0xA040, b"CS", b""), "same"),
    "a defined item closed by an item delimiter": (
        _el(0x0040, 0xA730, b"SQ", _item(CODE + ITEM_END)),
        "same",
    ),
    "duplicate tags (the last one kept, as the Python pass)": (CODE + CODE, "same"),
    "nesting at the limit": (_nested(MAX_DEPTH), "same"),
    "nesting past the limit": (_nested(MAX_DEPTH + 1), "gave up"),
    "whole pixel data": (IMAGE_CLASS + _el(0x7FE0, 0x0010, b"OW", b"\0" * 16), "same"),
    "an image without pixel data": (IMAGE_CLASS + CODE, "same"),
    "whole encapsulated pixel data": (
        IMAGE_CLASS + _undefined(0x7FE0, 0x0010, b"OB", _item(b"") + _item(b"ab") + SEQ_END),
        "same",
    ),
    "cut pixel data": (IMAGE_CLASS + _el(0x7FE0, 0x0010, b"OW", b"\0" * 16)[:-4], "gave up"),
    "cut encapsulated pixel data": (
        IMAGE_CLASS + _undefined(0x7FE0, 0x0010, b"OB", _item(b"ab")),
        "gave up",
    ),
    "odd length": (_el(0x0008, 0x0100, b"SH", b"abc"), "gave up"),
    "unknown VR": (CODE + _el(0x0008, 0x0104, b"XX", b"ab"), "gave up"),
    "lower-case VR": (_el(0x0008, 0x0104, b"lo", b"ab"), "gave up"),
    "undefined-length UN": (_undefined(0x0009, 0x1010, b"UN", _item(b"") + SEQ_END), "gave up"),
    "undefined length on a text VR": (_undefined(0x0008, 0x0104, b"UT", b""), "gave up"),
    "value past the end": (CODE + _el(0x0008, 0x0104, b"LO", b"abcd")[:-2], "gave up"),
    "header past the end": (CODE + b"\x08\x00", "gave up"),
    "long header past the end": (CODE + struct.pack("<HH2sH", 0x0008, 0x0104, b"UT", 0), "gave up"),
    "item delimiter at the top": (CODE + ITEM_END, "gave up"),
    "item tag at the top": (CODE + _item(b""), "gave up"),
    "item delimiter with a length": (
        _el(0x0040, 0xA730, b"SQ", _item(CODE + struct.pack("<HHI", 0xFFFE, 0xE00D, 2))),
        "gave up",
    ),
    "sequence delimiter in a defined sequence": (_el(0x0040, 0xA730, b"SQ", SEQ_END), "gave up"),
    "undefined sequence without its delimiter": (
        _undefined(0x0040, 0xA730, b"SQ", _item(CODE)),
        "gave up",
    ),
    "undefined item without its delimiter": (
        _undefined(0x0040, 0xA730, b"SQ", _item(CODE, defined=False)[:-8]),
        "gave up",
    ),
    "item overrunning its sequence": (
        struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, len(_item(CODE)) - 2) + _item(CODE),
        "gave up",
    ),
    "item ending early": (_el(0x0040, 0xA730, b"SQ", _item(CODE + b"\0\0\0\0")), "gave up"),
    "odd item length": (_el(0x0040, 0xA730, b"SQ", _item(CODE)[:4] + b"\x01\0\0\0"), "gave up"),
    "element overrunning its item": (
        _el(0x0040, 0xA730, b"SQ", _item(CODE[:-8] + _el(0x0008, 0x0102, b"CS", b"DCM "))[:-2]),
        "gave up",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_made_structure(case: str) -> None:
    body, expected = CASES[case]
    assert compare(body, 0, case) == expected


def test_a_start_outside_the_buffer_gives_up() -> None:
    assert _compiled().explicit_le(CODE, len(CODE) + 2, Node, MAX_DEPTH) is None
    assert _compiled().explicit_le(CODE, -1, Node, MAX_DEPTH) is None
    assert _compiled().explicit_le(CODE, len(CODE), Node, MAX_DEPTH) == (Node({}), False)


def test_the_pixel_flag_and_the_image_flag() -> None:
    whole = IMAGE_CLASS + _el(0x7FE0, 0x0010, b"OW", b"\0" * 16)
    assert _compiled().explicit_le(whole, 0, Node, MAX_DEPTH)[1] is True
    assert lexer.index(whole, 0, implicit=False).image_without_pixels is False
    bare = IMAGE_CLASS + CODE
    assert _compiled().explicit_le(bare, 0, Node, MAX_DEPTH)[1] is False
    assert lexer.index(bare, 0, implicit=False).image_without_pixels is True
    assert lexer.index(SR_CLASS + CODE, 0, implicit=False).image_without_pixels is False


def test_elements_are_the_python_tuples() -> None:
    root, _ = _compiled().explicit_le(CODE, 0, Node, MAX_DEPTH)
    assert root.elements == {0x00080100: ("SH", 8, 6), 0x00080102: ("CS", 22, 4)}
    assert list(root.elements) == [0x00080100, 0x00080102]
    assert root.implicit_sq is False
    nested, _ = _compiled().explicit_le(_nested(1), 0, Node, MAX_DEPTH)
    vr, items, zero = nested.elements[0x0040A730]
    assert (vr, zero, len(items)) == ("SQ", 0, 1)
    assert items[0].elements == {0x00080100: ("SH", 28, 6), 0x00080102: ("CS", 42, 4)}


def test_no_memory_is_kept_across_calls() -> None:
    data = next(p for p in SAMPLES if p.name == "RF-RDSR-Philips_Azurion.dcm").read_bytes()
    pos = _explicit(data)
    assert pos is not None
    damaged = data[: len(data) // 2]  # gives up deep inside the content tree

    def calls(count: int) -> None:
        for _ in range(count):
            assert _compiled().explicit_le(data, pos, Node, MAX_DEPTH) is not None
            assert _compiled().explicit_le(damaged, pos, Node, MAX_DEPTH) is None

    calls(1)
    tracemalloc.start()
    try:
        calls(2)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        calls(10)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # one index of this object is ~40 MB of objects: a leaked one would show at once
    assert after - before < 16 * 1024, after - before
