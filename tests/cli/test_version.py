"""``dosewatch --version`` prints the installed distribution's version and exits 0."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_version_option_prints_the_distribution_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dosewatch.cli.main", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dosewatch {version('dosewatch')}"
    assert version("dosewatch")  # pyproject.toml [project] version
