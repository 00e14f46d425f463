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
from caseflow.projections.shares import rebuild_by_case
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


class KillingShares(KillingSource):
    """`KillingSource` whose shares (`EventLog.share`: on PostgreSQL the server's pick) count
    their reads toward the same death."""

    def share(self, share: int, shares: int, upto: int):
        part, outer = self.log.share(share, shares, upto), self

        class Dying:
            def read(self, after: int, limit: int):
                if outer.left == 0:
                    raise Killed()
                outer.left -= 1
                return part.read(after, limit)

            def head(self) -> int:
                return part.head()

            def wait(self, after: int, timeout: float) -> bool:
                return False

        return Dying()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    history=histories,
    shares=st.integers(2, 3),
    rebuild_batch=st.integers(1, 15),
    kill_after=st.integers(0, 12),
    commit_every=st.integers(1, 40),
    max_rows=st.integers(1, 8),
)
def test_a_rebuild_split_by_case_killed_and_resumed_agrees_with_live_in_sql(
    backend_settings, history, shares, rebuild_batch, kill_after, commit_every, max_rows
):
    """`rebuild_by_case` in this process (each share in turn, read through `EventLog.share`),
    whole, then killed at a random read and resumed by a new process: the rows of live."""
    clock = Clock(T0)

    def rebuild_all(views, source, n):
        return rebuild_by_case(
            list(views.projections.values()),
            views.store,
            source,
            n,
            batch_size=rebuild_batch,
            commit_every=commit_every,
            max_rows=max_rows,
        )

    container = bootstrap(fresh(backend_settings), clock=clock)
    try:
        views = container.views
        apply(World(app=container.app, clock=clock), history)
        for c in [ProjectionConsumer(p, views.store) for p in views.projections.values()]:
            while c.position() < container.log.head():
                c.handle(container.log.read(c.position(), 7))
        live = snapshot(views)

        full = rebuild_all(views, container.log, shares)
        assert not full.failed and sorted(full.switched) == sorted(views.projections)
        assert full.events == container.log.head()
        assert snapshot(views) == live

        try:
            rebuild_all(views, KillingShares(container.log, kill_after), shares)
        except Killed:
            pass
        views.close()
    finally:
        container.close()
    again = bootstrap(container.settings, clock=clock)  # the "new process" resumes
    try:
        views = again.views
        resumed = rebuild_all(views, again.log, shares + 1)  # (it keeps the split it finds)
        assert not resumed.failed and not resumed.interrupted
        assert snapshot(views) == live
        with views.queries.reading() as conn:
            assert conn.execute("SELECT COUNT(*) FROM view_shares").fetchone()[0] == 0
    finally:
        again.close()
