"""The SQL view store on SQLite and PostgreSQL: rows and position in one transaction, generations
switched atomically, locks between instances."""

from __future__ import annotations

import threading
import time

import pytest

from caseflow.infra.views.backends import postgres_store, sqlite_store
from caseflow.projections.base import Column, PositionMoved, Projection, Table
from caseflow.projections.memory import MemoryRows
from tests.integration.views.conftest import rows_of
from tests.unit.projections.world import T0

STOCK = Table(
    "stock_test",
    (
        Column("item", "text"),
        Column("qty", "int", 0),
        Column("note", "text"),
        Column("at", "timestamp"),
    ),
    key=("item",),
    indexes=(("qty",),),
)


class Stock(Projection):
    name = "stock_test"
    tables = (STOCK,)

    def handle(self, events, rows):  # noqa: ANN001 - driven by hand below
        """Not used: the tests write through the batch directly."""


@pytest.fixture
def store(views):
    views.store.setup([Stock()])
    return views.store


def test_rows_and_position_commit_together(store):
    p = Stock()
    with store.batch(p, 1, 0) as batch:
        batch.put("stock_test", {"item": "a", "qty": 2, "note": "x", "at": T0})
        batch.add("stock_test", ("b",), qty=5)
        batch.advance(7, T0)
    assert store.record("stock_test").active.position == 7
    with store.batch(p, 1, 7) as batch:
        assert batch.get("stock_test", ("a",)) == {"item": "a", "qty": 2, "note": "x", "at": T0}
        assert batch.get("stock_test", ("b",))["qty"] == 5
        batch.add("stock_test", ("a",), qty=1)
        batch.add("stock_test", ("b",), qty=1)
        assert batch.get("stock_test", ("a",))["qty"] == 3  # pending deltas are visible
        batch.delete("stock_test", ("b",))
        batch.advance(8, T0)
    with store.batch(p, 1, 8) as batch:
        assert batch.get("stock_test", ("a",))["qty"] == 3
        assert batch.get("stock_test", ("b",)) is None


def test_an_exception_in_a_batch_writes_nothing(store):
    p = Stock()
    with pytest.raises(RuntimeError):
        with store.batch(p, 1, 0) as batch:
            batch.put("stock_test", {"item": "a", "qty": 1})
            batch.advance(3, T0)
            raise RuntimeError("crash before commit")
    assert store.record("stock_test").active.position == 0
    with store.batch(p, 1, 0) as batch:
        assert batch.get("stock_test", ("a",)) is None


def test_a_batch_expecting_another_position_is_refused(store):
    p = Stock()
    with store.batch(p, 1, 0) as batch:
        batch.advance(5, T0)
    with pytest.raises(PositionMoved):
        with store.batch(p, 1, 3):
            pass


def test_switch_points_the_view_at_the_new_generation_and_drops_the_old(store, views):
    p = Stock()
    with store.batch(p, 1, 0) as batch:
        batch.put("stock_test", {"item": "old", "qty": 1})
        batch.advance(1, T0)
    shadow = store.begin_rebuild(p)
    assert shadow.generation == 2 and store.begin_rebuild(p) == shadow  # resumable
    with store.batch(p, 2, 0) as batch:
        batch.put("stock_test", {"item": "new", "qty": 2})
        batch.advance(1, T0)
    assert [r[0] for r in rows_of(views, "stock_test", "item")] == ["old"]
    store.switch(p, 2)
    assert [r[0] for r in rows_of(views, "stock_test", "item")] == ["new"]
    record = store.record("stock_test")
    assert record.active.generation == 2 and record.building is None
    with pytest.raises(Exception, match="stock_test_g1"):  # the old table is gone
        rows_of(views, "stock_test_g1", "item")


def test_discarding_an_unfinished_rebuild_drops_its_tables(store):
    p = Stock()
    store.begin_rebuild(p)
    store.discard_rebuild("stock_test")
    assert store.record("stock_test").building is None
    assert store.begin_rebuild(p).generation == 3  # generation numbers are never reused


def test_only_one_holder_of_a_lock(store):
    first, second = store.lock("stock_test"), store.lock("stock_test")
    assert first.acquire() and not second.acquire()
    assert second.held_elsewhere()
    first.release()
    assert second.acquire() and not second.held_elsewhere()
    second.release()


def test_memory_rows_and_sql_rows_agree_on_defaults(store):
    p = Stock()
    memory = MemoryRows(p.tables)
    memory.add("stock_test", ("z",), qty=4)
    with store.batch(p, 1, 0) as batch:
        batch.add("stock_test", ("z",), qty=4)
        batch.advance(1, T0)
    with store.batch(p, 1, 1) as batch:
        assert batch.get("stock_test", ("z",)) == memory.get("stock_test", ("z",))


def test_a_process_starting_during_a_switch_does_not_point_the_view_back(
    store, views, backend_settings
):
    """`setup` (every process, at start) points each view at the active generation it reads;
    run while a switch commits, it once read the old one and pointed the view back at it."""
    p = Stock()
    with store.batch(p, 1, 0) as batch:
        batch.put("stock_test", {"item": "old", "qty": 1})
        batch.advance(1, T0)
    store.begin_rebuild(p)
    with store.batch(p, 2, 0) as batch:
        batch.put("stock_test", {"item": "new", "qty": 2})
        batch.advance(1, T0)
    repointed, release = threading.Event(), threading.Event()
    point = store._point_view

    def held_open(cur, plan, replace):  # noqa: ANN001 - the switch's transaction, kept open
        point(cur, plan, replace)
        if replace:
            repointed.set()
            release.wait(30)

    store._point_view = held_open
    switching = threading.Thread(target=store.switch, args=(p, 2))
    switching.start()
    assert repointed.wait(30)
    s = backend_settings
    other = postgres_store(s.database_url) if s.database_url else sqlite_store(s.data_dir)
    starting = threading.Thread(target=other.setup, args=([Stock()],))
    starting.start()
    time.sleep(0.5)  # it reads the generations (or waits for the switch) meanwhile
    release.set()
    switching.join(30)
    starting.join(30)
    other.close()
    assert [r[0] for r in rows_of(views, "stock_test", "item")] == ["new"]
    assert store.record("stock_test").active.generation == 2


def test_columns_added_to_a_table_are_added_to_an_existing_store(store, views, container):
    """New code may add a column: the live table gains it (NULL or its default for rows written
    before), writes and reads go on, and a rebuild fills it for older events."""
    with store.batch(Stock(), 1, 0) as batch:
        batch.put("stock_test", {"item": "a", "qty": 2, "note": "x", "at": T0})
        batch.advance(1, T0)
    grown = Table(
        "stock_test",
        (*STOCK.columns, Column("colour", "text"), Column("count", "int", 0)),
        key=("item",),
    )

    class Grown(Stock):
        tables = (grown,)
        schema_version = 2

    settings = container.settings  # a new process, with the new code, opens the store
    new = (
        postgres_store(settings.database_url)
        if settings.database_url
        else sqlite_store(settings.data_dir)
    )
    new.setup([Grown()])
    new.setup([Grown()])  # a second process starting finds them there already
    with new.batch(Grown(), 1, 1) as batch:
        assert batch.get("stock_test", ("a",))["count"] == 0
        batch.put(
            "stock_test",
            {"item": "b", "qty": 1, "note": "y", "at": T0, "colour": "red", "count": 3},
        )
        batch.advance(2, T0)
    new.close()
    rows = rows_of(views, "stock_test", "item")
    assert [tuple(r)[-2:] for r in rows] == [(None, 0), ("red", 3)]
    assert store.record("stock_test").schema_version == 1  # still says a rebuild is due
