"""A repeat petition whose prior case is final must be screened as rejected; the service looks
the prior case up itself, so no caller can skip the rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseflow.domain.values import Decision, Status
from caseflow.services.errors import RuleViolation
from tests.integration.services.story import Story


def test_accepting_a_repeat_of_a_rechecked_case_is_refused(story: Story) -> None:
    prior = story.rechecked()
    repeat = story.receive(prior_case_id=prior).id
    head = story.head()
    with pytest.raises(RuleViolation) as caught:
        story.screen(repeat)
    assert caught.value.rule == "screened.repeat_of_final"
    assert story.head() == head


def test_a_repeat_of_a_rechecked_case_is_rejected_and_marked(story: Story) -> None:
    repeat = story.receive(prior_case_id=story.rechecked()).id
    story.screen(repeat, decision=Decision.REJECT, reason="同一事实和理由，不再受理")
    assert story.case(repeat).status is Status.REJECTED
    assert story.app.history(repeat)[-1].repeat_of_final is True


def test_a_repeat_of_a_case_closed_after_its_decision_must_be_rejected(story: Story) -> None:
    prior = story.resolved()
    story.clock.advance(days=31)
    story.app.close_case(story.ctx(), prior, reason="复查期限届满")
    repeat = story.receive(prior_case_id=prior).id
    with pytest.raises(RuleViolation):
        story.screen(repeat)


def test_a_repeat_of_an_open_case_may_be_accepted(story: Story) -> None:
    repeat = story.receive(prior_case_id=story.resolved()).id
    story.screen(repeat)
    assert story.case(repeat).status is Status.ACCEPTED
    assert story.app.history(repeat)[-1].repeat_of_final is False


def test_a_repeat_of_a_rejected_repeat_of_a_final_case_must_be_rejected(story: Story) -> None:
    first_repeat = story.receive(prior_case_id=story.rechecked()).id
    story.screen(first_repeat, decision=Decision.REJECT, reason="不再受理")
    story.clock.advance(hours=1)
    second = story.receive(
        prior_case_id=first_repeat, received_at=story.clock.now - timedelta(minutes=5)
    ).id
    with pytest.raises(RuleViolation):
        story.screen(second)
