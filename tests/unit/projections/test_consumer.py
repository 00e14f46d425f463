"""ProjectionConsumer: one transaction per batch with the position; poison events isolated."""

from __future__ import annotations

import pytest

from caseflow.projections.base import PoisonEvent, PositionMoved
from caseflow.projections.consumer import ProjectionConsumer
from tests.unit.projections.conftest import Counting
from tests.unit.projections.world import T0


def test_a_batch_commits_rows_and_position_together(world, store):
    p = Counting()
    store.setup([p])
    consumer = ProjectionConsumer(p, store)
    consumer.handle(world.events())
    assert consumer.position() == 6
    assert store.record("counting").active.position == 6
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4
    assert p.batches == [6]  # one handle call for the whole batch


def test_events_at_or_before_the_position_are_skipped(world, store):
    p = Counting()
    store.setup([p])
    consumer = ProjectionConsumer(p, store)
    events = world.events()
    consumer.handle(events[:4])
    consumer.handle(events)  # the first four again: not counted twice
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4


def test_poison_event_stops_the_projection_after_committing_the_events_before_it(world, store):
    p = Counting(poison={5})
    store.setup([p])
    consumer = ProjectionConsumer(p, store)
    with pytest.raises(PoisonEvent) as raised:
        consumer.handle(world.events())
    assert raised.value.event.position == 5
    record = store.record("counting")
    assert record.active.position == 4
    assert record.failure.position == 5 and "cannot handle 5" in record.failure.error
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4


def test_getting_past_the_poison_event_clears_the_failure(world, store):
    p = Counting(poison={5})
    store.setup([p])
    with pytest.raises(PoisonEvent):
        ProjectionConsumer(p, store).handle(world.events())
    p.poison.clear()  # the fix is deployed; a restart retries
    ProjectionConsumer(p, store).handle(world.events())
    record = store.record("counting")
    assert record.active.position == 6 and record.failure is None


def test_transient_error_is_raised_without_recording_a_failure(world, store):
    p = Counting()
    store.setup([p])
    store.fail_next_commit = ConnectionError("database went away")
    consumer = ProjectionConsumer(p, store)
    with pytest.raises(ConnectionError):
        consumer.handle(world.events())
    record = store.record("counting")
    assert record.active.position == 0 and record.failure is None
    consumer.handle(world.events())  # the retry succeeds from the recorded position
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4


def test_someone_else_moving_the_position_is_reported_and_resynced(world, store):
    p = Counting()
    store.setup([p])
    ours, theirs = ProjectionConsumer(p, store), ProjectionConsumer(p, store)
    events = world.events()
    assert ours.position() == 0
    theirs.handle(events[:3])
    with pytest.raises(PositionMoved):
        ours.handle(events)
    assert ours.position() == 3  # re-read from the store
    ours.handle(events)
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4


def test_irrelevant_events_still_advance_the_position(world, store):
    class OnlyCases(Counting):
        interests = frozenset({"case.received"})

    p = OnlyCases()
    store.setup([p])
    consumer = ProjectionConsumer(p, store)
    consumer.handle(world.events())
    assert consumer.position() == 6 and p.batches == []
    world.receive(T0)
    consumer.handle(world.events())
    assert p.batches == [1]
