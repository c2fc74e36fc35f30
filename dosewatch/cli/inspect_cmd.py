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
from rich.table import Table

from dosewatch.cli.inspect_view import parsed_line, rejected_line
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.domain.findings import Strictness
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
            line = _inspect_one(file, strictness, show_identifiers, estimates, overrides)
            outcomes[line["status"]] += 1
            if line["status"] == "rejected":
                reasons[line["error_code"]] += 1
            if as_json:
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                progress.console.print(_render(line))
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
    try:
        result = parse(file, strictness)
    except DoseWatchError as exc:
        return rejected_line(str(file), exc)
    line = parsed_line(str(file), result.report, result.findings, show_identifiers=show_identifiers)
    if with_estimates:
        line.update(_estimates_for(result, overrides))
    return line


def _fmt(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.6g} {unit}"


def _render(line: dict[str, Any]) -> Table | str:
    if line["status"] == "rejected":
        return f"[red]rejected[/red] {line['file']}: {line['reason']}"
    table = Table(
        title=(
            f"{line['file']} — {line['modality']} {line['source_kind']} "
            f"({line['manufacturer'] or '?'} {line['model'] or '?'})"
        ),
        title_justify="left",
    )
    for column in ("event", "CTDIvol", "DLP", "KAP", "Ka,r", "AGD", "activity"):
        table.add_column(column)
    for event in line["events"]:
        table.add_row(
            str(event["uid"] or "—")[-24:],
            _fmt(event["ctdivol_mgy"], "mGy"),
            _fmt(event["dlp_mgy_cm"], "mGy·cm"),
            _fmt(event["kap_gy_cm2"], "Gy·cm²"),
            _fmt(event["ka_r_gy"], "Gy"),
            _fmt(event["agd_mgy"], "mGy"),
            _fmt(event["activity_mbq"], "MBq"),
        )
    totals = line["totals"]
    table.add_row(
        "[bold]accumulated (as reported)",
        "",
        _fmt(totals["dlp_mgy_cm"], "mGy·cm"),
        _fmt(totals["kap_gy_cm2"], "Gy·cm²"),
        _fmt(totals["ka_r_gy"], "Gy"),
        f"L {_fmt(totals['agd_left_mgy'], 'mGy')} / R {_fmt(totals['agd_right_mgy'], 'mGy')}",
        _fmt(totals["activity_mbq"], "MBq"),
    )
    patient = line["patient"]
    table.caption = (
        f"patient {patient['patient_id']} sex {patient['sex'] or '?'} age {patient['age'] or '?'}; "
        f"{len(line['findings'])} finding(s): "
        + "; ".join(f"{f['severity']} {f['code']}" for f in line["findings"][:6])
    )
    return table


def _summary(console: Console, outcomes: Counter[str], reasons: Counter[str]) -> None:
    parts = [f"{outcomes['parsed']} parsed", f"{outcomes['rejected']} rejected"]
    console.print("[bold]summary:[/bold] " + ", ".join(parts))
    for code, count in reasons.most_common():
        console.print(f"  rejected {count} x {code}")
