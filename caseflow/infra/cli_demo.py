"""`caseflow demo seed`: synthetic but realistic petitions written through the service layer."""

from __future__ import annotations

from typing import Annotated

import typer

demo_app = typer.Typer(no_args_is_help=True, help="Demo data (obviously synthetic).")


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")


@demo_app.command("seed")
def seed_command(
    cases: Annotated[int, typer.Option("--cases", min=0, help="How many petitions")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same petitions and ids")] = 1,
    months: Annotated[
        int,
        typer.Option("--months", min=1, max=60, help="Petitions arrive over this many past months"),
    ] = 8,
    durable: Annotated[
        bool,
        typer.Option(
            "--durable/--fast",
            help="--fast (default) skips SQLite's wait for the disk on every commit while seeding: "
            "a demo store can be regenerated. No effect on PostgreSQL.",
        ),
    ] = False,
) -> None:
    """Register an org tree with leaders and let N petitions live out their lives (screening,
    assignment, visits, extensions, resolution, reviews, re-checks, repeats, closure)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from caseflow.demo.seed import seed as run_seed
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.sqlite_tuning import set_synchronous

    container = bootstrap()
    try:
        if not durable:
            set_synchronous(container.app.recorder, "OFF")
        columns = (
            TextColumn("[bold]seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cases"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("seed", total=cases)
            summary = run_seed(
                container.app,
                cases=cases,
                seed=seed,
                months=months,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        container.close()
    typer.echo(f"seeded {summary}")
    counts = sorted(summary.by_event.items())
    typer.echo("events: " + ", ".join(f"{name} {n}" for name, n in counts))
