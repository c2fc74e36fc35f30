"""NRD outputs: annual per-establishment report (HTML with plotly box plots, CSV, XLSX) and
the national submission export (one row per patient of each evaluation).

The HTML embeds plotly.js from the installed plotly package (no CDN: the report opens
offline). Every number carries its unit, the reference version and its labels.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from plotly.offline import get_plotlyjs

from dosewatch.nrd.evaluation import Evaluation, ExamRecord, Refused
from dosewatch.nrd.reference import exam_types

SUMMARY_COLUMNS = (
    "establishment",
    "device",
    "exam_type",
    "label_fr",
    "population",
    "reference_weight_kg",
    "indicator",
    "unit",
    "n",
    "n_required",
    "median",
    "q1",
    "q3",
    "mean",
    "statistic",
    "nrd",
    "vgd",
    "status",
    "regulation",
    "reference_version",
    "labels",
)
EXPORT_COLUMNS = (
    "exam_type",
    "label_fr",
    "device",
    "study_date",
    "age_years",
    "sex",
    "weight_kg",
    "height_m",
    "indicator",
    "value",
    "unit",
    "pseudonym",
)


def summary_rows(evaluations: Sequence[Evaluation]) -> list[list[object]]:
    catalogue = exam_types()
    return [
        [
            e.establishment,
            e.device,
            e.exam_type,
            catalogue[e.exam_type].label_fr,
            e.population.value,
            e.reference_weight_kg,
            e.indicator.value,
            e.unit,
            e.n,
            e.n_required,
            e.median,
            e.q1,
            e.q3,
            e.mean,
            e.statistic,
            e.nrd,
            e.vgd,
            e.status.value,
            e.regulation,
            e.reference_version,
            "; ".join(e.labels),
        ]
        for e in evaluations
    ]


def export_rows(
    evaluations: Sequence[Evaluation], records: Sequence[ExamRecord]
) -> list[list[object]]:
    """National submission: one row per patient of each (non-insufficient) evaluation."""
    by_key = {(r.pseudonym, r.study_date, r.exam_type, r.device): r for r in records}
    catalogue = exam_types()
    rows: list[list[object]] = []
    for e in evaluations:
        if e.status.value == "insufficient":
            continue
        for used in e.exams:
            r = by_key.get((used.pseudonym, used.study_date, e.exam_type, e.device))
            if r is None:
                continue
            rows.append(
                [
                    e.exam_type,
                    catalogue[e.exam_type].label_fr,
                    e.device,
                    r.study_date.isoformat(),
                    r.age_years,
                    r.sex,
                    r.weight_kg,
                    r.height_m,
                    e.indicator.value,
                    used.value,
                    e.unit,
                    r.pseudonym,
                ]
            )
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_xlsx(
    path: Path, sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[object]]]]
) -> None:
    book = Workbook()
    first = True
    for name, (header, rows) in sheets.items():
        sheet = book.active if first and book.active is not None else book.create_sheet()
        first = False
        sheet.title = name[:31]
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    book.save(path)


def _figure(e: Evaluation) -> dict[str, object]:
    """A plotly box-plot figure (plain JSON: no per-figure validation cost) with NRD/VGD lines."""
    label = exam_types()[e.exam_type].label_fr
    shapes, notes = [], []
    for name, value, colour, dash in (
        ("NRD", e.nrd, "red", "solid"),
        ("VGD", e.vgd, "green", "dash"),
    ):
        if value is None:
            continue
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": value,
                "y1": value,
                "line": {"color": colour, "dash": dash},
            }
        )
        notes.append(
            {
                "xref": "paper",
                "x": 1,
                "y": value,
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "text": f"{name} {value:g} {e.unit}",
            }
        )
    return {
        "data": [
            {
                "type": "box",
                "y": [u.value for u in e.exams],
                "boxpoints": "all",
                "jitter": 0.3,
                "name": f"{e.indicator.value} ({e.unit})",
            }
        ],
        "layout": {
            "title": {
                "text": f"{e.device} — {label} — {e.indicator.value} "
                f"({e.regulation}, {e.statistic}, n={e.n})"
            },
            "height": 380,
            "yaxis": {"title": {"text": e.unit}},
            "shapes": shapes,
            "annotations": notes,
            "margin": {"t": 50, "b": 30},
        },
    }


def render_html(
    establishment: str,
    year: int,
    evaluations: Sequence[Evaluation],
    refused: Sequence[Refused],
    coverage_rows: Sequence[dict[str, object]],
) -> str:
    """The annual report as one self-contained HTML page."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>",
        f"<title>NRD {esc(establishment)} {year}</title></head><body>",
        f"<h1>Évaluation des NRD — {esc(establishment)} — {year}</h1>",
        "<p>Médiane de séries de patients consécutifs comparée au NRD et à la VGD. Valeurs "
        "calculées à partir des indicateurs enregistrés (mesures des équipements), patients "
        "pseudonymisés.</p>",
        "<h2>Couverture du codage des examens</h2><table border='1'><tr><th>appareil</th>"
        "<th>examens</th><th>codés</th><th>part</th></tr>",
    ]
    for c in coverage_rows:
        parts.append(
            f"<tr><td>{esc(str(c['device']))}</td><td>{c['exams']}</td>"
            f"<td>{c['mapped']}</td><td>{float(str(c['share'])):.1%}</td></tr>"
        )
    parts.append("</table><h2>Évaluations</h2><table border='1'><tr>")
    parts.extend(f"<th>{esc(h)}</th>" for h in SUMMARY_COLUMNS)
    parts.append("</tr>")
    for row in summary_rows(evaluations):
        parts.append(
            "<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        )
    parts.append("</table>")
    if refused:
        parts.append("<h2>Comparaisons refusées</h2><ul>")
        parts.extend(
            f"<li>{esc(r.device)} — {esc(r.exam_type)}: {esc(r.reason)}</li>" for r in refused
        )
        parts.append("</ul>")
    figures = [e for e in evaluations if e.median is not None]  # insufficient: no box
    if figures:
        parts.append(f"<script>{get_plotlyjs()}</script>")  # from the installed package
    for i, e in enumerate(figures):
        spec = json.dumps(_figure(e)).replace("</", "<\\/")
        parts.append(
            f"<div id='fig{i}'></div><script>(function(f){{Plotly.newPlot('fig{i}', f.data, "
            f"f.layout);}})({spec});</script>"
        )
    parts.append("</body></html>")
    return "".join(parts)


def write_report(
    out: Path,
    establishment: str,
    year: int,
    evaluations: Sequence[Evaluation],
    refused: Sequence[Refused],
    coverage_rows: Sequence[dict[str, object]],
) -> list[Path]:
    """``nrd_<establishment>_<year>.html|.csv|.xlsx`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"nrd_{establishment}_{year}"
    html_path, csv_path, xlsx_path = (stem.with_suffix(s) for s in (".html", ".csv", ".xlsx"))
    html_path.write_text(
        render_html(establishment, year, evaluations, refused, coverage_rows), encoding="utf-8"
    )
    rows = summary_rows(evaluations)
    write_csv(csv_path, SUMMARY_COLUMNS, rows)
    refused_rows = [[r.device, r.exam_type, r.reason] for r in refused]
    cov = [[c["device"], c["exams"], c["mapped"], c["share"]] for c in coverage_rows]
    write_xlsx(
        xlsx_path,
        {
            "evaluations": (SUMMARY_COLUMNS, rows),
            "refused": (("device", "exam_type", "reason"), refused_rows),
            "coverage": (("device", "exams", "mapped", "share"), cov),
        },
    )
    return [html_path, csv_path, xlsx_path]
