"""Text view of a person's cumulative dose (``dosewatch person show ID --cumulative``).

Organ names with their SNOMED CT code, units in every header, a total row, the coverage
("covers 11 of 12 exams") with the missing exams and their reasons, and identifiers masked
unless the operator asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from dosewatch.cumulative.summary import CumulativeDose, DoseSum
from dosewatch.domain.figures import shown


def mask(value: str) -> str:
    """An identifier with all but its last two characters hidden."""
    return "•" * max(len(value) - 2, 1) + value[-2:] if len(value) > 2 else "••"


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _dose(dose: DoseSum) -> str:
    """A summed dose with the significant figures its uncertainty supports."""
    if dose.value is None:
        return "—"
    return shown(dose.value, dose.uncertainty_pct, upper_bound=dose.upper_bound)


def _pct(dose: DoseSum) -> str:
    return "—" if dose.uncertainty_pct is None else f"±{dose.uncertainty_pct:.0f} %"


def _flags(dose: DoseSum) -> str:
    marks = []
    if dose.indicative:
        marks.append("INDICATIVE (unverified reference row)")
    if dose.upper_bound:
        marks.append("includes an upper bound")
    return "; ".join(marks)


def render(
    console: Console,
    view: CumulativeDose,
    identifiers: Sequence[tuple[str, str]],
    *,
    show_identifiers: bool,
) -> None:
    w = view.window
    span = f"{w.start or '…'} to {w.end or '…'}" if w.bounded else "lifetime"
    console.print(
        f"person {view.person_id} (pseudonym {view.pseudonym[:16]}…) — window {w.label} ({span})"
    )
    for issuer, value in identifiers:
        console.print(f"  identifier {issuer}: {value if show_identifiers else mask(value)}")
    console.print(f"{view.exams} exams in the window (distinct studies)")
    if view.undated_excluded:
        console.print(f"[yellow]{view.undated_excluded} undated studies not placed in the window")

    e = view.effective
    table = Table(title=f"Effective dose ({view.basis}, reference person — not an individual risk)")
    for column in ("exam date", "study", "site", "modality", "E mSv", "running mSv"):
        table.add_column(column)
    for p in view.timeline:
        table.add_row(
            str(p.study_date or "undated"),
            p.study_instance_uid,
            p.establishment,
            p.modality,
            _fmt(p.increment_msv),
            _fmt(p.running_msv),
        )
    table.add_row("[b]total", "", "", "", f"[b]{_dose(e)}", _pct(e))
    console.print(table)
    console.print(f"E {e.coverage}. Uncertainty: {e.method}. {_flags(e)}")
    for m in e.missing:
        console.print(
            f"  not covered: {m.study_date or 'undated'} {m.study_instance_uid}: {m.reason}"
        )
    for other in view.effective_other_bases:
        console.print(
            f"  effective dose on {other.basis}: {_fmt(other.value_msv)} mSv over "
            f"{other.exams} exams — kept apart, never added to {view.basis}"
        )

    organs = Table(title="Absorbed dose per organ (mGy)")
    for column in ("organ", "SNOMED CT", "dose mGy", "uncertainty", "coverage"):
        organs.add_column(column)
    for o in view.organs:
        organs.add_row(o.meaning, o.code, _dose(o.dose), _pct(o.dose), o.dose.coverage)
    console.print(organs)

    indicators = Table(title="Device indicators (as reported, summed over counted events)")
    for column in ("indicator", "sum", "unit", "exams"):
        indicators.add_column(column)
    for s in (view.ka_r, view.kap, view.dlp, view.fluoro_time, *view.activity):
        name = s.name if s.unit != "MBq" else f"activity {s.name}"
        indicators.add_row(name, _fmt(s.value), s.unit, str(s.exams))
    console.print(indicators)

    if view.skin.procedures:
        skin = Table(title="Peak skin dose per procedure (never summed)")
        for column in ("date", "study", "PSD mGy", "uncertainty", "Ka,r Gy", "method"):
            skin.add_column(column)
        for proc in view.skin.procedures:
            psd = (
                "—"
                if proc.peak_skin_dose_mgy is None
                else shown(
                    proc.peak_skin_dose_mgy, proc.uncertainty_pct, upper_bound=proc.upper_bound
                )
            ) + (" (upper bound)" if proc.upper_bound else "")
            pct = "—" if proc.uncertainty_pct is None else f"±{proc.uncertainty_pct:.0f} %"
            skin.add_row(
                str(proc.study_date or "undated"),
                proc.study_instance_uid,
                psd,
                pct,
                _fmt(proc.ka_r_gy),
                proc.method or "not estimated",
            )
        console.print(skin)
    for flag in view.skin.overlaps:
        console.print(f"[yellow]skin follow-up: {flag.first} and {flag.second}: {flag.reason}")
