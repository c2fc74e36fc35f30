"""Shared test fixtures: where the bundled sample files are."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def manifest_rows() -> list[dict[str, str]]:
    """Rows of both corpus manifests, each with its ``path``."""
    rows: list[dict[str, str]] = []
    for folder in ("openrem", "pyskindose"):
        with (DATA / folder / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                row["path"] = str(DATA / folder / row["file"])
                rows.append(row)
    return rows


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
