"""``dosewatch`` entry point: one typer app; each command group lives in its own module.

Logging is configured here (the edge), never in libraries.
"""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    name="dosewatch",
    help="Patient radiation-dose service: read dose objects, estimate organ doses, "
    "keep the ledger.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"dosewatch {version('dosewatch')}")
        raise typer.Exit()


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log at INFO level"),
    _show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    """Import every command module of this package (``*_cmd`` / ``*_cmds``); each adds its
    commands to ``app``, so a new command group needs no edit here."""
    import importlib
    import pkgutil

    import dosewatch.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.endswith(("_cmd", "_cmds")):
            importlib.import_module(f"dosewatch.cli.{info.name}")


if __name__ != "__main__":
    # under ``python -m`` this file is a second copy of the module: the importable one
    # registers (see below), so that command modules importing ``app`` find it complete
    _register()

if __name__ == "__main__":
    # Under ``python -m`` this module runs as ``__main__``, a second copy: the command
    # modules registered on the importable ``dosewatch.cli.main.app``, so run that one.
    from dosewatch.cli.main import app as _registered_app

    _registered_app()
