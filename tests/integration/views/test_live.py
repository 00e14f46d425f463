"""Live views on SQLite and PostgreSQL: runners follow the log, restart where they stopped,
a poison event stops only its projection, read-your-writes waits."""

from __future__ import annotations

import time

from caseflow.infra.bootstrap import bootstrap
from caseflow.projections.base import Column, Projection, Table
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.runner import Runner
from tests.unit.projections.world import T0, World, day


def eventually(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Fragile(Projection):
    """Fails on every screening (a stand-in for a handler bug)."""

    name = "fragile"
    tables = (Table("fragile", (Column("event", "text"), Column("n", "int", 0)), key=("event",)),)

    def handle(self, events, rows):  # noqa: ANN001
        for e in events:
            if e.name == "case.screened":
                raise ValueError("cannot screen")
            rows.add("fragile", (e.name,), n=1)


def test_started_views_follow_commands_and_serve_read_your_writes(views, world):
    views.start()
    try:
        case = world.receive(T0)
        result = world.screen(case, day(3, 5))
        assert views.wait_for(result.position, timeout=10, names=("case_status", "audit"))
        assert views.case(case)["status"] == "accepted"
        assert all(s.state == "running" for s in views.statuses())
    finally:
        views.stop()


def test_wait_for_gives_up_when_views_do_not_move(views, world):
    result = world.screen(world.receive(T0), day(3, 5))
    started = time.monotonic()
    assert views.wait_for(result.position, timeout=0.2) is False
    assert time.monotonic() - started < 2


def test_a_restarted_process_resumes_from_the_recorded_position(container, views, world, clock):
    case = world.receive(T0)
    views.runners()[1].catch_up()  # case_status
    world.screen(case, day(3, 5))
    views.close()
    again = bootstrap(container.settings, clock=clock)
    try:
        v = again.views
        assert v.position("case_status") == world.log.head() - 1
        for r in v.runners():
            r.catch_up()
        assert v.case(case)["status"] == "accepted" and v.audit_for(case).total == 2
    finally:
        again.close()


def test_poison_event_stops_its_projection_and_status_reports_it(views, world):
    fragile = Fragile()
    views.store.setup([fragile])
    views.projections["fragile"] = fragile
    views.start()
    try:
        case = world.receive(T0)
        bad = world.screen(case, day(3, 5))
        after = world.assign(case, day(3, 6))
        assert views.wait_for(after.position, timeout=10, names=("case_status", "audit"))
        status = {s.name: s for s in views.statuses()}
        assert eventually(lambda: views.status("fragile").state == "failed")
        failed = views.status("fragile")
        assert failed.position == bad.position - 1 and failed.failed_position == bad.position
        assert "cannot screen" in failed.error and "case.screened" in failed.failed_event
        assert status["case_status"].state == "running"
    finally:
        views.stop()


def test_status_of_a_stopped_view_shows_lag_in_events_and_seconds(views, world, clock):
    world.receive(T0)
    world.receive(day(3, 2))
    status = views.status("case_status")
    assert status.state == "stopped" and status.lag_events == world.log.head()
    assert status.lag_seconds is not None and status.lag_seconds >= 0


def test_wakes_promptly_when_another_process_appends(container, views, clock):
    """Another app instance on the same store stands for another process: no in-process
    notification reaches us, so this is the poll (SQLite) or LISTEN/NOTIFY (PostgreSQL)."""
    other = bootstrap(container.settings, clock=clock)
    runner = Runner(
        ProjectionConsumer(views.projections["audit"], views.store),
        views.source,
        wait=views.waiter,
        idle_timeout=5.0,
    )
    runner.catch_up()
    runner.start()
    try:
        time.sleep(0.3)  # the runner is now blocked waiting for the log
        started = time.monotonic()
        World(app=other.app, clock=clock)  # registers orgs and leaders: appends events
        head = other.log.head()
        assert eventually(lambda: runner.consumer.position() >= head, timeout=5)
        waited = time.monotonic() - started
    finally:
        runner.stop()
        other.close()
    assert waited < 1.0  # woken by the poll or by NOTIFY, not by the 5 s timeout
