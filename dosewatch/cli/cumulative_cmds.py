"""``dosewatch person list|search`` and the cumulative view behind ``person show --cumulative``.

Identifiers are masked unless ``--show-identifiers`` is given; patient names are not stored
in the ledger, so they can be neither listed nor searched.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import Engine, func, select

from dosewatch.cli import cumulative_view
from dosewatch.cli.ledger_cmds import (
    _fail,
    _one_person,
    _ready_engine,
    _settings,
    console,
    err_console,
    person_app,
)
from dosewatch.cli.main import app
from dosewatch.cumulative.report_text import report_text
from dosewatch.cumulative.summary import as_json as cumulative_json
from dosewatch.cumulative.summary import cumulative
from dosewatch.cumulative.window import parse_window
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger import db, repository
from dosewatch.ledger.models import Establishment, PatientIdentifierRow, Person, Study


def _today(as_of: str | None) -> date:
    if as_of is None:
        return date.today()
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        err_console.print(f"[red]error:[/red] --as-of {as_of!r}: expected YYYY-MM-DD")
        raise typer.Exit(2) from None


def show(
    engine: Engine,
    ident: str,
    issuer: str | None,
    window_text: str,
    as_of: str | None,
    *,
    as_json: bool,
    show: bool,
) -> None:
    """The cumulative view of one person, as text or as the issue #7 JSON object."""
    try:
        window = parse_window(window_text, _today(as_of))
        with db.session_factory(engine, read_only=True)() as session:
            person_id = _one_person(session, ident, issuer)
            view = cumulative(session, person_id, window)
            ids = [(i.issuer, i.value) for i in repository.identifiers_of(session, person_id)]
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    if view.effective.indicative:
        err_console.print("[yellow]warning: the sum uses unverified (indicative) reference rows")
    if as_json:
        print(json.dumps(cumulative_json(view)))  # noqa: T201
        return
    cumulative_view.render(console, view, ids, show_identifiers=show)


def _persons(
    identifier: str | None, issuer: str | None, establishment: str | None
) -> list[tuple[int, str, int, str]]:
    engine = _ready_engine(_settings())
    with db.session_factory(engine, read_only=True)() as session:
        statement = (
            select(
                Person.id,
                Person.pseudonym,
                func.count(func.distinct(Study.id)),
                func.min(Establishment.code),
                func.max(Establishment.code),
            )
            .outerjoin(Study, Study.person_id == Person.id)
            .outerjoin(Establishment, Establishment.id == Study.establishment_id)
            .where(Person.merged_into_id.is_(None))
            .group_by(Person.id, Person.pseudonym)
            .order_by(Person.id)
        )
        if identifier is not None:
            statement = statement.where(
                Person.id.in_(repository.find_persons(session, identifier, issuer))
            )
        elif issuer is not None:
            statement = statement.where(
                Person.id.in_(
                    select(PatientIdentifierRow.person_id).where(
                        PatientIdentifierRow.issuer.in_(
                            [f"{p}:{issuer}" for p in ("ISSUER", "OID", "INS", "EST")]
                        )
                    )
                )
            )
        if establishment is not None:
            statement = statement.where(
                Person.id.in_(
                    select(Study.person_id)
                    .join(Establishment, Establishment.id == Study.establishment_id)
                    .where(Establishment.code == establishment)
                )
            )
        rows = session.execute(statement).all()
    return [
        (pid, pseudo, studies, lo if lo == hi else f"{lo} … {hi}" if lo else "")
        for pid, pseudo, studies, lo, hi in rows
    ]


def _print_persons(rows: list[tuple[int, str, int, str]]) -> None:
    if not rows:
        err_console.print("no such person")
        raise typer.Exit(1)
    for pid, pseudo, studies, sites in rows:
        console.print(f"person {pid}  pseudonym {pseudo[:16]}…  {studies} studies  {sites}")


@person_app.command("list")
def person_list(
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code")
    ] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuer of patient IDs")] = None,
) -> None:
    """Persons of the ledger (number, pseudonym, studies, establishments)."""
    _print_persons(_persons(None, issuer, establishment))


@person_app.command("search")
def person_search(
    identifier: Annotated[str, typer.Argument(help="patient identifier value")],
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuer of the ID")] = None,
    establishment: Annotated[
        str | None, typer.Option("--establishment", help="establishment code")
    ] = None,
    name: Annotated[
        bool, typer.Option("--name", help="search by patient name (not stored: refused)")
    ] = False,
) -> None:
    """Persons carrying an identifier (issuer-qualified with --issuer)."""
    if name:
        err_console.print(
            "[red]error:[/red] patient names are not stored in the ledger; search by identifier"
        )
        raise typer.Exit(2)
    _print_persons(_persons(identifier, issuer, establishment))


study_app = typer.Typer(help="Studies of the ledger.")
app.add_typer(study_app, name="study")


@study_app.command("report-text")
def study_report_text(
    uid: Annotated[str, typer.Argument(help="Study Instance UID")],
    lang: Annotated[str, typer.Option("--lang", help="fr or en")] = "fr",
) -> None:
    """Dose text to paste into the exam report (arrêté 22 Sept 2006; Euratom 2013/59 art. 58)."""
    engine = _ready_engine(_settings())
    try:
        with db.session_factory(engine, read_only=True)() as session:
            text = report_text(session, uid, lang)
    except DoseWatchError as exc:
        raise _fail(exc) from exc
    print(text.text)  # noqa: T201
