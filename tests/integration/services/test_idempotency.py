"""Idempotency keys are stored with the events: a retry appends nothing and answers the first
result (same version and global position); a key reused for another request is refused."""

from __future__ import annotations

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.services.errors import IdempotencyKeyReused
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
        again = restarted.app.screen(ctx, case, decision="accept", category="appeal",
                                     to_org_id=None, reason="", route_channel=None,
                                     notified_at=None)
    finally:
        restarted.close()
    assert (again.version, again.position, again.replayed) == (2, first.position, True)
