"""Idempotency keys are stored with the events: a retry appends nothing and answers the first
result (same version and global position); a key reused for another request is refused."""

from __future__ import annotations

import threading

import pytest

from caseflow.domain.case import Case
from caseflow.domain.values import Category, Decision
from caseflow.infra.bootstrap import bootstrap
from caseflow.services.errors import IdempotencyKeyReused
from caseflow.services.execution import CommandResult
from tests.integration.services.story import Story


def keyed(story: Story, key: str, request_hash: str = "h-1", **fields):
    return story.ctx(idempotency_key=key, request_hash=request_hash, **fields)


def test_a_retried_update_appends_nothing_and_answers_the_first_result(story: Story) -> None:
    case = story.receive().id
    first = story.screen(case, ctx=keyed(story, "screen-1"))
    head = story.head()
    again = story.screen(case, ctx=keyed(story, "screen-1"))
    assert (again.id, again.version, again.position) == (first.id, first.version, first.position)
    assert again.replayed and not first.replayed
    assert story.head() == head


def test_a_retried_registration_answers_the_same_case(story: Story) -> None:
    first = story.receive(ctx=keyed(story, "receive-1"))
    head = story.head()
    again = story.receive(ctx=keyed(story, "receive-1"))
    assert (again.id, again.version, again.position) == (first.id, 1, first.position)
    assert again.replayed
    assert story.head() == head


def test_a_retry_after_later_events_still_answers_the_first_result(story: Story) -> None:
    case = story.receive().id
    first = story.screen(case, ctx=keyed(story, "screen-1"))
    story.assign(case)
    story.visit(case)
    again = story.screen(case, ctx=keyed(story, "screen-1"))
    assert (again.version, again.position) == (first.version, first.position)


def test_a_retry_of_a_conditional_command_is_answered_not_refused(story: Story) -> None:
    case = story.receive().id
    first = story.screen(case, ctx=keyed(story, "screen-1", expected_version=1))
    again = story.screen(case, ctx=keyed(story, "screen-1", expected_version=1))
    assert again.replayed and again.position == first.position


def test_a_key_reused_for_a_different_request_is_refused(story: Story) -> None:
    case = story.receive().id
    story.screen(case, ctx=keyed(story, "k-1", "screen"))
    story.assign(case)
    head = story.head()
    with pytest.raises(IdempotencyKeyReused):
        story.visit(case, ctx=keyed(story, "k-1", "visit"))
    assert story.head() == head


def test_a_registration_key_reused_for_a_different_petition_is_refused(story: Story) -> None:
    story.receive(ctx=keyed(story, "receive-1", "petition-A"))
    head = story.head()
    with pytest.raises(IdempotencyKeyReused):
        story.receive(ctx=keyed(story, "receive-1", "petition-B"), subject="另一件事")
    assert story.head() == head


def test_the_same_key_from_another_actor_is_another_registration(story: Story) -> None:
    a = story.receive(ctx=keyed(story, "receive-1", actor="clerk-a"))
    b = story.receive(ctx=keyed(story, "receive-1", actor="clerk-b"))
    assert a.id != b.id and not b.replayed


def test_keys_survive_a_restart_because_they_are_stored(story: Story) -> None:
    case = story.receive().id
    first = story.screen(case, ctx=keyed(story, "screen-1"))
    restarted = bootstrap(story.container.settings, clock=story.clock)
    try:
        ctx = keyed(story, "screen-1")
        again = restarted.app.screen(
            ctx,
            case,
            decision="accept",
            category="appeal",
            to_org_id=None,
            reason="",
            route_channel=None,
            notified_at=None,
        )
    finally:
        restarted.close()
    assert (again.version, again.position, again.replayed) == (2, first.position, True)


# ------------------------------------------------------------------ one key, one request, anywhere


def test_a_key_used_on_one_case_is_refused_on_another(story: Story) -> None:
    first, second = story.receive().id, story.receive().id
    story.screen(first, ctx=keyed(story, "k-1", "screen-first"))
    head = story.head()
    with pytest.raises(IdempotencyKeyReused):
        story.screen(second, ctx=keyed(story, "k-1", "screen-second"))
    assert story.head() == head
    assert story.app.get(Case, second).version == 1  # the second case was not screened


def test_a_key_used_on_a_case_is_refused_for_a_registration(story: Story) -> None:
    case = story.receive().id
    story.screen(case, ctx=keyed(story, "k-1", "screen"))
    head = story.head()
    with pytest.raises(IdempotencyKeyReused):
        story.receive(ctx=keyed(story, "k-1", "register"))
    assert story.head() == head


def test_a_registration_key_is_refused_on_another_route(story: Story) -> None:
    story.receive(ctx=keyed(story, "k-1", "register"))
    other = story.receive().id
    head = story.head()
    with pytest.raises(IdempotencyKeyReused):
        story.screen(other, ctx=keyed(story, "k-1", "screen"))
    assert story.head() == head


def test_a_retry_is_still_answered_once_its_key_is_claimed(story: Story) -> None:
    case, other = story.receive().id, story.receive().id
    first = story.screen(case, ctx=keyed(story, "k-1", "screen"))
    with pytest.raises(IdempotencyKeyReused):
        story.screen(other, ctx=keyed(story, "k-1", "screen-other"))
    again = story.screen(case, ctx=keyed(story, "k-1", "screen"))
    assert again.replayed and (again.version, again.position) == (first.version, first.position)


def test_another_caller_may_use_the_same_key_on_another_case(story: Story) -> None:
    first, second = story.receive().id, story.receive().id
    story.screen(first, ctx=keyed(story, "k-1", "a", actor="clerk-a"))
    result = story.screen(second, ctx=keyed(story, "k-1", "b", actor="clerk-b"))
    assert not result.replayed and result.version == 2


def test_one_key_racing_on_two_cases_records_once(story: Story) -> None:
    """Two stores opened on one database (as two processes would), each screening its own case
    with the same caller and key at the same moment: one records, the other is refused."""
    cases = [story.receive().id, story.receive().id]
    head = story.head()
    containers = [story.container, bootstrap(story.container.settings, clock=story.clock)]
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def screen(i: int) -> None:
        ctx = keyed(story, "race-1", f"screen-{i}")
        start.wait()
        try:
            outcomes[i] = containers[i].app.screen(
                ctx,
                cases[i],
                decision=Decision.ACCEPT,
                category=Category.APPEAL,
                to_org_id=None,
                reason="",
                route_channel=None,
                notified_at=None,
            )
        except IdempotencyKeyReused as e:
            outcomes[i] = e

    try:
        threads = [threading.Thread(target=screen, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        containers[1].close()
    won = [o for o in outcomes if isinstance(o, CommandResult)]
    refused = [o for o in outcomes if isinstance(o, IdempotencyKeyReused)]
    assert len(won) == 1 and len(refused) == 1, outcomes
    assert story.head() == head + 1
    assert sorted(story.app.get(Case, c).version for c in cases) == [1, 2]
