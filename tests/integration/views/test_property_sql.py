"""The property of tests/unit/projections/test_property.py on the real SQL stores: for random
histories, live processing in random batches, a full rebuild, and a rebuild killed midway and
resumed by a new process give identical views (every registered projection). The rebuilds use
random small windows (commit every few events, or when a few rows are held), so that shadows
commit mid-run with rows held across reads, as they do on a large log."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.infra.bootstrap import bootstrap
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.rebuild import rebuild
from tests.unit.projections.histories import apply, histories
from tests.unit.projections.test_property import Killed, KillingSource
from tests.unit.projections.world import T0, Clock, World


def fresh(settings_):
    """A new, empty store per example (new SQLite directory / wiped PostgreSQL schema)."""
    if settings_.database_url:
        import psycopg

        with psycopg.connect(settings_.database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return settings_
    return settings_.model_copy(update={"data_dir": settings_.data_dir / uuid.uuid4().hex})


def snapshot(views) -> dict:
    out = {}
    with views.queries.reading() as conn:
        for p in views.projections.values():
            for t in p.tables:
                records = conn.execute(f"SELECT * FROM {t.name}").fetchall()
                out[t.name] = sorted(tuple(str(v) for v in r) for r in records)
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    history=histories,
    batch_size=st.integers(1, 9),
    rebuild_batch=st.integers(1, 15),
    kill_after=st.integers(0, 5),
    commit_every=st.integers(1, 40),
    max_rows=st.integers(1, 8),
)
def test_live_rebuild_and_resumed_rebuild_agree_in_sql(
    backend_settings, history, batch_size, rebuild_batch, kill_after, commit_every, max_rows
):
    clock = Clock(T0)

    def rebuild_all(views, source):
        return rebuild(
            list(views.projections.values()),
            views.store,
            source,
            batch_size=rebuild_batch,
            commit_every=commit_every,
            max_rows=max_rows,
        )

    container = bootstrap(fresh(backend_settings), clock=clock)
    try:
        views = container.views
        world = World(app=container.app, clock=clock)
        consumers = [ProjectionConsumer(p, views.store) for p in views.projections.values()]
        for step in history:
            apply(world, [step])
            for c in consumers:
                c.handle(container.log.read(c.position(), batch_size))
        for c in consumers:
            while c.position() < container.log.head():
                c.handle(container.log.read(c.position(), batch_size))
        live = snapshot(views)

        assert not rebuild_all(views, container.log).failed
        assert snapshot(views) == live

        try:
            rebuild_all(views, KillingSource(container.log, kill_after))
        except Killed:
            pass
        views.close()
    finally:
        container.close()
    again = bootstrap(container.settings, clock=clock)  # the "new process" resumes
    try:
        views = again.views
        assert not rebuild_all(views, again.log).failed
        assert snapshot(views) == live
    finally:
        again.close()
