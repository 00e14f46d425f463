"""Rebuild: into a new generation while the old one serves; resumable; poison stops only one."""

from __future__ import annotations

import threading
import time

import pytest

from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.rebuild import RebuildBusy, rebuild
from caseflow.projections.runner import Runner, RunnerGroup
from tests.unit.projections.conftest import Counting
from tests.unit.projections.world import T0, day


def live(p, store, world) -> None:
    store.setup([p])
    Runner(ProjectionConsumer(p, store), world.log).catch_up()


def some_history(world) -> None:
    for i in range(5):
        case = world.receive(T0)
        world.screen(case, day(3, 2 + i))


def test_rebuild_switches_to_a_generation_equal_to_live_processing(world, store):
    some_history(world)
    p = Counting()
    live(p, store, world)
    before = store.data("counting")
    result = rebuild([p], store, world.log, batch_size=3)
    assert result.switched == ["counting"] and result.events == world.log.head()
    record = store.record("counting")
    assert record.active.generation == 2 and record.building is None
    assert store.data("counting") == before


def test_old_generation_keeps_serving_until_the_switch(world, store):
    some_history(world)
    p = Counting()
    live(p, store, world)
    seen = []

    def progress(state) -> None:
        seen.append(store.record("counting").active.generation)

    rebuild([p], store, world.log, batch_size=2, progress=progress)
    assert set(seen) == {1} and store.record("counting").active.generation == 2


def test_interrupted_rebuild_resumes_from_the_shadow_position(world, store):
    some_history(world)
    p = Counting()
    live(p, store, world)
    expected = store.data("counting")
    stop = threading.Event()
    first = rebuild([p], store, world.log, batch_size=4, progress=lambda s: stop.set(), stop=stop)
    assert first.interrupted and first.switched == []
    record = store.record("counting")
    assert record.active.generation == 1 and record.building.position == 4
    p.batches.clear()
    second = rebuild([p], store, world.log, batch_size=4)
    assert second.switched == ["counting"]
    assert second.events == world.log.head() - 4  # nothing read twice
    assert store.data("counting") == expected


def test_poison_during_rebuild_keeps_the_old_view_and_switches_the_others(world, store):
    some_history(world)
    bad, good = Counting(name="bad"), Counting(name="good")
    live(bad, store, world), live(good, store, world)
    bad.poison = {8}
    result = rebuild([bad, good], store, world.log, batch_size=5)
    assert result.switched == ["good"] and set(result.failed) == {"bad"}
    record = store.record("bad")
    assert record.active.generation == 1 and record.active.position == world.log.head()
    assert record.building.position == 7 and record.building_failure.position == 8


def test_a_second_rebuild_of_the_same_projection_is_refused_while_one_runs(world, store):
    p = Counting()
    live(p, store, world)
    held = store.lock("rebuild-counting")
    assert held.acquire()
    try:
        with pytest.raises(RebuildBusy):
            rebuild([p], store, world.log)
    finally:
        held.release()


class Dying:
    """The log, but the process dies on read number `reads` (counting from 0)."""

    def __init__(self, log, reads: int):
        self.log, self.left = log, reads

    def read(self, after: int, limit: int):
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        return self.log.read(after, limit)

    def head(self) -> int:
        return self.log.head()


def test_a_rebuild_commits_every_window_and_a_killed_one_resumes_from_the_last(world, store):
    some_history(world)  # 10 events
    p = Counting()
    live(p, store, world)
    expected = store.data("counting")
    with pytest.raises(RuntimeError, match="killed"):
        rebuild([p], store, Dying(world.log, 3), batch_size=2, commit_every=4)
    store.lock("rebuild-counting").release()  # the dead process's lock dies with it
    record = store.record("counting")
    # reads 1-2 made the window (0, 4], committed; read 3 is uncommitted work, lost with it
    assert record.active.generation == 1 and record.building.position == 4
    p.batches.clear()
    second = rebuild([p], store, world.log, batch_size=2, commit_every=4)
    assert second.switched == ["counting"] and second.events == world.log.head() - 4
    assert store.data("counting") == expected


def test_a_window_that_fails_is_redone_read_by_read_and_stops_at_the_poison(world, store):
    some_history(world)
    p = Counting()
    live(p, store, world)
    p.poison = {8}
    result = rebuild([p], store, world.log, batch_size=3, commit_every=100)
    record = store.record("counting")
    assert set(result.failed) == {"counting"} and result.switched == []
    # the whole window rolled back, then events 1-7 were committed read by read
    assert record.building.position == 7 and record.building_failure.position == 8


class UpTo:
    """The log as it stood at position `last` (what a rebuild saw before the rest arrived)."""

    def __init__(self, log, last: int):
        self.log, self.last = log, last

    def read(self, after: int, limit: int):
        return [e for e in self.log.read(after, limit) if e.position <= self.last]

    def head(self) -> int:
        return min(self.last, self.log.head())


@pytest.mark.parametrize("grouped", [False, True])
def test_an_idle_live_runner_notices_a_switch_without_new_events(world, store, grouped):
    """The rebuild switched at 6 while the live runner had gone on to the head in the old
    generation and then went idle: it must carry the new generation on from 6 by itself, not
    wait for another event."""
    some_history(world)
    p = Counting()
    live(p, store, world)
    expected = store.data("counting")
    runner = Runner(ProjectionConsumer(p, store), world.log, idle_timeout=0.02)
    head = world.log.head()
    assert runner.consumer.position() == head  # cached: generation 1 at the head
    assert rebuild([p], store, UpTo(world.log, 6), batch_size=4).switched == ["counting"]
    assert store.record("counting").active.position == 6
    (RunnerGroup([runner]) if grouped else runner).start()
    try:
        deadline = time.monotonic() + 5
        while store.record("counting").active.position < head and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        runner.stop()
    assert store.record("counting").active.position == head
    assert store.data("counting") == expected


def test_a_resumed_rebuild_does_not_redo_the_views_its_first_run_switched(world, store):
    some_history(world)
    bad, good = Counting(name="bad"), Counting(name="good")
    live(bad, store, world), live(good, store, world)
    bad.poison = {8}
    first = rebuild([bad, good], store, world.log, batch_size=5)
    assert first.switched == ["good"] and store.record("good").active.generation == 2
    bad.poison, good.batches = set(), []
    second = rebuild([bad, good], store, world.log, batch_size=5)
    assert second.switched == ["bad"] and second.skipped == ["good"]
    assert store.record("good").active.generation == 2 and good.batches == []
    third = rebuild([bad, good], store, world.log, batch_size=5)  # nothing unfinished: a new run
    assert third.switched == ["bad", "good"] and third.skipped == []


def test_a_resumed_rebuild_switches_a_caught_up_view_before_reading_for_the_others(world, store):
    some_history(world)
    ahead, behind = Counting(name="ahead"), Counting(name="behind")
    live(ahead, store, world), live(behind, store, world)
    # What an interrupted run can leave: `ahead`'s shadow has caught up but did not switch.
    shadow = ProjectionConsumer(ahead, store, store.begin_rebuild(ahead).generation)
    Runner(shadow, world.log).catch_up()
    assert store.record("ahead").building.position == world.log.head()
    store.begin_rebuild(behind)  # a shadow of the same run, still at 0
    seen = []
    second = rebuild(
        [ahead, behind],
        store,
        world.log,
        batch_size=4,
        progress=lambda s: seen.append(store.record("ahead").active.generation),
    )
    assert second.switched == ["ahead", "behind"]
    assert seen and set(seen) == {2}  # switched before the first read for `behind`
