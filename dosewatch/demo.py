"""``make demo``: the main job on the embedded default.

Builds a fresh SQLite ledger in ``--data-dir``, ingests the bundled real sample objects
(tests/data) and a generated region of synthetic dose reports, and prints the ledger
summary. Re-running it starts again from an empty demo ledger (only ``--data-dir`` is
touched).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dosewatch.demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    parser.add_argument("--persons", type=int, default=150)
    parser.add_argument("--establishments", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    os.environ["DOSEWATCH_DATA_DIR"] = str(data_dir)
    os.environ.pop("DOSEWATCH_DATABASE_URL", None)

    from dosewatch.cli.main import app  # built after the environment is set

    def run(*command: str) -> None:
        print(f"\n$ dosewatch {' '.join(command)}", flush=True)
        app(list(command), standalone_mode=False)

    region = data_dir / "region"
    run(
        "synth",
        str(region),
        "--establishments",
        str(args.establishments),
        "--persons",
        str(args.persons),
        "--seed",
        str(args.seed),
    )
    run("inspect", str(SAMPLES / "openrem" / "CT-RDSR-Siemens_Flash-TAP-SS.dcm"), "--estimates")
    run("ingest", str(SAMPLES), str(region), "--workers", str(args.workers))
    run("stats")
    run("quarantine", "list")
    print(f"\nledger: {data_dir / 'dosewatch.sqlite3'}")


if __name__ == "__main__":
    main()
