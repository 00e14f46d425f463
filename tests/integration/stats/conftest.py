"""The statistics views on a real view store (SQLite or PostgreSQL, per `backend_settings`),
fed from the real event log by the framework's `ProjectionConsumer`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from caseflow.domain.policy import Policy
from caseflow.infra.bootstrap import Container
from caseflow.infra.views.backends import postgres_store, sqlite_store
from caseflow.infra.views.sqlstore import SqlViewStore
from caseflow.infra.views.stats_read import Reader
from caseflow.projections.base import Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.kpis import Kpis
from caseflow.projections.leader_stats import LeaderStats

from . import scenario

TODAY = date(2026, 7, 15)  # "today" for compliance: mid-July, in H2 and Q3


class StatsViews:
    """`leader_stats` and `kpis` in one store; `catch_up` feeds them what the log holds."""

    def __init__(self, container: Container, store: SqlViewStore):
        self.container, self.store = container, store
        self.policy: Policy = container.app.policy
        self.projections: list[Projection] = [LeaderStats(self.policy), Kpis(self.policy)]
        store.setup(self.projections)
        self.reader = Reader(store)

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
    s = container.settings
    store = postgres_store(s.database_url) if s.database_url else sqlite_store(s.data_dir)
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
