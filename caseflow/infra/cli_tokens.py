"""`caseflow tokens init FILE`: a tokens file for a new deployment, so that someone can sign in
from the first start (`docker compose up` runs it once, before the API starts).

It writes one random token per role not bound to an org (operator, supervisor, analyst: enough
to register the org tree and watch the system); tokens for org-bound roles are added to the same
file once their orgs exist. An existing file is kept as it is."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

UNBOUND = ("operator", "supervisor", "analyst")


def register(app: typer.Typer) -> None:
    tokens = typer.Typer(no_args_is_help=True, help="Bearer tokens for a deployment.")
    tokens.command("init")(init)
    app.add_typer(tokens, name="tokens")


def init(
    path: Annotated[Path, typer.Argument(help="The tokens file to write (CASEFLOW_TOKENS_FILE)")],
) -> None:
    """Write a tokens file with one random token per role not bound to an org, unless it
    exists. Read it to get the tokens (it is readable by its owner only)."""
    if path.exists():
        typer.echo(f"{path} exists: kept as it is")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# token=subject:role[:org_id], one per line (caseflow tokens init)"]
    lines += [f"{secrets.token_urlsafe(24)}={role}-1:{role}" for role in UNBOUND]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    typer.echo(f"wrote {path}: a token for each of {', '.join(UNBOUND)}")
