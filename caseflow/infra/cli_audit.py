"""`caseflow audit verify|checkpoint|seal|keygen`: the tamper-evident record (docs/integrity.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

audit_app = typer.Typer(
    no_args_is_help=True, help="The hash-chained log: verify it, sign checkpoints, seal old stores."
)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _integrity() -> Any:
    from caseflow.infra.integrity.service import Integrity, StoreUnreadable, open_store
    from caseflow.infra.settings import Settings

    try:
        settings = Settings()
        return Integrity(settings, open_store(settings))
    except StoreUnreadable as e:
        raise _fail(str(e)) from None
    except ValueError as e:  # settings
        raise _fail(str(e).splitlines()[0]) from None


@audit_app.command("verify")
def verify_command(
    all_breaks: Annotated[
        bool, typer.Option("--all", help="Every break, not only the first")
    ] = False,
    from_checkpoint: Annotated[
        bool,
        typer.Option(
            "--from-checkpoint", help="Start at the newest signed checkpoint, not at position 0"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Check every link of the chain and every signed checkpoint. Exit 0 intact, 1 broken."""
    from caseflow.infra.integrity.checkpoints import KeyProblem
    from caseflow.infra.integrity.service import StoreUnreadable

    integrity = _integrity()
    try:
        report = _with_progress(
            lambda progress: integrity.verify(
                from_last_checkpoint=from_checkpoint, progress=progress
            ),
            quiet=as_json,
        )
    except (StoreUnreadable, KeyProblem) as e:
        raise _fail(str(e)) from None
    findings = report.findings if all_breaks else report.findings[:1]
    if as_json:
        out = {
            "intact": report.intact,
            "start": report.start,
            "head": report.head,
            "events": report.events,
            "checkpoints_checked": report.checkpoints_checked,
            "breaks": len(report.findings) + report.more_findings,
            "findings": [f.as_dict() for f in findings],
            "notes": report.notes,
        }
        typer.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report, findings)
    raise typer.Exit(0 if report.intact else 1)


def _with_progress(run: Any, *, quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), disable=quiet, transient=True
    ) as bar:
        task = bar.add_task("verify", total=None)
        return run(lambda at, upto: bar.update(task, completed=at, total=upto))


def _print(report: Any, findings: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    summary = (
        f"{report.events} events up to position {report.head} (from {report.start}), "
        f"{report.checkpoints_checked} signed checkpoints checked"
    )
    if report.intact:
        console.print(f"[green]intact[/]: {summary}")
        return
    total = len(report.findings) + report.more_findings
    console.print(f"[red]BROKEN[/]: {total} break(s); {summary}")
    table = Table("position", "what", "aggregate", "version", "detail")
    for f in findings:
        table.add_row(
            str(f.position),
            f.kind,
            f.aggregate_id or "-",
            "-" if f.version is None else str(f.version),
            f.detail,
        )
    console.print(table)
    if len(findings) < total:
        console.print(f"{total - len(findings)} more: `caseflow audit verify --all`")


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Verify since the last checkpoint, sign the head, append it outside the database."""
    from caseflow.infra.integrity.checkpoints import KeyProblem, load_signing_key
    from caseflow.infra.integrity.service import ChainBroken, StoreUnreadable
    from caseflow.infra.kafka.producer import DeliveryFailed

    integrity = _integrity()
    try:
        private = load_signing_key(integrity.settings.audit_signing_key_file)
        cp = integrity.checkpoint(private)
    except (KeyProblem, StoreUnreadable) as e:
        raise _fail(str(e)) from None
    except ChainBroken as e:
        raise _fail(str(e), 1) from None
    except DeliveryFailed as e:
        raise _fail(
            f"checkpoint written to {integrity.dir.path} but not to "
            f"{integrity.settings.audit_checkpoint_topic}: {e}",
            1,
        ) from None
    typer.echo(
        f"checkpoint at position {cp.position}: {cp.chainhash.hex()} "
        f"(key {cp.key_id}) in {integrity.dir.path}"
    )


@audit_app.command("seal")
def seal_command() -> None:
    """Chain the events written before the chain existed (a store from before this version)."""
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.integrity.store import chain_store

    try:
        container = bootstrap()  # opening the store seals a store never chained
    except Exception as e:  # settings, an unreachable or foreign database
        raise _fail(f"cannot open the event store: {str(e).strip().splitlines()[0]}") from None
    try:
        n = chain_store(container.app.recorder).seal()
        events_head, head = chain_store(container.app.recorder).heads()
    finally:
        container.close()
    typer.echo(
        f"chain head at position {head.position} of {events_head}"
        + (f" ({n} events newly chained)" if n else "")
    )


@audit_app.command("keygen")
def keygen_command(
    directory: Annotated[Path, typer.Argument(help="Where to write the two PEM files")],
) -> None:
    """Write a new Ed25519 key pair: audit-signing.pem (keep it with the signer) and
    audit-public.pem (give it to whoever verifies)."""
    from caseflow.infra.integrity.checkpoints import write_key_pair

    try:
        signing, public = write_key_pair(directory)
    except FileExistsError:
        raise _fail(f"{directory / 'audit-signing.pem'} exists; not overwritten") from None
    typer.echo(
        f"CASEFLOW_AUDIT_SIGNING_KEY_FILE={signing}\nCASEFLOW_AUDIT_PUBLIC_KEY_FILE={public}"
    )
