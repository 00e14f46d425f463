"""Many threads on one case: no lost or duplicated event, conflicts told to every loser, and
unconditional commands all get through by bounded retry.

Each test runs with all threads in one application (they take turns per case) and with the
threads split over two applications on the same store, standing in for two API processes
(their writes meet at the store's version check and are retried or refused).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from caseflow.domain.case import Case
from caseflow.infra.bootstrap import bootstrap
from caseflow.services.app import CaseflowApp, CommandResult
from caseflow.services.errors import Conflict
from tests.integration.services.story import Story

THREADS = 8


@pytest.fixture(params=["one process", "two processes"])
def apps(request: pytest.FixtureRequest, story: Story) -> Iterator[list[CaseflowApp]]:
    """The application each thread i uses: apps[i % len(apps)]."""
    if request.param == "one process":
        yield [story.app]
        return
    other = bootstrap(story.container.settings, clock=story.clock)
    try:
        yield [story.app, other.app]
    finally:
        other.close()


def on(apps: list[CaseflowApp], i: int, story: Story) -> Story:
    """`story`, but issuing commands through thread i's application."""
    return story.through(apps[i % len(apps)])


def race(n: int, command: Callable[[int], CommandResult]) -> list[CommandResult | Exception]:
    """Run `command(i)` on n threads released together; each result or the error it raised."""
    start = threading.Barrier(n)

    def run(i: int) -> CommandResult | Exception:
        start.wait()
        try:
            return command(i)
        except Exception as error:  # collected and asserted on by the caller
            return error

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def visited_versions(story: Story, case) -> list[int]:
    return [e.originator_version for e in story.app.history(case) if isinstance(e, Case.Visited)]


def test_one_of_many_conditional_commands_on_the_same_version_wins(
    story: Story, apps: list[CaseflowApp]
) -> None:
    case = story.assigned()
    for round_ in range(3):
        version = story.case(case).version
        outcomes = race(
            THREADS,
            lambda i, v=version: on(apps, i, story).visit(
                case, ctx=story.ctx("leader", expected_version=v)
            ),
        )
        winners = [o for o in outcomes if isinstance(o, CommandResult)]
        losers = [o for o in outcomes if not isinstance(o, CommandResult)]
        assert len(winners) == 1, f"round {round_}: {outcomes}"
        assert all(isinstance(o, Conflict) for o in losers), losers
        assert {o.current_version for o in losers} == {version + 1}
        assert story.case(case).version == version + 1
    assert visited_versions(story, case) == [4, 5, 6]


def test_conditional_commands_from_many_threads_lose_nothing_and_duplicate_nothing(
    story: Story, apps: list[CaseflowApp]
) -> None:
    case = story.assigned()
    start_version, start_head = story.case(case).version, story.head()
    attempts_each = 6

    def keep_trying(i: int) -> Counter:
        mine, tally = on(apps, i, story), Counter()
        for _ in range(attempts_each):
            version = mine.case(case).version
            try:
                result = mine.visit(case, ctx=story.ctx("leader", expected_version=version))
            except Conflict as conflict:
                assert conflict.current_version is not None
                assert conflict.current_version > version
                tally["conflict"] += 1
            else:
                assert result.version == version + 1
                tally["won"] += 1
        return tally

    tallies = race(THREADS, keep_trying)
    won = sum(t["won"] for t in tallies)
    assert sum(t["won"] + t["conflict"] for t in tallies) == THREADS * attempts_each
    assert won >= attempts_each  # someone wins every round of contention
    assert story.case(case).version == start_version + won
    assert visited_versions(story, case) == list(range(start_version + 1, start_version + won + 1))
    positions = [e.position for e in story.log.read(after=start_head, limit=10_000)]
    assert len(positions) == won == len(set(positions))


def test_unconditional_commands_from_many_threads_all_get_through(
    story: Story, apps: list[CaseflowApp]
) -> None:
    case = story.assigned()
    start = story.case(case).version
    per_thread = 4

    def visit_repeatedly(i: int) -> list[CommandResult]:
        mine = on(apps, i, story)
        return [mine.visit(case) for _ in range(per_thread)]

    outcomes = race(THREADS, visit_repeatedly)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    versions = sorted(r.version for results in outcomes for r in results)
    total = THREADS * per_thread
    assert versions == list(range(start + 1, start + total + 1))
    assert visited_versions(story, case) == versions


def test_concurrent_retries_of_one_keyed_command_append_it_once(
    story: Story, apps: list[CaseflowApp]
) -> None:
    case = story.assigned()
    head = story.head()
    outcomes = race(
        THREADS,
        lambda i: on(apps, i, story).visit(
            case, ctx=story.ctx("leader", idempotency_key="visit-1", request_hash="same")
        ),
    )
    assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
    assert len({(o.version, o.position) for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert story.head() == head + 1


def test_concurrent_retries_of_one_keyed_registration_create_one_case(
    story: Story, apps: list[CaseflowApp]
) -> None:
    head = story.head()
    outcomes = race(
        THREADS,
        lambda i: on(apps, i, story).receive(
            ctx=story.ctx(actor="clerk-1", idempotency_key="receive-1", request_hash="same")
        ),
    )
    assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
    assert len({(o.id, o.position) for o in outcomes}) == 1
    assert story.head() == head + 1
