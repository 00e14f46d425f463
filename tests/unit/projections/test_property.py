"""For random histories, live processing in random batches, a full rebuild, and a rebuild killed
at a random point and resumed give identical views — for every registered projection."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.projections import registry
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.memory import MemoryViewStore
from caseflow.projections.rebuild import rebuild
from caseflow.projections.shares import rebuild_by_case
from tests.unit.projections.histories import apply, histories
from tests.unit.projections.world import World


class Killed(BaseException):
    """A crash: not an `Exception`, so nothing on the way may swallow it."""


class KillingSource:
    """The log, but the process "dies" on the n-th read."""

    def __init__(self, log, reads_before_death: int):
        self.log, self.left = log, reads_before_death

    def read(self, after: int, limit: int):
        if self.left == 0:
            raise Killed()
        self.left -= 1
        return self.log.read(after, limit)

    def head(self) -> int:
        return self.log.head()

    def wait(self, after: int, timeout: float) -> bool:
        return self.log.wait(after, timeout)


def snapshot(store: MemoryViewStore) -> dict:
    return {name: store.data(name) for name in store.projections}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=histories,
    batch_sizes=st.lists(st.integers(1, 9), min_size=1, max_size=8),
    interleave=st.lists(st.booleans(), min_size=1, max_size=8),
    rebuild_batch=st.integers(1, 12),
    kill_after=st.integers(0, 6),
    commit_every=st.integers(1, 40),
)
def test_live_rebuild_and_resumed_rebuild_agree(
    history, batch_sizes, interleave, rebuild_batch, kill_after, commit_every
):
    world = World()
    projections = registry.build(DEFAULT_POLICY)
    store = MemoryViewStore()
    store.setup(projections)
    consumers = [ProjectionConsumer(p, store) for p in projections]

    # live: commands and consumer steps interleaved, random batch sizes
    for i, step in enumerate(history):
        apply(world, [step])
        if interleave[i % len(interleave)]:
            size = batch_sizes[i % len(batch_sizes)]
            for c in consumers:
                c.handle(world.log.read(c.position(), size))
    for c in consumers:
        while c.position() < world.log.head():
            c.handle(world.log.read(c.position(), batch_sizes[0]))
    live = snapshot(store)

    # a full rebuild
    # (shadows commit every `commit_every` events: a killed rebuild resumes from mid-run)
    full = rebuild(
        projections, store, world.log, batch_size=rebuild_batch, commit_every=commit_every
    )
    assert not full.failed and len(full.switched) == len(projections)
    assert snapshot(store) == live

    # a rebuild killed midway, resumed by a "new process"
    try:
        rebuild(
            projections,
            store,
            KillingSource(world.log, kill_after),
            batch_size=rebuild_batch,
            commit_every=commit_every,
        )
    except Killed:
        for p in projections:
            store.lock(f"rebuild-{p.name}").release()  # the dead process's locks die with it
    resumed = rebuild(
        registry.build(DEFAULT_POLICY),
        store,
        world.log,
        batch_size=rebuild_batch,
        commit_every=commit_every,
    )
    assert not resumed.failed
    assert snapshot(store) == live


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=histories,
    shares=st.integers(2, 4),
    rebuild_batch=st.integers(1, 12),
    kill_after=st.integers(0, 12),
    commit_every=st.integers(1, 40),
)
def test_a_rebuild_split_by_case_agrees_with_live_whole_and_killed(
    history, shares, rebuild_batch, kill_after, commit_every
):
    """Every share folded alone into one generation, merged, then carried on in order: the
    rows of live processing, also when the run dies at any read and the next resumes it."""
    world = World()
    projections = registry.build(DEFAULT_POLICY)
    store = MemoryViewStore()
    store.setup(projections)
    apply(world, history)
    for p in projections:
        c = ProjectionConsumer(p, store)
        while c.position() < world.log.head():
            c.handle(world.log.read(c.position(), 7))
    live = snapshot(store)

    full = rebuild_by_case(
        projections,
        store,
        world.log,
        shares,
        batch_size=rebuild_batch,
        commit_every=commit_every,
    )
    assert not full.failed and sorted(full.switched) == sorted(p.name for p in projections)
    assert snapshot(store) == live
    assert not store.plans  # merged: no split left behind

    try:
        rebuild_by_case(
            projections,
            store,
            KillingSource(world.log, kill_after),
            shares,
            batch_size=rebuild_batch,
            commit_every=commit_every,
        )
    except Killed:
        for p in projections:
            store.lock(f"rebuild-{p.name}").release()  # the dead process's locks die with it
    resumed = rebuild_by_case(
        registry.build(DEFAULT_POLICY),
        store,
        world.log,
        shares + 1,  # a resumed run keeps the split it finds
        batch_size=rebuild_batch,
        commit_every=commit_every,
    )
    assert not resumed.failed
    assert snapshot(store) == live
