"""`caseflow` command line. Each command group lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib

import typer

# Modules that add commands; each defines register(app: typer.Typer) -> None.
COMMAND_MODULES: list[str] = [
    "caseflow.infra.cli_http",
    "caseflow.infra.cli_stream",
    "caseflow.infra.cli_views",
    "caseflow.infra.cli_demo",
    "caseflow.infra.cli_dev",
    "caseflow.infra.cli_audit",
]


def build() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False,
                      help="Caseflow: event-sourced petition casework.")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    build()()
