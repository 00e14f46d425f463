"""The garbage collector pause around decoding: reentrant across threads, never leaves the
collector in another state than it found it; nor does a rebuild leave the heap's freeze."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.projections import registry
from caseflow.projections.memory import MemoryViewStore
from caseflow.projections.rebuild import rebuild
from caseflow.projections.source import collector_paused, settle_heap
from tests.unit.projections.world import World


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_resumes_when_the_last_of_several_threads_leaves():
    inside, leave_b = threading.Event(), threading.Event()

    def b() -> None:
        with collector_paused():
            inside.set()
            leave_b.wait(5)

    other = threading.Thread(target=b)
    with collector_paused():
        assert not gc.isenabled()
        other.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread is still decoding
    leave_b.set()
    other.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off_and_an_error_still_resumes_it():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("handler failed")
    assert gc.isenabled()


def test_reading_the_log_pauses_the_collector_only_while_it_decodes(monkeypatch):
    world = World()
    world.receive(world.clock.now)
    states: list[bool] = []
    decode = world.log.transcoder.decode
    monkeypatch.setattr(
        world.log.transcoder,
        "decode",
        lambda data: (states.append(gc.isenabled()), decode(data))[1],
    )
    events = world.log.read(0, 100)
    assert events and states and not any(states)
    assert gc.isenabled()


@pytest.mark.parametrize("frozen", [True, False])
def test_a_rebuild_leaves_the_heap_frozen_only_if_it_was(frozen):
    world = World()
    world.receive(world.clock.now)
    projections = registry.build(DEFAULT_POLICY)
    store = MemoryViewStore()
    store.setup(projections)
    gc.unfreeze()
    try:
        if frozen:
            settle_heap()  # a server's start-up heap
        assert not rebuild(projections, store, world.log, batch_size=1).failed
        after = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the rest of the session's objects stay collectable
    assert (after > 0) is frozen
