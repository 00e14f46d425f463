"""`caseflow` command line. Each command group lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

# Modules that add commands; each defines register(app: typer.Typer) -> None.
COMMAND_MODULES: list[str] = [
    "caseflow.infra.cli_http",
    "caseflow.infra.cli_stream",
    "caseflow.infra.cli_views",
    "caseflow.infra.cli_demo",
    "caseflow.infra.cli_dev",
    "caseflow.infra.cli_audit",
    "caseflow.infra.cli_tokens",
    "caseflow.infra.cli_privacy",
]


def _version(asked: bool) -> None:
    if asked:
        from caseflow import __version__

        typer.echo(f"caseflow {__version__}")
        raise typer.Exit()


def build() -> typer.Typer:
    app = typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        help="Caseflow: event-sourced petition casework.",
    )

    @app.callback()
    def _options(
        version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_version, is_eager=True, help="Print the version and exit"
            ),
        ] = False,
    ) -> None:
        """Caseflow: event-sourced petition casework."""

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    from caseflow.infra.privacy.masterkey import MasterKeyError

    try:
        build()()
    except MasterKeyError as e:  # a wrong or missing master key: say which setting, no trace
        typer.echo(f"error: {e}", err=True)
        raise SystemExit(2) from None
