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
    parser.add_argument("--no-serve", action="store_true", help="stop after the ingest")
    parser.add_argument("--port", type=int, default=8000)
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
    print_demo_users(create_demo_users(data_dir))
    if args.no_serve:
        return
    os.environ["DOSEWATCH_MODE"] = "demo"
    print(f"\nservice: http://127.0.0.1:{args.port}/  (Ctrl-C stops it)", flush=True)
    run("serve", "--port", str(args.port))


#: demo accounts (demo mode only: these passwords exist nowhere else)
DEMO_ROLES = ("radiologist", "physicist", "quality_manager", "admin")


def create_demo_users(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """One user per role attached to the first establishment; random passwords."""
    import secrets

    from sqlalchemy import select

    from dosewatch.ledger import accounts, db
    from dosewatch.ledger.models import Establishment
    from dosewatch.settings import Settings

    engine = db.engine_from_settings(Settings(data_dir=data_dir))
    db.upgrade(engine)
    created = []
    with db.transaction(db.session_factory(engine)) as session:
        first = session.scalar(select(Establishment.code).order_by(Establishment.id).limit(1))
        for role in DEMO_ROLES:
            password = secrets.token_urlsafe(12)
            scope = [] if role == "admin" or first is None else [first]
            accounts.create_user(session, f"demo-{role}", role, scope, password)
            created.append((f"demo-{role}", role, password, ",".join(scope) or "regional"))
    return created


def print_demo_users(users: list[tuple[str, str, str, str]]) -> None:
    print("\ndemo users (demo mode only):")
    for username, role, password, scope in users:
        print(f"  {username:24} {role:16} password {password}  establishments {scope}")


if __name__ == "__main__":
    main()
