"""`python -m bench esrunner` compares like with like: its library side (the `eventsourcing`
`ProjectionRunner` feeding Caseflow's `CaseStatus` fold, one tracked transaction per event) makes,
row for row, the `case_status` and `case_stages` that Caseflow's own projection makes from the
same small history on PostgreSQL, and stops where it was asked to."""

from __future__ import annotations

import queue

import psycopg

from bench import esrunner
from caseflow.domain.values import Decision
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from tests.integration.views.conftest import catch_up
from tests.unit.projections.world import Clock, World, day


def lives(world: World) -> None:
    """Cases along most paths: rejected, forwarded, resolved and rated, reviewed and
    rechecked, extended, supervised, closed."""
    rejected = world.receive(day(3, 1))
    world.screen(rejected, day(3, 2), decision=Decision.REJECT)
    world.close(rejected, day(3, 4))
    forwarded = world.receive(day(3, 1))
    world.screen(forwarded, day(3, 3), decision=Decision.FORWARD)
    for i in range(3):
        case = world.receive(day(3, 2 + i), headcount=1 + 3 * i)
        world.screen(case, day(3, 6))
        world.assign(case, day(3, 7))
        world.visit(case, day(3, 8))
        world.supervise(case, day(3, 9), due=day(4, 1))
        world.extend(case, day(3, 10), days=15)
        world.resolve(case, day(4, 20))
        world.evaluate(case, day(4, 21))
        if i:
            world.request_review(case, day(4, 25))
            world.review(case, day(5, 10))
            world.evaluate(case, day(5, 12))
        if i == 2:
            world.request_recheck(case, day(5, 20))
            world.recheck(case, day(6, 5))
    world.receive(day(6, 6))  # the log ends with a case event, just received


def test_the_library_runner_side_of_the_bench_makes_caseflows_rows(fresh_postgres_url, tmp_path):
    clock = Clock()
    container = bootstrap(
        Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url), clock=clock
    )
    try:
        lives(World(app=container.app, clock=clock))
        catch_up(container.views)
        head = container.log.head()
    finally:
        container.close()

    out: queue.Queue[dict] = queue.Queue()
    esrunner._library(fresh_postgres_url, head, out)
    assert out.get_nowait()["final"] == head

    with psycopg.connect(fresh_postgres_url) as pg:
        rows = {}
        for table in esrunner.CaseStatus.tables:
            columns, order = ", ".join(table.column_names), ", ".join(table.key)
            caseflow = pg.execute(f"SELECT {columns} FROM {table.name} ORDER BY {order}")
            library = pg.execute(f"SELECT {columns} FROM esrunner_{table.name} ORDER BY {order}")
            rows[table.name] = caseflow.fetchall()
            assert library.fetchall() == rows[table.name], table.name
    assert len(rows["case_status"]) == 6  # one per case
    assert len(rows["case_stages"]) == 3 + 2 + 1  # resolutions, reviews, re-checks
