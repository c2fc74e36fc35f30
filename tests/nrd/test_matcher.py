"""Suggestions put the right exam type first (issue #8 acceptance: >= 90 %)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from dosewatch.cli.main import app
from dosewatch.nrd import suggest
from dosewatch.nrd.reference import exam_types
from dosewatch.synth.nrd_descriptions import generate

HELD_OUT = Path(__file__).parent / "data" / "heldout_descriptions.csv"
SEED = 20261201


def _rate(cases: list[tuple[str, str, str]]) -> tuple[float, list[str]]:
    failures = []
    for modality, text, expected in cases:
        found = suggest(text, modality)
        best = found[0].exam_type if found else None
        if best != expected:
            failures.append(f"{modality} {text!r}: expected {expected}, got {best}")
    return 1 - len(failures) / len(cases), failures


def test_generated_descriptions_rank_the_right_exam_first() -> None:
    cases = generate(SEED, 800)
    assert len({c[2] for c in cases}) == len(exam_types()), "every exam type is exercised"
    rate, failures = _rate(cases)
    print(f"seed {SEED}: {rate:.1%} first-rank; failures:", *failures, sep="\n  ")  # noqa: T201 - the issue asks the test to print failures
    assert rate >= 0.90, f"seed {SEED}: {rate:.1%}\n" + "\n".join(failures)


def test_held_out_descriptions_rank_the_right_exam_first() -> None:
    with HELD_OUT.open(encoding="utf-8") as handle:
        cases = [(r["modality"], r["description"], r["expected"]) for r in csv.DictReader(handle)]
    assert len(cases) >= 70
    rate, failures = _rate(cases)
    print(f"held-out: {rate:.1%} first-rank; failures:", *failures, sep="\n  ")  # noqa: T201 - the issue asks the test to print failures
    assert rate >= 0.90, "\n".join(failures)


def test_shorthand_typos_order_and_accents() -> None:
    assert suggest("TDM THORAX S/IV", "CT")[0].exam_type == "CT_THORAX"
    assert suggest("SCANNER ABDO-PELV", "CT")[0].exam_type == "CT_ABDO_PELV"
    assert suggest("RX THORAX F", "DX")[0].exam_type == "DX_THORAX_F"
    assert suggest("rx thorax P", "DX")[0].exam_type == "DX_THORAX_P"
    assert suggest("PELVIENNE ABDOMINO THORACO TDM", "CT")[0].exam_type == "CT_TAP"
    assert suggest("TDM ENCPHALE", "CT")[0].exam_type == "CT_ENCEPHALE"  # typo
    assert (
        suggest("Scanner cérébral", "CT")[0].exam_type
        == suggest("SCANNER CEREBRAL", "CT")[0].exam_type
    )
    assert suggest("zzz qqq", "CT") == []  # nothing recognisable: no confident guess


def test_suggest_cli_json_shape() -> None:
    result = CliRunner().invoke(
        app, ["nrd", "suggest", "RX THORAX F", "--modality", "DX", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"description", "suggestions"}
    first = payload["suggestions"][0]
    assert set(first) == {"exam_type", "label_fr", "score"}
    assert first["exam_type"] == "DX_THORAX_F"
    assert first["label_fr"].startswith("Thorax de face")
    scores = [s["score"] for s in payload["suggestions"]]
    assert scores == sorted(scores, reverse=True)


def test_suggest_cli_rejects_unknown_modality() -> None:
    result = CliRunner().invoke(app, ["nrd", "suggest", "x", "--modality", "US"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
