"""Mutation fuzzer: deterministic, varied, and its outputs never crash the parser."""

from __future__ import annotations

import pytest

from dosewatch.domain.errors import DoseWatchError
from dosewatch.synth import Deviation, ct_report_bytes
from dosewatch.synth.mutate import BYTE_KINDS, KINDS, STRUCTURAL_KINDS, Mutation, mutations
from rdsr_parsers import parse
from tests.synth.specs import CT_FULL, build


@pytest.fixture(scope="module")
def original() -> bytes:
    return build("ct")


@pytest.fixture(scope="module")
def batch(original: bytes) -> list[Mutation]:
    return list(mutations(original, seed=21, count=len(KINDS)))


@pytest.fixture(scope="module")
def other_batch(original: bytes) -> list[Mutation]:
    return list(mutations(original, seed=22, count=len(KINDS)))


def test_same_seed_same_mutations(
    original: bytes, batch: list[Mutation], other_batch: list[Mutation]
) -> None:
    again = list(mutations(original, seed=21, count=len(KINDS)))
    assert [(m.kind, m.description, m.data) for m in again] == [
        (m.kind, m.description, m.data) for m in batch
    ]
    assert [m.data for m in other_batch] != [m.data for m in batch]


def test_every_kind_appears_once_per_cycle(batch: list[Mutation]) -> None:
    assert sorted(m.kind for m in batch) == sorted(KINDS)
    assert set(KINDS) == set(BYTE_KINDS) | set(STRUCTURAL_KINDS)


def test_mutations_change_the_object(original: bytes, batch: list[Mutation]) -> None:
    for mutation in batch:
        assert mutation.data != original, mutation.kind
        assert mutation.description


def test_parser_never_crashes_on_mutations(batch: list[Mutation]) -> None:
    outcomes: set[str] = set()
    for mutation in batch:
        try:
            parse(mutation.data)
            outcomes.add("parsed")
        except DoseWatchError as exc:
            outcomes.add(type(exc).__name__)
    # some mutations are survivable, some make the object unreadable (since the structural
    # pass, a cut or a broken length is named as such rather than as an unreadable object)
    assert "parsed" in outcomes
    assert outcomes & {"UnreadableObjectError", "TruncatedObjectError", "DamagedStructureError"}


def test_truncation_shortens(
    original: bytes, batch: list[Mutation], other_batch: list[Mutation]
) -> None:
    cuts = [m for m in batch + other_batch if m.kind == "truncate"]
    assert len(cuts) == 2
    assert all(len(m.data) < len(original) for m in cuts)
    assert len({len(m.data) for m in cuts}) == 2


@pytest.mark.parametrize("deviation", [Deviation.IMPLICIT_VR, Deviation.BIG_ENDIAN])
def test_structural_mutations_keep_the_transfer_syntax(deviation: Deviation) -> None:
    data = ct_report_bytes(CT_FULL, deviations=[deviation])
    for mutation in mutations(data, seed=9, count=len(KINDS)):
        if mutation.kind in STRUCTURAL_KINDS and mutation.kind != "deep_nesting":
            try:
                result = parse(mutation.data)
            except DoseWatchError:
                continue
            assert result.report.study.sop_instance_uid


def test_unreadable_input_falls_back_to_byte_mutations() -> None:
    garbage = bytes(range(256)) * 4
    produced = list(mutations(garbage, seed=1, count=len(KINDS)))
    assert len(produced) == len(KINDS)
    assert {m.kind for m in produced} <= set(BYTE_KINDS)
