"""`caseflow dev token`: a development token for any role and org, usable at once by a
running development server (see `caseflow.infra.devtokens`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from caseflow.services.authz import ORG_SCOPED, Role

dev_app = typer.Typer(no_args_is_help=True, help="Development mode helpers.")


def register(app: typer.Typer) -> None:
    app.add_typer(dev_app, name="dev")


@dev_app.command("token")
def token_command(
    role: Annotated[Role, typer.Option("--role", help="The token's role")],
    org: Annotated[UUID | None, typer.Option("--org", help="The org it is bound to")] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Who it speaks for (a leader: their leader id)")
    ] = None,
) -> None:
    """Mint a token (development mode only), print it and append it to the dev tokens file."""
    from caseflow.infra.auth import TokenConfigError
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.devtokens import MINTED_FILE, mint
    from caseflow.infra.settings import Settings
    from caseflow.services.errors import NotFound

    settings = Settings()
    if not settings.dev:
        typer.echo("error: dev tokens are for development mode (CASEFLOW_DEV=1)", err=True)
        raise typer.Exit(2)
    if role in ORG_SCOPED and org is None:
        typer.echo(f"error: a {role.value} works for an org: give --org", err=True)
        raise typer.Exit(2)
    if org is not None:
        container = bootstrap(settings)
        try:
            container.app.org(org)
        except NotFound as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        finally:
            container.close()
    try:
        token, _ = mint(settings.data_dir, role, org, subject)
    except TokenConfigError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"# appended to {settings.data_dir / MINTED_FILE}", err=True)
    typer.echo(token)
