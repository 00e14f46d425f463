"""Runner: follows the log in a thread, stops on poison, stands by behind a lock, retries."""

from __future__ import annotations

import time

import pytest

from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.runner import Follower, Runner, RunnerGroup, start_all, wait_for
from tests.unit.projections.conftest import Counting
from tests.unit.projections.world import T0


def eventually(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def runner_for(p, store, world, **kw) -> Runner:
    store.setup([p])
    return Runner(ProjectionConsumer(p, store), world.log, idle_timeout=0.05, **kw)


def test_runner_thread_follows_new_events(world, store):
    runner = runner_for(Counting(), store, world).start()
    try:
        world.receive(T0)
        assert eventually(lambda: runner.consumer.position() == world.log.head())
        assert runner.status().lag_events == 0 and runner.state == "running"
    finally:
        runner.stop()
    assert runner.state == "stopped"


def test_runner_resumes_from_the_recorded_position_after_a_restart(world, store):
    p = Counting()
    runner_for(p, store, world).catch_up()
    world.receive(T0)
    again = Runner(ProjectionConsumer(p, store), world.log)
    assert again.consumer.position() == 6
    again.catch_up()
    assert store.data("counting")["counts"][("org.registered",)]["n"] == 4
    assert store.data("counting")["counts"][("case.received",)]["n"] == 1


def test_poison_event_fails_one_runner_while_another_carries_on(world, store):
    bad, good = Counting(poison={3}, name="bad"), Counting(name="good")
    bad_runner, good_runner = runner_for(bad, store, world), runner_for(good, store, world)
    bad_runner.start(), good_runner.start()
    try:
        assert eventually(lambda: bad_runner.state == "failed")
        world.receive(T0)
        assert eventually(lambda: good_runner.consumer.position() == world.log.head())
        status = bad_runner.status()
        assert (status.state, status.position, status.failed_position) == ("failed", 2, 3)
        assert "cannot handle 3" in status.error
    finally:
        bad_runner.stop(), good_runner.stop()


def test_second_instance_stands_by_and_takes_over_when_the_first_stops(world, store):
    p = Counting()
    first = runner_for(p, store, world, lock=store.lock("counting")).start()
    second = Runner(
        ProjectionConsumer(p, store),
        world.log,
        lock=store.lock("counting"),
        idle_timeout=0.05,
        standby_interval=0.05,
    ).start()
    try:
        assert eventually(lambda: first.state == "running" and second.state == "standby")
        first.stop()
        world.receive(T0)
        assert eventually(
            lambda: second.state == "running" and second.consumer.position() == world.log.head()
        )
        assert store.data("counting")["counts"][("org.registered",)]["n"] == 4
    finally:
        first.stop(), second.stop()


def test_transient_errors_are_retried_with_the_error_shown_meanwhile(world, store):
    p = Counting()
    runner = runner_for(p, store, world)
    store.fail_next_commit = ConnectionError("connection reset")
    runner.start()
    try:
        assert eventually(lambda: runner.consumer.position() == world.log.head())
        assert runner.state == "running" and runner.error is None
    finally:
        runner.stop()


def test_group_drives_every_member_along_the_log_from_one_thread(world, store):
    a, b = Counting(name="a"), Counting(name="b")
    runners = [runner_for(a, store, world), runner_for(b, store, world)]
    group = RunnerGroup(runners).start()
    try:
        world.receive(T0)
        head = world.log.head()
        assert eventually(lambda: all(r.consumer.position() == head for r in runners))
        assert [r.state for r in runners] == ["running", "running"]
        assert store.data("a")["counts"] == store.data("b")["counts"]
    finally:
        for r in runners:
            r.stop()
    assert [r.state for r in runners] == ["stopped", "stopped"] and not group.alive()


def test_group_member_that_joins_behind_catches_up_with_the_others(world, store):
    ahead, behind = Counting(name="ahead"), Counting(name="behind")
    first = runner_for(ahead, store, world)
    first.catch_up()
    world.receive(T0)
    runners = [first, runner_for(behind, store, world)]
    RunnerGroup(runners, gather=0.01, gather_below=1000).start()
    try:
        head = world.log.head()
        assert eventually(lambda: all(r.consumer.position() == head for r in runners))
        assert store.data("ahead")["counts"] == store.data("behind")["counts"]
    finally:
        for r in runners:
            r.stop()


def test_a_member_far_behind_does_not_hold_back_the_others_in_a_round(world, store):
    ahead, behind = Counting(name="ahead"), Counting(name="behind")
    first = runner_for(ahead, store, world, batch_size=2)
    first.catch_up()
    world.receive(T0)
    second = runner_for(behind, store, world, batch_size=2)
    group = RunnerGroup([first, second])
    group._round([first, second])
    assert first.consumer.position() == world.log.head()
    assert second.consumer.position() == 2


def test_poison_event_fails_one_group_member_while_the_others_carry_on(world, store):
    bad, good = Counting(poison={3}, name="bad"), Counting(name="good")
    bad_runner, good_runner = runner_for(bad, store, world), runner_for(good, store, world)
    RunnerGroup([bad_runner, good_runner]).start()
    try:
        assert eventually(lambda: bad_runner.state == "failed")
        world.receive(T0)
        assert eventually(lambda: good_runner.consumer.position() == world.log.head())
        assert (bad_runner.status().position, bad_runner.status().failed_position) == (2, 3)
    finally:
        bad_runner.stop(), good_runner.stop()


def test_group_member_stands_by_while_another_instance_holds_its_lock(world, store):
    p = Counting()
    lone = runner_for(p, store, world, lock=store.lock("counting")).start()
    try:
        assert eventually(lambda: lone.state == "running")
        grouped = Runner(
            ProjectionConsumer(p, store),
            world.log,
            lock=store.lock("counting"),
            idle_timeout=0.05,
            standby_interval=0.05,
        )
        RunnerGroup([grouped]).start()
        assert eventually(lambda: grouped.state == "standby")
        lone.stop()
        world.receive(T0)
        assert eventually(
            lambda: grouped.state == "running" and grouped.consumer.position() == world.log.head()
        )
        assert store.data("counting")["counts"][("case.received",)]["n"] == 1
    finally:
        lone.stop(), grouped.stop()


def test_transient_errors_in_a_group_are_retried(world, store):
    p = Counting()
    runner = runner_for(p, store, world)
    store.fail_next_commit = ConnectionError("connection reset")
    RunnerGroup([runner]).start()
    try:
        assert eventually(lambda: runner.consumer.position() == world.log.head())
        assert runner.state == "running" and runner.error is None
    finally:
        runner.stop()


def test_start_all_groups_only_the_runners_named_together(world, store):
    a = runner_for(Counting(name="a"), store, world)
    b = runner_for(Counting(name="b"), store, world)
    start_all([a, b], [a])
    try:
        assert a.follower is not None and b.follower is not None
        assert a.follower is not b.follower and b.follower.members == [b]
        head = world.log.head()
        assert eventually(lambda: a.consumer.position() == head == b.consumer.position())
    finally:
        a.stop(), b.stop()


def test_wait_for_returns_false_when_the_position_is_not_reached_in_time():
    assert wait_for(lambda: 3, 5, timeout=0.05) is False
    assert wait_for(lambda: 5, 5, timeout=0.05) is True


class Remembering(ProjectionConsumer):
    """A consumer that keeps the errors the follower tells it of (as the relay does)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.recorded: list[str | None] = []

    def record_error(self, error: str | None) -> None:
        self.recorded.append(error)


def test_the_follower_tells_a_consumer_of_its_transient_error_and_of_getting_past_it(world, store):
    p = Counting()
    store.setup([p])
    runner = Runner(Remembering(p, store), world.log, idle_timeout=0.05)
    store.fail_next_commit = ConnectionError("connection reset")
    runner.start()
    try:
        assert eventually(lambda: runner.consumer.position() == world.log.head())
    finally:
        runner.stop()
    assert runner.consumer.recorded == ["ConnectionError: connection reset", None]
    status = runner.status()
    assert status.error is None and status.last_error == "ConnectionError: connection reset"
    assert runner.errors == 1


def test_a_follower_that_does_not_retry_raises_the_transient_error_after_noting_it(world, store):
    p = Counting()
    runner = runner_for(p, store, world)
    store.fail_next_commit = ConnectionError("connection reset")
    with pytest.raises(ConnectionError):
        Follower([runner], retry=False).run(until_head=True)
    assert runner.error == "ConnectionError: connection reset" and runner.errors == 1
    assert runner.consumer.position() == 0


def test_until_the_head_each_runner_is_handed_over_once_it_has_reached_it(world, store):
    a, b = (
        runner_for(Counting(name="a"), store, world),
        runner_for(Counting(name="b"), store, world),
    )
    a.catch_up()
    handed: list[tuple[str, int]] = []
    done = Follower([a, b]).run(
        until_head=True,
        reached=lambda r: bool(handed.append((r.name, r.consumer.position()))) or True,
    )
    head = world.log.head()
    assert done and handed == [("a", head), ("b", head)]
    assert a.state == b.state == "stopped"


class Flaky:
    """The log, unreadable for its first `failures` reads."""

    def __init__(self, log, failures: int):
        self.log, self.left = log, failures

    def read(self, after: int, limit: int):
        if self.left:
            self.left -= 1
            raise ConnectionError("log unreachable")
        return self.log.read(after, limit)

    def head(self) -> int:
        return self.log.head()

    def wait(self, after: int, timeout: float) -> bool:
        return self.log.wait(after, timeout)


def test_until_the_head_an_unreadable_log_is_waited_out_not_taken_for_the_end(world, store):
    p = Counting()
    store.setup([p])
    runner = Runner(ProjectionConsumer(p, store), Flaky(world.log, 2), max_backoff=0.01)
    assert Follower([runner]).run(until_head=True)
    assert runner.consumer.position() == world.log.head() and runner.errors == 2
