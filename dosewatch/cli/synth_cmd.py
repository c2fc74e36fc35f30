"""``dosewatch synth``: write a synthetic region of dose objects (tests, demos, benchmarks)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dosewatch.cli.main import app
from dosewatch.synth.region import MANIFEST_NAME, generate_region

console = Console()


@app.command("synth")
def synth(
    outdir: Annotated[Path, typer.Argument(help="folder to write the region into")],
    establishments: Annotated[
        int, typer.Option("--establishments", "-s", min=1, help="number of establishments")
    ] = 5,
    persons: Annotated[int, typer.Option("--persons", "-p", min=1, help="number of persons")] = 100,
    seed: Annotated[
        int, typer.Option("--seed", "-n", help="random seed (same seed, same bytes)")
    ] = 0,
    deviation_rate: Annotated[
        float,
        typer.Option(
            "--deviation-rate", min=0.0, max=1.0, help="share of reports with a harmless deviation"
        ),
    ] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="print the manifest as JSON")] = False,
) -> None:
    """Generate synthetic RDSR/RRDSR files and their region.json manifest (never real data)."""
    started = time.perf_counter()
    summary = generate_region(
        outdir,
        establishments=establishments,
        persons=persons,
        seed=seed,
        deviation_rate=deviation_rate,
    )
    elapsed = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(summary), sort_keys=True))
        return
    console.print(
        f"{summary.files} files ({summary.expected_recorded_reports} reports, "
        f"{summary.expected_unique_events} events, {summary.persons} persons, "
        f"{summary.establishments} establishments) in {outdir} "
        f"[{elapsed:.1f} s, {summary.files / max(elapsed, 1e-9):.0f} files/s]; "
        f"manifest {MANIFEST_NAME}",
        highlight=False,
        soft_wrap=True,
    )
