"""``dosewatch alerts list|ack|close``: the alert inbox (every transition audited)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from dosewatch.cli.ledger_cmds import _fail, _ready_engine, _settings, console, err_console
from dosewatch.cli.main import app
from dosewatch.cumulative.alerts import AlertState, transition
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger import db
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.models import Establishment, Person, Study

alerts_app = typer.Typer(help="Dose alerts: list, acknowledge, close.")
app.add_typer(alerts_app, name="alerts")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@alerts_app.command("list")
def alerts_list(
    state: Annotated[str | None, typer.Option("--state", help="open|acknowledged|closed")] = None,
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="routed role")] = None,
    withdrawn: Annotated[
        bool, typer.Option("--withdrawn", help="include alerts no longer met")
    ] = False,
) -> None:
    """Alerts routed to an establishment and role, newest first (persons by pseudonym)."""
    if state is not None and state not in {s.value for s in AlertState}:
        err_console.print(
            f"[red]error:[/red] --state {state!r}: expected open, acknowledged or closed"
        )
        raise typer.Exit(2)
    engine = _ready_engine(_settings())
    with db.session_factory(engine, read_only=True)() as session:
        statement = (
            select(AlertRow, Establishment.code, Study.study_instance_uid, Person.pseudonym)
            .join(Establishment, Establishment.id == AlertRow.establishment_id)
            .join(Study, Study.id == AlertRow.study_id)
            .join(Person, Person.id == AlertRow.person_id)
            .order_by(AlertRow.raised_at.desc(), AlertRow.id.desc())
        )
        if state is not None:
            statement = statement.where(AlertRow.state == AlertState(state).value)
        if establishment is not None:
            statement = statement.where(Establishment.code == establishment)
        if role is not None:
            statement = statement.where(AlertRow.role == role)
        if not withdrawn:
            statement = statement.where(AlertRow.active)
        rows = session.execute(statement).all()
    table = Table(title=f"{len(rows)} alerts")
    for column in ("id", "state", "rule", "site", "role", "person", "study", "value", "message"):
        table.add_column(column)
    for alert, site, study, pseudonym in rows:
        table.add_row(
            str(alert.id),
            alert.state + ("" if alert.active else " (withdrawn)"),
            f"{alert.rule_id} v{alert.rule_version}",
            site,
            alert.role,
            pseudonym[:12] + "…",
            study,
            f"{alert.value:.4g} {alert.unit}",
            alert.message,
        )
    console.print(table)


def _move(alert_id: int, to: AlertState, comment: str) -> None:
    engine = _ready_engine(_settings())
    try:
        with db.transaction(db.session_factory(engine)) as session:
            transition(session, alert_id, to, _actor(), comment)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    console.print(f"alert {alert_id} {to.value}")


@alerts_app.command("ack")
def alerts_ack(
    alert_id: Annotated[int, typer.Argument(help="alert number")],
    comment: Annotated[str, typer.Option("--comment", help="why / what is done")],
) -> None:
    """Acknowledge an open alert (audited with your user name and the comment)."""
    _move(alert_id, AlertState.ACKNOWLEDGED, comment)


@alerts_app.command("close")
def alerts_close(
    alert_id: Annotated[int, typer.Argument(help="alert number")],
    comment: Annotated[str, typer.Option("--comment", help="outcome")],
) -> None:
    """Close an alert (audited)."""
    _move(alert_id, AlertState.CLOSED, comment)
