"""``dosewatch conformance``: per manufacturer x model x software version, how objects fared."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer

from dosewatch.cli.ledger_cmds import _ready_engine, _settings, console
from dosewatch.cli.main import app
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.ledger import db
from dosewatch.reports.conformance import ConformanceReport, DeviceConformance, conformance

CSV_COLUMNS = (
    "manufacturer",
    "model",
    "software_versions",
    "objects_seen",
    "parsed",
    "quarantined",
    "share_parsed",
    "first_seen",
    "last_seen",
    "first_received",
    "last_received",
    "findings",
    "rejections",
)


@app.command("conformance")
def conformance_cmd(
    establishment: Annotated[
        str | None, typer.Option("--establishment", "-e", help="one establishment code")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV (one row per device)")] = False,
) -> None:
    """Per manufacturer x model x software version: objects seen, share parsed, parser
    findings per code, quarantine reasons, first/last seen (ledger + open quarantine)."""
    if as_json and as_csv:
        typer.echo("error: choose one of --json and --csv", err=True)
        raise typer.Exit(2)
    engine = _ready_engine(_settings())
    with db.session_factory(engine, read_only=True)() as session:
        report = conformance(session, establishment)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))  # noqa: T201
    elif as_csv:
        _write_csv(report)
    else:
        _print_text(report)


def _counts(counts: dict[str, int]) -> str:
    return "; ".join(f"{code}={n}" for code, n in sorted(counts.items()))


def _write_csv(report: ConformanceReport) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for device in report.devices:
        row = device.as_json()
        row["findings"] = _counts(device.findings)
        row["rejections"] = _counts(device.rejections)
        writer.writerow({column: row[column] for column in CSV_COLUMNS})


def _name(device: DeviceConformance) -> str:
    parts = (
        device.manufacturer or "(no manufacturer)",
        device.model or "(no model)",
        f"software {device.software_versions or '(not sent)'}",
    )
    return " · ".join(parts)


def _print_text(report: ConformanceReport) -> None:
    scope = report.establishment or "all establishments"
    if not report.devices:
        console.print(f"conformance ({scope}): no objects in the ledger")
        return
    console.print(f"[bold]conformance[/bold] ({scope}): {len(report.devices)} device version(s)")
    for device in report.devices:
        seen = device.as_json()
        console.print(
            f"\n[bold]{_name(device)}[/bold]\n"
            f"  {device.objects_seen} object(s) seen, {device.parsed} parsed "
            f"({device.share_parsed:.0%}), {device.quarantined} quarantined; "
            f"content {seen['first_seen'] or '?'} … {seen['last_seen'] or '?'}",
            highlight=False,
        )
        for code, count in sorted(device.findings.items(), key=lambda kv: (-kv[1], kv[0])):
            console.print(f"  {count:>5} x {_describe(code)}", highlight=False)
        for code, count in sorted(device.rejections.items()):
            console.print(f"  {count:>5} x rejected: {code}", highlight=False)


def _describe(code: str) -> str:
    try:
        member = FindingCode.from_code(code)
    except ValueError:
        return code
    return f"{member.severity} {code} — {member.meaning}"
