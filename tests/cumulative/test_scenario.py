"""Ground truth: cumulative sums of a known region equal hand-computed values in every
arrival order and with 2 workers, on SQLite and PostgreSQL (see :mod:`.scenario`)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.cumulative.summary import CumulativeDose, as_json, cumulative
from dosewatch.cumulative.window import parse_window
from dosewatch.ingest import local_pool as workers
from dosewatch.ingest.pipeline import Ingestor, Prepared
from dosewatch.ledger import identity, repository
from dosewatch.ledger.db import session_factory, transaction
from dosewatch.ledger.dump import canonical_dump
from dosewatch.ledger.identity import SourceInfo
from tests.cumulative import scenario

ISSUE_KEYS = {
    "person",
    "window",
    "exams",
    "effective_dose_msv",
    "effective_dose_basis",
    "effective_dose_exams_covered",
    "organ_doses_mgy",
    "ka_r_gy",
    "kap_gy_cm2",
    "activity_mbq",
    "uncertainty_pct",
}
LUNG, BLADDER = "39607008", "89837001"


@pytest.fixture(scope="module")
def objects() -> dict[str, Prepared]:
    return scenario.prepared_files()


def record(ingestor: Ingestor, items: Sequence[tuple[str, Prepared]]) -> None:
    for name, item in items:
        ingestor.record(item, SourceInfo(name))


def link_alice(ingestor: Ingestor) -> int:
    """Link Alice's Clinique C identity (no INS there) into her INS person, as an operator."""
    with transaction(session_factory(ingestor.engine)) as session:
        (alice,) = repository.find_persons(session, scenario.INS)
        (local,) = repository.find_persons(session, "C-5", "HOSP-C")
        identity.link_persons(session, alice, local, "same patient (checked)", "physicist")
    return alice


def view(session: Session, person: int, window: str = "all") -> CumulativeDose:
    return cumulative(session, person, parse_window(window, scenario.AS_OF))


def check_alice(ingestor: Ingestor, alice: int) -> dict[str, Any]:
    with session_factory(ingestor.engine)() as session:
        lifetime = view(session, alice)
        custom = view(session, alice, "2025-05-01:2025-12-31")
        rolling = view(session, alice, "12m")
        (bob,) = repository.find_persons(session, "A-001", "HOSP-C")
        bob_view = view(session, bob)
    assert lifetime.exams == 3  # distinct studies: re-sent and superseding reports add nothing
    assert lifetime.effective.value == pytest.approx(scenario.ALICE_E_MSV, rel=1e-9)
    assert lifetime.effective.exams_covered == 3 and not lifetime.effective.missing
    organs = {o.code: o.dose.value for o in lifetime.organs}
    assert organs[LUNG] == pytest.approx(scenario.ALICE_LUNG_MGY, rel=1e-9)
    assert organs[BLADDER] == pytest.approx(scenario.ALICE_BLADDER_MGY, rel=1e-9)
    assert {a.name: a.value for a in lifetime.activity} == {"77004003": scenario.FDG_MBQ}
    assert [p.establishment for p in lifetime.timeline] == [
        "HOPITAL_A",
        "HOPITAL_B",
        "CLINIQUE_C",
    ]
    assert lifetime.timeline[-1].running_msv == pytest.approx(scenario.ALICE_E_MSV)
    assert rolling.effective.value == pytest.approx(scenario.ALICE_E_MSV)
    dlp_x2 = scenario.DLP["e3"] + scenario.DLP["e4"] + scenario.DLP["e5"]
    expected_custom = scenario.K_CHEST_120KV * dlp_x2 + scenario.E_FDG_PER_MBQ * scenario.FDG_MBQ
    assert custom.exams == 2
    assert custom.effective.value == pytest.approx(expected_custom, rel=1e-9)
    assert bob_view.exams == 1  # the colliding local ID is another person
    assert bob_view.effective.value == pytest.approx(scenario.K_CHEST_120KV * scenario.BOB_DLP)
    # the E uncertainty is positive and below the naive full-correlation bound
    pct = lifetime.effective.uncertainty_pct
    assert pct is not None and 0 < pct < 100
    return as_json(lifetime)


def test_sums_equal_hand_computed_values_in_every_order(
    objects: dict[str, Prepared], make_ingestor: Callable[[], Ingestor]
) -> None:
    items = sorted(objects.items())
    seed = 20261201
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    dumps = []
    results = []
    for order in (items, items[::-1], shuffled):
        ledger = make_ingestor()
        record(ledger, order)
        ledger.record(scenario.header_of_e1(), SourceInfo("x1-image"))
        alice = link_alice(ledger)
        results.append(check_alice(ledger, alice))
        with session_factory(ledger.engine)() as session:
            dumps.append(canonical_dump(session))
    assert dumps[0] == dumps[1] == dumps[2], f"orders differ (shuffle seed {seed})"
    assert results[0] == results[1] == results[2]
    assert set(results[0]) == ISSUE_KEYS


def test_two_workers_give_the_same_cumulative_values(
    objects: dict[str, Prepared], make_ingestor: Callable[[], Ingestor], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in scenario.files().items():
        (folder / name).write_bytes(data)
    parallel = make_ingestor()
    summary = workers.run(parallel.settings, [folder], workers=2)
    assert summary.failed == 0 and summary.duplicates == 1
    parallel.record(scenario.header_of_e1(), SourceInfo("x1-image"))
    sequential = make_ingestor()
    record(sequential, sorted(objects.items()))
    sequential.record(scenario.header_of_e1(), SourceInfo("x1-image"))
    assert check_alice(parallel, link_alice(parallel)) == check_alice(
        sequential, link_alice(sequential)
    )


def test_cli_json_has_exactly_the_issue_keys(
    objects: dict[str, Prepared], ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(ingestor, sorted(objects.items()))
    link_alice(ingestor)
    monkeypatch.setenv("DOSEWATCH_DATABASE_URL", ingestor.settings.effective_database_url())
    monkeypatch.setenv("DOSEWATCH_DATA_DIR", str(ingestor.settings.data_dir))
    monkeypatch.setenv("DOSEWATCH_PSEUDONYM_KEY", "k")
    args = ["person", "show", scenario.INS, "--cumulative", "--window", "5y"]
    result = CliRunner().invoke(app, [*args, "--as-of", "2025-12-31", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == ISSUE_KEYS
    assert out["exams"] == 3 and out["effective_dose_basis"] == "ICRP103"
    assert out["effective_dose_msv"] == pytest.approx(scenario.ALICE_E_MSV, rel=1e-5)
    assert out["organ_doses_mgy"][BLADDER] == pytest.approx(scenario.ALICE_BLADDER_MGY)
    text = CliRunner().invoke(app, [*args, "--as-of", "2025-12-31"])
    assert text.exit_code == 0, text.output
    assert "Urinary bladder" in text.stdout and "total" in text.stdout
    assert scenario.INS not in text.stdout  # masked by default
    bad = CliRunner().invoke(app, [*args, "--window", "soon"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
