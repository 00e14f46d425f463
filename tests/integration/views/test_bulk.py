"""Many rows of one kind of change go through COPY on PostgreSQL (`infra/views/bulk.py`): the
rows come out as row-by-row statements make them, for every kind (appended, upserted whole,
updated in the changed columns, counters added, deleted), live, rebuilt whole and split."""

from __future__ import annotations

from caseflow.infra.views import bulk
from caseflow.projections.shares import rebuild_by_case
from tests.integration.views.conftest import catch_up
from tests.integration.views.test_rebuild_jobs import lifecycles, snapshot
from tests.unit.projections.world import day


def test_writes_through_copy_give_the_rows_of_row_by_row_writes(views, world, monkeypatch):
    priors = [world.receive(day(3, 1)) for _ in range(6)]
    for case in priors:
        world.screen(case, day(3, 2))
        world.assign(case, day(3, 3))
        world.resolve(case, day(3, 9))
    lifecycles(world, 40)
    for case in priors:  # repeat petitions: the kpis merge updates the prior cases
        world.receive(day(4, 25), prior=case)
    catch_up(views)  # live: small batches, row by row
    live = snapshot(views)
    written = []
    real = bulk._copy
    monkeypatch.setattr(bulk, "BULK_ROWS", 2)
    monkeypatch.setattr(
        bulk, "_copy", lambda cur, sql, rows: written.append(sql) or real(cur, sql, rows)
    )

    result = views.rebuild(batch_size=9, commit_every=25)  # windows that update earlier rows
    assert not result.failed and snapshot(views) == live
    projections = list(views.projections.values())
    split = rebuild_by_case(
        projections, views.store, views.source, 2, batch_size=9, commit_every=25
    )
    assert not split.failed and snapshot(views) == live
    if views.store.d.name == "postgres":
        kinds = {sql.split()[1].startswith("caseflow_rows") for sql in written}
        assert kinds == {True, False}  # copied into tables and into rows applied by a statement
    else:
        assert written == []  # SQLite keeps executemany
