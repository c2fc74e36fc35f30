"""Region generator: deterministic, manifest consistent with the files it wrote."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from dosewatch.domain.findings import Severity
from dosewatch.synth import generate_region, iter_region, read_dataset
from dosewatch.synth import region as region_module
from dosewatch.synth.common import INS_ISSUER_OID, UidFactory
from dosewatch.synth.region import MANIFEST_NAME, RegionGenerator, RegionSummary
from rdsr_parsers import parse

SIZE = {"establishments": 3, "persons": 30}


def _digest(seed: int) -> str:
    digest = hashlib.sha256()
    for relative, data in iter_region(seed=seed, **SIZE):
        digest.update(relative.encode())
        digest.update(data)
    return digest.hexdigest()


def test_same_seed_same_region() -> None:
    assert _digest(11) == _digest(11)
    assert _digest(11) != _digest(12)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RegionSummary]:
    outdir = tmp_path_factory.mktemp("region")
    # seed chosen so that the small region holds every kind of file
    summary = generate_region(outdir, seed=6, establishments=3, persons=25)
    return outdir, summary


def test_files_are_laid_out_and_counted(region: tuple[Path, RegionSummary]) -> None:
    outdir, summary = region
    files = sorted(outdir.rglob("*.dcm"))
    assert len(files) == summary.files
    manifest = json.loads((outdir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["files"] == summary.files
    assert manifest["expected_unique_events"] == summary.expected_unique_events
    establishments = {f.relative_to(outdir).parts[0] for f in files}
    assert len(establishments) <= summary.establishments
    assert all(re.fullmatch(r"\d{9}", code) for code in establishments)
    modalities = Counter(f.relative_to(outdir).parts[1] for f in files)
    assert dict(modalities) == summary.files_by_modality
    resent = [f for f in files if f.stem.endswith("-resent-1")]
    assert len(resent) == summary.files_by_kind.get("resent", 0)
    for copy in resent:
        original = copy.with_name(copy.name.replace("-resent-1", ""))
        assert original.read_bytes() == copy.read_bytes()
    assert sum(summary.files_by_kind.values()) == summary.files
    assert summary.total_bytes == sum(f.stat().st_size for f in files)


def test_region_has_every_kind(region: tuple[Path, RegionSummary]) -> None:
    _outdir, summary = region
    assert set(summary.files_by_kind) == {
        "report",
        "resent",
        "cumulative_partial",
        "continued_part",
    }
    assert set(summary.files_by_modality) == {"CT", "DX", "MG", "RF", "NM"}


def test_manifest_expectations_match_parsed_files(region: tuple[Path, RegionSummary]) -> None:
    outdir, summary = region
    sop_uids: set[str] = set()
    event_uids: set[str] = set()
    studies: dict[str, list[set[str]]] = defaultdict(list)
    identities: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in sorted(outdir.rglob("*.dcm")):
        result = parse(path)
        assert not [f for f in result.findings if f.severity >= Severity.ERROR], path.name
        report = result.report
        assert path.stem.startswith(report.sop_instance_uid)
        events = {e.irradiation_event_uid for e in report.events if e.irradiation_event_uid}
        assert len(events) == len(report.events)
        if report.sop_instance_uid not in sop_uids:
            studies[report.study.study_instance_uid].append(events)
        sop_uids.add(report.sop_instance_uid)
        event_uids |= events
        patient = report.patient
        assert patient.patient_id is not None and patient.patient_id.issuer
        for other in patient.other_ids:
            assert other.issuer_universal_id == INS_ISSUER_OID
            identities[other.value].add((patient.patient_id.issuer, patient.patient_id.value))
    assert len(sop_uids) == summary.expected_recorded_reports
    assert len(event_uids) == summary.expected_unique_events
    # cumulative studies: each report's events are a superset of the previous report's
    superseded = 0
    for reports in studies.values():
        reports.sort(key=len)
        for earlier, later in itertools.pairwise(reports):
            if earlier < later:
                superseded += 1
            else:
                assert earlier.isdisjoint(later)  # continued study
    assert len(sop_uids) - superseded == summary.expected_current_reports
    # a person keeps one INS but has one local ID per establishment
    for local_ids in identities.values():
        issuers = [issuer for issuer, _value in local_ids]
        assert len(issuers) == len(set(issuers))
    assert any(len(local_ids) > 1 for local_ids in identities.values())


def test_persons_look_real(region: tuple[Path, RegionSummary]) -> None:
    outdir, summary = region
    assert 0 < summary.persons_with_ins < summary.persons
    assert summary.expected_ledger_persons >= summary.persons_with_ins
    for path in sorted(outdir.rglob("*.dcm"))[:15]:
        ds = read_dataset(path.read_bytes())
        assert ds.PatientSex in {"M", "F"}
        assert 2.0 <= float(ds.PatientWeight) <= 250.0
        assert 0.6 <= float(ds.PatientSize) <= 2.1
        assert re.fullmatch(r"\d{3}Y", ds.PatientAge)


def test_summary_needs_exhausted_iterator() -> None:
    generator = RegionGenerator(establishments=1, persons=1, seed=0)
    with pytest.raises(RuntimeError):
        generator.summary()
    assert list(generator.files())
    assert generator.summary().persons == 1


def test_indicator_distributions_are_plausible() -> None:
    """Medians near the typical values the generator promises (specs, not files: fast)."""
    rng = random.Random(3)
    uid = UidFactory(3, "test")
    person = region_module._person(rng, 0)
    ctdivol = sorted(
        e.ctdivol_mgy
        for _ in range(300)
        for e in region_module._ct_spec(rng, person, uid, False).events
    )
    agd = sorted(e.agd_mgy for _ in range(100) for e in region_module._mg_spec(rng, uid).events)
    kap = sorted(
        sum(e.dap_gy_cm2 for e in region_module._rf_spec(rng, uid).events) for _ in range(100)
    )
    activity = sorted(
        region_module._nm_spec(rng, person, uid, False).administrations[0].activity_mbq
        for _ in range(100)
    )
    assert 5.0 < statistics.median(ctdivol) < 50.0
    assert max(ctdivol) > 40.0  # head scans
    assert 1.0 < statistics.median(agd) < 1.6
    assert 30.0 < statistics.median(kap) < 80.0
    assert 200.0 < statistics.median(activity) < 300.0
