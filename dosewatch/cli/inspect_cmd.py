"""``dosewatch inspect``: read dose objects and show what they say, in canonical units."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dosewatch.cli.inspect_text import render
from dosewatch.cli.inspect_view import parsed_line, rejected_line
from dosewatch.cli.ledger_access import check_paths
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.findings import Strictness
from dosewatch.domain.report import DoseReport
from rdsr_parsers import ParseResult, parse

#: files in sample folders that are documentation, not objects
_NOT_OBJECTS = frozenset({".md", ".csv", ".json", ".txt", ".py"})


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files named on the command line, and every regular file below named directories."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and not child.name.startswith(".")
                    and (child.suffix.lower() not in _NOT_OBJECTS)
                ):
                    yield child
        else:
            yield path


def _estimates_for(result: ParseResult, overrides: dict[str, Any]) -> dict[str, Any]:
    from dosewatch.cli.estimates_view import estimates_json

    return estimates_json(result.report, overrides)


@app.command("inspect")
def inspect(
    paths: Annotated[list[Path], typer.Argument(help="DICOM files or directories")],
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per file per line")
    ] = False,
    show_identifiers: Annotated[
        bool, typer.Option("--show-identifiers", help="show patient identifiers unmasked")
    ] = False,
    strictness: Annotated[
        Strictness, typer.Option("--strictness", help="how deviations are treated")
    ] = Strictness.LENIENT,
    estimates: Annotated[
        bool, typer.Option("--estimates", help="add organ/effective dose estimates")
    ] = False,
    age: Annotated[float | None, typer.Option("--age", help="patient age in years")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="M or F")] = None,
    weight_kg: Annotated[float | None, typer.Option("--weight-kg")] = None,
    height_cm: Annotated[float | None, typer.Option("--height-cm")] = None,
) -> None:
    """Parse dose objects (RDSR, RRDSR, Enhanced SR, image headers) and show their content."""
    check_paths(paths, iter_files)
    files = list(iter_files(paths))
    if not files:
        typer.echo("no files to inspect", err=True)
        raise typer.Exit(2)
    overrides = {"age": age, "sex": sex, "weight_kg": weight_kg, "height_cm": height_cm}
    console = Console(stderr=as_json)
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    progress = Progress(
        TextColumn("[bold]inspect"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=len(files) < 2,
        transient=True,
    )
    with progress:
        task = progress.add_task("inspect", total=len(files))
        for file in files:
            line, report = _inspect(file, strictness, show_identifiers, estimates, overrides)
            outcomes[line["status"]] += 1
            if line["status"] == "rejected":
                reasons[line["error_code"]] += 1
            if as_json:
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                progress.console.print(render(line, report))
            progress.advance(task)
    if len(files) > 1 or not as_json:
        _summary(console, outcomes, reasons)


def _inspect_one(
    file: Path,
    strictness: Strictness,
    show_identifiers: bool,
    with_estimates: bool,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    return _inspect(file, strictness, show_identifiers, with_estimates, overrides)[0]


def _inspect(
    file: Path,
    strictness: Strictness,
    show_identifiers: bool,
    with_estimates: bool,
    overrides: dict[str, Any],
) -> tuple[dict[str, Any], DoseReport | None]:
    """The JSON line of one file, and its report for the text view (None when rejected)."""
    try:
        result = parse(file, strictness)
    except DoseWatchError as exc:
        return rejected_line(str(file), exc), None
    line = parsed_line(str(file), result.report, result.findings, show_identifiers=show_identifiers)
    if with_estimates:
        line.update(_estimates_for(result, overrides))
    return line, result.report


def _summary(console: Console, outcomes: Counter[str], reasons: Counter[str]) -> None:
    parts = [f"{outcomes['parsed']} parsed", f"{outcomes['rejected']} rejected"]
    console.print("[bold]summary:[/bold] " + ", ".join(parts))
    for code, count in reasons.most_common():
        console.print(f"  rejected {count} x {code}")
