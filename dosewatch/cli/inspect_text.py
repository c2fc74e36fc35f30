"""The text view of ``dosewatch inspect``: one table per object, for a person reading it.

Events are labelled by their number in the object and their kind (``#3 CT spiral``), not by
a UID tail; every finding is printed with its message; with ``--estimates`` each estimate
shows quantity, organ, value to three significant figures, unit, uncertainty, basis and
method, and every quantity not estimated shows its reason. The JSON line
(:mod:`dosewatch.cli.inspect_view`) is unchanged by this view.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseReport,
    IrradiationEvent,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
)


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, without exponent for usual magnitudes."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude <= -5:
        return f"{value:.{digits - 1}e}"
    decimals = digits - 1 - magnitude
    rounded = round(value, decimals)
    return f"{rounded:.{max(decimals, 0)}f}"


def _meaning(code: object) -> str | None:
    meaning = getattr(code, "meaning", None)
    return None if not meaning else str(meaning)


def event_kind(event: IrradiationEvent) -> str:
    """A short human label of what the event is (CT / projection / mammography / NM)."""
    if isinstance(event, CtIrradiationEvent):
        detail = _meaning(event.acquisition_type)
        return "CT " + (detail or "acquisition")
    if isinstance(event, ProjectionIrradiationEvent):
        return _meaning(event.event_type) or "projection irradiation"
    if isinstance(event, MammographyIrradiationEvent):
        parts = [p for p in (_meaning(event.laterality), _meaning(event.image_view)) if p]
        return "mammography " + (" ".join(parts) or "exposure")
    if isinstance(event, RadiopharmaceuticalAdministration):
        agent = _meaning(event.radiopharmaceutical_agent) or event.radiopharmaceutical_name
        return "administration " + (agent or _meaning(event.radionuclide) or "")
    return type(event).__name__  # pragma: no cover - the union is closed


def _event_uid(event: IrradiationEvent) -> str | None:
    if isinstance(event, RadiopharmaceuticalAdministration):
        return event.administration_event_uid
    return event.irradiation_event_uid


def event_labels(report: DoseReport) -> list[str]:
    return [f"#{n} {event_kind(e)}" for n, e in enumerate(report.events, start=1)]


def _fmt(value: float | None, unit: str) -> str:
    # the object's own values: as sent (up to 6 significant figures), never padded
    return "—" if value is None else f"{value:.6g} {unit}"


def _events_table(line: dict[str, Any], labels: list[str]) -> Table:
    table = Table(
        title=(
            f"{line['file']} — {line['modality']} {line['source_kind']} "
            f"({line['manufacturer'] or '?'} {line['model'] or '?'})"
        ),
        title_justify="left",
    )
    for column in ("event", "CTDIvol", "DLP", "KAP", "Ka,r", "AGD", "activity"):
        table.add_column(column)
    for label, event in zip(labels, line["events"], strict=True):
        table.add_row(
            label,
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
        f"patient {patient['patient_id']} sex {patient['sex'] or '?'} "
        f"age {patient['age'] or '?'}; {len(line['events'])} event(s)"
    )
    return table


def _findings(line: dict[str, Any]) -> Text:
    text = Text()
    if not line["findings"]:
        text.append("no findings\n")
    for finding in line["findings"]:
        where = f" at {finding['content_path']}" if finding["content_path"] else ""
        text.append(f"{finding['severity']} ", style="bold" if finding["severity"] else "")
        text.append(f"{finding['code']}{where}: {finding['message']}\n")
    return text


def _where(uid: str | None, by_uid: dict[str, str]) -> str:
    """The event label of an estimate; "—" when the estimate names no event UID."""
    return "—" if not uid else by_uid.get(uid, uid[-12:])


def _estimates_table(line: dict[str, Any], by_uid: dict[str, str]) -> Table:
    table = Table(title="estimates (models, not measurements)", title_justify="left")
    for column in ("event", "quantity", "organ", "value", "unit", "uncertainty", "method"):
        table.add_column(column)
    for estimate in line["estimates"]:
        quantity = estimate["quantity"].replace("_", " ")
        if estimate["basis"]:
            quantity += f" ({estimate['basis']})"
        value = significant(float(estimate["value"]))
        if estimate["upper_bound"]:
            value = "≤ " + value
        if estimate["indicative"]:
            value += " (indicative)"
        table.add_row(
            _where(estimate.get("event_uid"), by_uid),
            quantity,
            estimate["organ_name"] or "—",
            value,
            estimate["unit"],
            f"±{significant(float(estimate['uncertainty_pct']), 2)} %",
            f"{estimate['model']} {estimate['model_version']}: {estimate['method']}",
        )
    return table


def _not_estimated(line: dict[str, Any], by_uid: dict[str, str]) -> Text:
    text = Text()
    for item in line["not_estimated"]:
        where = _where(item.get("event_uid"), by_uid)
        text.append(f"not estimated ({where}): {item['message']}\n")
    return text


def render(line: dict[str, Any], report: DoseReport | None) -> Group | str:
    """The text view of one inspect line (``report`` None for a rejected object)."""
    if line["status"] == "rejected" or report is None:
        return f"[red]rejected[/red] {line['file']}: {line['reason']}"
    labels = event_labels(report)
    parts: list[Table | Text] = [_events_table(line, labels), _findings(line)]
    if "estimates" in line:
        by_uid = {
            uid: label
            for label, event in zip(labels, report.events, strict=True)
            if (uid := _event_uid(event))
        }
        parts.append(_estimates_table(line, by_uid))
        parts.append(_not_estimated(line, by_uid))
    return Group(*parts)
