"""The statistics views on a real view store (SQLite or PostgreSQL, per `backend_settings`),
fed from the real event log by the framework's `ProjectionConsumer`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from caseflow.domain.policy import Policy
from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.settings import Settings
from caseflow.infra.views.backends import postgres_store, sqlite_store
from caseflow.infra.views.sqlstore import SqlViewStore
from caseflow.infra.views.stats_read import Reader
from caseflow.projections.base import Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.kpis import Kpis
from caseflow.projections.leader_stats import LeaderStats
from tests.backends import FrozenClock

from . import scenario
from .http_entry import HttpEntry

TODAY = date(2026, 7, 15)  # "today" for compliance: mid-July, in H2 and Q3


class StatsViews:
    """`leader_stats` and `kpis` in one store; `catch_up` feeds them what the log holds."""

    def __init__(self, container: Container, store: SqlViewStore):
        self.container, self.store = container, store
        self.ids: scenario.Ids | None = None
        self.policy: Policy = container.app.policy
        self.projections: list[Projection] = [LeaderStats(self.policy), Kpis(self.policy)]
        store.setup(self.projections)
        self.reader = Reader.of_store(store)

    def catch_up(self, batch_size: int = 1000, generation: int | None = None) -> None:
        for projection in self.projections:
            consumer = ProjectionConsumer(projection, self.store, generation)
            while events := self.container.log.read(consumer.position(), batch_size):
                consumer.handle(events)

    def table(self, name: str, generation: int) -> list[tuple]:
        """Every row of one physical table, sorted (for comparing generations)."""
        rows = self.reader.fetch(f"SELECT * FROM {name}_g{generation}")
        return sorted(tuple(str(v) for v in r) for r in rows)


@pytest.fixture
def views(container: Container) -> Iterator[StatsViews]:
    store = _store(container.settings)
    try:
        yield StatsViews(container, store)
    finally:
        store.close()


@pytest.fixture
def ids(container: Container, clock) -> scenario.Ids:
    """The scripted history of `scenario.py`, in the log."""
    return scenario.run(container.app, clock)


@pytest.fixture
def projected(views: StatsViews, ids: scenario.Ids) -> StatsViews:
    """The scripted history, projected one event per batch (the live case, worst for state)."""
    views.catch_up(batch_size=1)
    return views


def _store(settings: Settings) -> SqlViewStore:
    if settings.database_url:
        return postgres_store(settings.database_url)
    return sqlite_store(settings.data_dir)


@pytest.fixture(
    scope="module",
    params=[
        (backend, entry)
        for backend in ("sqlite", "postgres")
        for entry in ("live", "backlog", "backlog_http")
    ],
    ids="-".join,
)
def scripted(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[StatsViews]:
    """The scripted history, projected one event per batch, built once per backend and way of
    entry (live; or the backlog entered after the fact, through the service layer or over HTTP)
    for the read-only tests of a module (`views.ids` names its orgs, leaders and cases)."""
    import psycopg
    from psycopg import sql

    backend, entry = request.param
    data_dir = tmp_path_factory.mktemp("stats")
    url = dbname = None
    if backend == "postgres":
        server = request.getfixturevalue("postgres_url")
        dbname = f"caseflow_stats_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        url = server.rsplit("/", 1)[0] + "/" + dbname
    clock = FrozenClock()
    container = bootstrap(Settings(data_dir=data_dir, database_url=url), clock=clock)
    store = _store(container.settings)
    try:
        views = StatsViews(container, store)
        if entry == "backlog_http":
            over_http = HttpEntry(container)
            try:
                views.ids = scenario.run(over_http, clock, backlog=True)  # type: ignore[arg-type]
            finally:
                over_http.close()
        else:
            views.ids = scenario.run(container.app, clock, backlog=entry == "backlog")
        views.catch_up(batch_size=1)
        yield views
    finally:
        store.close()
        container.close()
        if dbname is not None:
            with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )
