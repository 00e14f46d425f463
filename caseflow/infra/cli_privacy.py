"""`caseflow privacy erase|retention|rotate-key|new-key`: personal data at rest
(docs/privacy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

privacy_app = typer.Typer(
    no_args_is_help=True,
    help="Personal data at rest: erase a case's, apply retention, rotate the master key.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _container() -> Any:
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.privacy.masterkey import MasterKeyError
    from caseflow.infra.settings import Settings

    try:
        return bootstrap(Settings())
    except MasterKeyError as e:
        raise _fail(str(e)) from None
    except ValueError as e:  # settings
        raise _fail(str(e).splitlines()[0]) from None


@privacy_app.command("erase")
def erase_command(
    case_id: Annotated[UUID, typer.Argument(help="The case whose personal data is erased")],
    reason: Annotated[str, typer.Option("--reason", help="Why (a request, a ruling)")],
) -> None:
    """Destroy the case's data key and record `case.erased`: its personal fields read as
    erased from now on, for every role, in every copy of the store."""
    from caseflow.domain.errors import DomainError
    from caseflow.infra.privacy.erasure import erase_case
    from caseflow.services.errors import NotFound

    c = _container()
    try:
        result = erase_case(c, case_id, reason)
    except (DomainError, NotFound) as e:
        raise _fail(str(e)) from None
    finally:
        c.close()
    where = f" (event at position {result.position})" if result else ""
    typer.echo(f"erased the personal data of case {case_id}{where}")


@privacy_app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, erase nothing")] = False,
) -> None:
    """Erase the personal data of cases closed more than CASEFLOW_RETENTION_YEARS ago (for the
    worker's schedule: cron or a systemd timer)."""
    from caseflow.domain.errors import DomainError
    from caseflow.infra.privacy.erasure import due_for_retention, erase_case, years_before

    c = _container()
    failed = 0
    try:
        years = c.settings.retention_years
        if years <= 0:
            raise _fail("CASEFLOW_RETENTION_YEARS is not set (0): no retention rule to apply")
        cutoff = years_before(c.app.clock(), years)
        due = due_for_retention(c.log, cutoff)
        for case_id in due:
            if dry_run:
                typer.echo(f"due: {case_id}")
            else:
                try:
                    erase_case(c, case_id, f"retention: closed more than {years} years ago")
                except DomainError as e:  # e.g. stored before sealing: say so, go on
                    failed += 1
                    typer.echo(f"not erased: {case_id}: {e}", err=True)
                    continue
                typer.echo(f"erased: {case_id}")
    finally:
        c.close()
    verb = "due for erasure" if dry_run else "erased"
    typer.echo(f"{len(due) - failed} case(s) closed before {cutoff:%Y-%m-%d} {verb}")
    if failed:
        raise _fail(f"{failed} case(s) not erased (see above)", 1)


@privacy_app.command("rotate-key")
def rotate_key_command() -> None:
    """Rewrap every case's data key under CASEFLOW_MASTER_KEY(_FILE); the old key stays named
    in CASEFLOW_PREVIOUS_MASTER_KEY_FILES until this has run everywhere. Events are untouched."""
    from caseflow.infra.privacy.erasure import rotate_master_key

    c = _container()
    try:
        sealer = c.sealer
        done = rotate_master_key(sealer.keys, sealer.master)
        left = sealer.keys.master_key_ids() - {sealer.master.primary_id}
    finally:
        c.close()
    typer.echo(
        f"rewrapped {done.rewrapped} data key(s) under master key "
        f"{sealer.master.primary_id}; {done.current} already were, {done.erased} erased"
    )
    if left:
        raise _fail(f"still wrapped under {', '.join(sorted(left))}: run it again", 1)


@privacy_app.command("encrypt-existing")
def encrypt_existing_command() -> None:
    """Seal the personal fields of events stored before sealing existed and re-seal the hash
    chain, in one transaction (stop the API and workers first); views are rebuilt after."""
    from caseflow.infra.integrity.checkpoints import KeyProblem
    from caseflow.infra.privacy.migrate import MigrationRefused, encrypt_existing

    c = _container()
    try:
        done = encrypt_existing(c)
    except (MigrationRefused, KeyProblem) as e:
        raise _fail(str(e)) from None
    finally:
        c.close()
    if not done.sealed:
        typer.echo("nothing to do: every stored personal field is sealed")
        return
    typer.echo(
        f"sealed {done.sealed} event(s) from position {done.first_position}; chain head "
        f"{done.old_head[:16]}… → {done.new_head[:16]}…"
    )
    if done.record is not None:
        typer.echo(
            f"signed record: {done.record}; {len(done.superseded)} checkpoint(s) "
            "superseded, moved aside"
        )
    else:
        typer.echo("no signed record: no CASEFLOW_AUDIT_SIGNING_KEY_FILE (and no checkpoints)")


@privacy_app.command("new-key")
def new_key_command(
    path: Annotated[Path, typer.Argument(help="File to create (owner-only; never overwritten)")],
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="An existing file is kept and is no error")
    ] = False,
) -> None:
    """Write a new random master key (AES-256, base64) for CASEFLOW_MASTER_KEY_FILE."""
    from caseflow.infra.privacy.masterkey import write_key_file

    try:
        kid = write_key_file(path)
    except FileExistsError:
        if if_missing:
            typer.echo(f"{path} exists: kept")
            return
        raise _fail(f"{path} exists: a key file is never overwritten") from None
    typer.echo(f"wrote master key {kid} to {path}")
