"""Rebuilding while the live runners run and commands keep coming (SQLite and PostgreSQL): the
old view serves until the switch, the live runner carries on in the new generation, and the
result equals processing the whole log from scratch."""

from __future__ import annotations

import threading
import time

from caseflow.projections.consumer import ProjectionConsumer
from tests.integration.views.conftest import catch_up, rows_of
from tests.unit.projections.world import T0, day


def test_rebuild_under_live_traffic_switches_without_losing_or_doubling(views, world):
    cases = [world.receive(T0) for _ in range(30)]
    catch_up(views)
    views.start()
    stop = threading.Event()

    def traffic() -> None:
        for i, case in enumerate(cases):
            if stop.is_set():
                return
            world.screen(case, day(3, 5))
            world.receive(day(3, 6))
            time.sleep(0.005 * (i % 3))

    writer = threading.Thread(target=traffic)
    writer.start()
    try:
        result = views.rebuild(batch_size=7)
        writer.join(60)
        head = world.log.head()
        assert views.wait_for(head, timeout=20, names=list(views.projections))
        assert result.switched == list(views.projections) and not result.failed
        assert all(s.state == "running" and s.generation == 2 for s in views.statuses())
    finally:
        stop.set()
        writer.join(60)
        views.stop()
    live = rows_of(views, "case_status", "case_id")
    audit = rows_of(views, "audit", "position")
    assert len(live) == 60 and len(audit) == world.log.head()
    assert sum(1 for r in live if r[1] == "accepted") == 30

    # the same log processed from scratch into a third generation gives the same rows
    p = views.projections["case_status"]
    shadow = ProjectionConsumer(p, views.store, views.store.begin_rebuild(p).generation)
    while events := world.log.read(shadow.position(), 50):
        shadow.handle(events)
    views.store.switch(p, shadow.pinned)
    assert rows_of(views, "case_status", "case_id") == live


def test_a_view_stopped_at_a_poison_event_is_repaired_by_a_rebuild_once_fixed(views, world):
    from caseflow.projections.base import PoisonEvent

    p = views.projections["case_status"]
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    original = p.apply
    p.apply = lambda row, e: (_ for _ in ()).throw(ValueError("bug"))  # type: ignore[method-assign]
    consumer = ProjectionConsumer(p, views.store)
    try:
        consumer.handle(world.log.read(0, 100))
    except PoisonEvent:
        pass
    assert views.status("case_status").state == "failed"
    p.apply = original  # type: ignore[method-assign]
    assert views.rebuild(["case_status"]).switched == ["case_status"]
    status = views.status("case_status")
    assert status.state != "failed" and status.position == world.log.head()
    assert views.case(case)["status"] == "accepted"
