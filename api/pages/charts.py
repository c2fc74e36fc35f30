"""Plotly figures of the pages: pure functions of the API schemas, returned as JSON for
``Plotly.newPlot`` (plotly.js is served by the app, never from a CDN)."""

from __future__ import annotations

import plotly.graph_objects as go

from api.schemas import StudyDetail
from api.schemas_dose import CumulativeOut, DistributionOut

#: the per-exam indicator shown, in order of preference, with its unit
INDICATORS = (
    ("dlp_mgy_cm", "DLP", "mGy·cm"),
    ("kap_gy_cm2", "KAP", "Gy·cm²"),
    ("agd_mgy", "AGD", "mGy"),
    ("activity_mbq", "A", "MBq"),
)


def _summary(study: StudyDetail) -> str:
    parts = []
    for field, name, unit in INDICATORS:
        values = [getattr(e, field) for e in study.events if e.counted]
        numbers = [v for v in values if v is not None]
        if numbers:
            parts.append(f"{name} {sum(numbers):.4g} {unit} (sum of {len(numbers)} events)")
    return "<br>".join(parts) or "no dose indicator recorded"


def exam_timeline(studies: list[StudyDetail], title: str) -> str:
    """One marker per exam (study) on a timeline, one row per modality; hover shows the
    establishment and the device-reported indicators with their units."""
    dated = [s for s in studies if s.study_date is not None]
    figure = go.Figure(
        go.Scatter(
            x=[s.study_date.isoformat() for s in dated if s.study_date is not None],
            y=["/".join(s.modalities) or "?" for s in dated],
            mode="markers",
            marker={"size": 12},
            text=[f"{s.establishment_code}<br>{_summary(s)}" for s in dated],
            hovertemplate="%{x}<br>%{text}<extra></extra>",
            name="exams",
        )
    )
    figure.update_layout(title=title, height=320, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return str(figure.to_json())


def cumulative_timeline(view: CumulativeOut, title: str) -> str:
    """The running effective dose (one basis) after each exam, a step per exam; hover
    shows the exam's increment. Undated exams cannot be placed on a time axis."""
    points = [p for p in view.timeline if p.study_date is not None]
    figure = go.Figure(
        go.Scatter(
            x=[p.study_date.isoformat() for p in points if p.study_date is not None],
            y=[p.running for p in points],
            mode="lines+markers",
            line={"shape": "hv"},
            text=[f"{p.establishment} {p.modality}: +{p.increment:.3g} {p.unit}" for p in points],
            hovertemplate="%{x}<br>%{y:.3g} mSv<br>%{text}<extra></extra>",
            name=f"E ({view.basis})",
        )
    )
    figure.update_layout(
        title=title,
        height=320,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        yaxis={"title": f"mSv ({view.basis}, estimate)", "rangemode": "tozero"},
    )
    return str(figure.to_json())


def organ_bars(view: CumulativeOut, title: str) -> str:
    """Cumulative absorbed dose per organ (mGy) with its standard uncertainty (k=1)."""
    organs = [o for o in view.organs if o.dose.value is not None]
    figure = go.Figure(
        go.Bar(
            x=[o.dose.value for o in organs],
            y=[o.meaning for o in organs],
            orientation="h",
            error_x={
                "type": "data",
                "array": [
                    (o.dose.value or 0.0) * (o.dose.uncertainty_pct or 0.0) / 100 for o in organs
                ],
            },
            name="mGy",
        )
    )
    figure.update_layout(
        title=title,
        height=max(220, 26 * len(organs) + 80),
        margin={"l": 140, "r": 20, "t": 50, "b": 40},
        xaxis={"title": "mGy (estimate, ±1 standard uncertainty)"},
    )
    return str(figure.to_json())


def organ_boxes(distributions: list[DistributionOut], title: str) -> str:
    """One box per organ x device x protocol from precomputed quartiles (the page ships
    five numbers per group, not every estimate)."""
    figure = go.Figure()
    for d in distributions:
        figure.add_trace(
            go.Box(
                name=f"{d.organ_meaning} · {d.device} · {d.protocol} (n={d.n})",
                q1=[d.q1],
                median=[d.median],
                q3=[d.q3],
                lowerfence=[d.minimum],
                upperfence=[d.maximum],
                showlegend=False,
            )
        )
    figure.update_layout(
        title=title,
        height=max(320, 24 * len(distributions) + 120),
        margin={"l": 60, "r": 20, "t": 50, "b": 160},
        yaxis={"title": "mGy (organ-dose estimates)"},
    )
    return str(figure.to_json())
