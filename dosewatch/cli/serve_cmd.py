"""``dosewatch serve``: the web service under uvicorn, and ``dosewatch user``: accounts.

The CLI never imports ``api`` (nothing does): uvicorn loads the app factory by name
(``api.app:create_app_from_environment``), which reads the same ``DOSEWATCH_*`` settings.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dosewatch.cli.ledger_access import ready_engine
from dosewatch.cli.main import app
from dosewatch.domain.errors import DoseWatchError
from dosewatch.ledger import accounts, db
from dosewatch.settings import Settings

FACTORY = "api.app:create_app_from_environment"

user_app = typer.Typer(help="Service accounts: add users, issue API tokens.")
app.add_typer(user_app, name="user")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="worker processes (one per core; schema upgraded first)"),
    ] = 1,
) -> None:
    """Run the REST API and web pages (production mode needs DOSEWATCH_SECRET_KEY)."""
    import uvicorn

    # the ledger is opened (and upgraded) once here: an unusable one is one line naming the
    # setting, not a traceback from the app factory; the workers then do not race to migrate
    ready_engine(Settings()).dispose()
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers, log_level="info")


def _fail(exc: DoseWatchError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="radiologist | physicist | quality_manager | admin")],
    establishment: Annotated[
        list[str] | None, typer.Option("--establishment", help="establishment code (repeat)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a user; without --password-stdin the user has no password (API tokens only)."""
    engine = ready_engine(Settings())
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with db.transaction(db.session_factory(engine)) as session:
            accounts.create_user(session, username, role, establishment or [], password)
    except DoseWatchError as exc:
        _fail(exc)
    typer.echo(f"user {username} added")


@user_app.command("token")
def user_token(
    username: str,
    label: Annotated[str, typer.Option(help="what the token is for")] = "api",
) -> None:
    """Issue an API token for a user and print it (shown once, stored hashed)."""
    from sqlalchemy import select

    from dosewatch.ledger.auth_models import User

    engine = ready_engine(Settings())
    with db.transaction(db.session_factory(engine)) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(accounts.AccountError(f"unknown user {username!r}"))
            return
        token = accounts.issue_token(session, user, label)
    typer.echo(token)
