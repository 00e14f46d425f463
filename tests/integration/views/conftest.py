"""View tests on a real store, run on SQLite and PostgreSQL (`container` from tests/backends)."""

from __future__ import annotations

import pytest

from caseflow.infra.bootstrap import Container
from caseflow.infra.views import Views
from tests.unit.projections.world import T0, World


@pytest.fixture
def views(container: Container) -> Views:
    return container.views


@pytest.fixture
def world(container: Container, clock) -> World:
    clock.now = T0
    return World(app=container.app, clock=clock)


def catch_up(views: Views) -> None:
    """Process everything in the log, in this thread."""
    for runner in views.runners():
        runner.catch_up()


def rows_of(views: Views, table: str, order: str) -> list[tuple]:
    """Every row of a logical table as the queries see it (through its SQL view)."""
    with views.queries.reading() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
