"""``dosewatch conformance`` over the 50 samples (SQLite and PostgreSQL): every manufacturer
and model of the manifests is listed, the parser findings per code equal those of reading
each object on its own, every quirk of ``rdsr_parsers/data/quirks.csv`` shows on the device
of its evidence file, and rejected objects are attributed to the device their header names."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.identity import SourceInfo
from rdsr_parsers import parse, peek_device
from tests.conftest import manifest_rows

ROWS = manifest_rows()
QUIRKS = Path(__file__).resolve().parents[2] / "rdsr_parsers" / "data" / "quirks.csv"
Key = tuple[str | None, str | None, str | None]


def _key(device: Any) -> Key:
    return (device.manufacturer, device.model, "\\".join(device.software_versions) or None)


def _expected() -> tuple[dict[Key, Counter[str]], dict[Key, Counter[str]], dict[str, Key], int]:
    """Findings and rejections per device from reading every object on its own.

    The ledger keeps one report per SOP Instance (a second version replaces the first) and
    one quarantine entry per distinct bytes; so does this count.
    """
    findings: dict[Key, Counter[str]] = {}
    rejections: dict[Key, Counter[str]] = {}
    device_of: dict[str, Key] = {}
    versions: dict[str, Counter[str]] = {}
    rejected: set[str] = set()
    for row in ROWS:
        data = Path(row["path"]).read_bytes()
        try:
            result = parse(data)
        except DoseWatchError as exc:
            device = peek_device(data)
            key: Key = (None, None, None) if device is None else _key(device)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in rejected:
                rejections.setdefault(key, Counter())[exc.code] += 1
            rejected.add(digest)
        else:
            key = _key(result.report.device)
            counts = Counter(str(f.code) for f in result.findings)
            sop = result.report.sop_instance_uid
            if sop in versions:  # another copy of the object: the same findings
                assert versions[sop] == counts, row["file"]
            else:
                findings.setdefault(key, Counter()).update(counts)
            versions[sop] = counts
        device_of[row["file"]] = key
    return findings, rejections, device_of, len(versions) + len(rejected)


def _conformance(ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", ingestor.settings.effective_database_url())
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(ingestor.settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    result = CliRunner().invoke(app, ["conformance", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
def test_conformance_over_the_samples_matches_the_objects_and_the_quirks_table(
    ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    for row in ROWS:
        ingestor.ingest_path(Path(row["path"]), SourceInfo(row["file"], establishment="EST-A"))
    out = json.loads(_conformance(ingestor, monkeypatch, "--json"))
    devices = {(d["manufacturer"], d["model"], d["software_versions"]): d for d in out["devices"]}
    assert out["establishment"] is None

    # every manufacturer / model of the manifests is listed (the manifests' spelling may
    # differ in case from what the objects send)
    listed = {(str(m).lower(), str(n).lower()) for m, n, _ in devices}
    for row in ROWS:
        assert (row["manufacturer"].lower(), row["model"].lower()) in listed, row["file"]

    findings, rejections, device_of, objects = _expected()
    assert findings, "the samples yield parser findings"
    for key, counts in findings.items():
        assert devices[key]["findings"] == dict(counts), key
        assert devices[key]["findings_by_severity"], key
    for key, counts in rejections.items():
        assert devices[key]["rejections"] == dict(counts), key
    assert sum(d["objects_seen"] for d in devices.values()) == objects
    for device in devices.values():
        assert device["objects_seen"] == device["parsed"] + device["quarantined"]
        assert device["share_parsed"] == pytest.approx(device["parsed"] / device["objects_seen"])

    # the quirks table: each quirk with an evidence file shows on that file's device
    with QUIRKS.open(newline="", encoding="utf-8") as handle:
        quirks = [q for q in csv.DictReader(handle) if q["evidence_file"]]
    assert len(quirks) >= 25
    for quirk in quirks:
        device = devices[device_of[quirk["evidence_file"]]]
        assert device["findings"].get(quirk["finding_code"], 0) >= 1, quirk["quirk_id"]

    # one establishment: the same devices (every object came from EST-A); another: none
    assert json.loads(_conformance(ingestor, monkeypatch, "--json", "-e", "EST-A")) == {
        **out,
        "establishment": "EST-A",
    }
    assert json.loads(_conformance(ingestor, monkeypatch, "--json", "-e", "EST-B"))["devices"] == []
    lines = _conformance(ingestor, monkeypatch, "--csv").splitlines()
    assert lines[0].startswith("manufacturer,model,software_versions,objects_seen")
    assert len(lines) == 1 + len(devices)
    text = _conformance(ingestor, monkeypatch)
    assert "unit.nonstandard — " in text  # codes with their meaning, not codes alone
