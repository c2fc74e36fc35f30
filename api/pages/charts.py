"""Plotly figures of the pages: pure functions of the API schemas, returned as JSON for
``Plotly.newPlot`` (plotly.js is served by the app, never from a CDN)."""

from __future__ import annotations

import plotly.graph_objects as go

from api.schemas import StudyDetail

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
