"""pydicom is the oracle: the lean decoder gives the same ParseResult, or both raise.

Over every sample, every synthetic template with each deviation it supports, >= 2,000 seeded
mutations (dosewatch.synth.mutate) per run, and a hypothesis property over the builders.
"""

from __future__ import annotations

import collections
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewatch.synth import Deviation
from dosewatch.synth.mutate import mutations
from tests.reader.oracle import DATA, SAMPLES, assert_same
from tests.synth.specs import TEMPLATES, build

#: small files of every template family: mutation count, not file size, drives the run time
MUTATION_SEEDS = (
    "openrem/CT-RDSR-Siemens-Continued-1.dcm",
    "openrem/CT-RDSR-Philips_BigBore4DCT.dcm",
    "openrem/CT-RDSR-Toshiba_DoseCheck.dcm",
    "openrem/CT-RDSR-GEPixelMed.dcm",
    "openrem/CT-RDSR-ToshibaPixelMed.dcm",
    "openrem/Dual-RDSR-DX.dcm",
    "openrem/Dual-RDSR-RF.dcm",
    "openrem/MG-RDSR-GEPristina-DBT.dcm",
    "openrem/NM-RRDSR-Siemens.dcm",
    "openrem/RF-RDSR-Eurocolumbus.dcm",
    "openrem/DX-Im-DRGEM.dcm",
    "openrem/CT-SC-Philips_Brilliance16P.dcm",
    "pyskindose/history_P1_philips_allura_clarity.dcm",
)
PER_FILE = 160  # 13 x 160 = 2,080 mutations


def stable_seed(text: str) -> int:
    """A seed that is the same in every process (never ``hash()`` of a string)."""
    return zlib.crc32(text.encode())


def test_every_sample_reads_the_same() -> None:
    decoders = collections.Counter(assert_same(path.read_bytes(), path.name) for path in SAMPLES)
    assert sum(decoders.values()) == len(SAMPLES) >= 50
    assert decoders["lean"] >= 25, decoders  # every little-endian SR sample is read lean


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_and_deviation_reads_the_same(template: str) -> None:
    supported = sorted(TEMPLATES[template][2])
    decoders = collections.Counter([assert_same(build(template), template)])
    for deviation in supported:
        decoders[assert_same(build(template, deviation), f"{template}+{deviation}")] += 1
    assert decoders["lean"] >= 1, decoders
    if Deviation.BIG_ENDIAN in supported:
        assert decoders["pydicom"] >= 1, decoders  # big endian goes to pydicom


@pytest.mark.parametrize("seed_file", MUTATION_SEEDS)
def test_mutations_read_the_same(seed_file: str) -> None:
    data = (DATA / seed_file).read_bytes()
    seed = stable_seed(seed_file)
    outcomes: collections.Counter[str] = collections.Counter()
    for index, mutation in enumerate(mutations(data, seed=seed, count=PER_FILE)):
        what = f"{seed_file} seed={seed} #{index} {mutation.kind}: {mutation.description}"
        outcomes[assert_same(mutation.data, what)] += 1
    assert sum(outcomes.values()) == PER_FILE
    assert outcomes["both raised"] > 0, outcomes  # the mutator really damages files
    assert len(outcomes) >= 2, outcomes


def test_the_run_covers_at_least_2000_mutations() -> None:
    assert len(MUTATION_SEEDS) * PER_FILE >= 2000
    assert all((DATA / name).is_file() for name in MUTATION_SEEDS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    template=st.sampled_from(sorted(TEMPLATES)),
    picks=st.lists(st.integers(min_value=0, max_value=63), max_size=3),
    seed=st.integers(min_value=1, max_value=2**31),
)
def test_property_builders_read_the_same(template: str, picks: list[int], seed: int) -> None:
    supported = sorted(TEMPLATES[template][2])
    chosen = sorted({supported[p % len(supported)] for p in picks}) if supported else []
    try:
        data = build(template, *chosen, seed=seed)
    except ValueError:  # two deviations that exclude each other
        return
    assert_same(data, f"{template} {chosen} seed={seed}")


def test_samples_exist() -> None:
    assert Path(DATA).is_dir() and len(SAMPLES) >= 50
