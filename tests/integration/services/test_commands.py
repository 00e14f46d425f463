"""Each command appends one event and answers with the case version and its global position."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from caseflow.domain.case import Case
from caseflow.domain.org import Org
from caseflow.domain.values import Decision, Status
from caseflow.services.errors import InvalidInput, NotFound, RuleViolation
from tests.integration.services.story import Story


def test_a_lifecycle_answers_each_command_with_version_and_position(story: Story) -> None:
    case = story.receive()
    results = [
        case,
        story.screen(case.id),
        story.assign(case.id),
        story.visit(case.id),
        story.resolve(case.id),
    ]
    assert [r.version for r in results] == [1, 2, 3, 4, 5]
    positions = [r.position for r in results]
    assert positions == sorted(positions) and len(set(positions)) == 5
    assert positions[-1] == story.head()


def test_the_position_answered_is_where_the_event_sits_in_the_log(story: Story) -> None:
    case = story.receive()
    result = story.screen(case.id)
    [logged] = story.log.read(after=result.position - 1, limit=1)
    assert (logged.aggregate_id, logged.version, logged.name) == (case.id, 2, "case.screened")


def test_a_refused_command_appends_nothing(story: Story) -> None:
    case = story.receive().id
    head = story.head()
    with pytest.raises(RuleViolation) as caught:
        story.resolve(case)
    assert caught.value.rule == "resolved.when"
    assert story.head() == head
    assert story.case(case).version == 1


def test_a_command_on_an_unknown_case_is_not_found(story: Story) -> None:
    with pytest.raises(NotFound):
        story.screen(uuid4())


def test_registering_at_an_unknown_org_is_not_found(story: Story) -> None:
    head = story.head()
    with pytest.raises(NotFound):
        story.receive(receiving_org_id=uuid4())
    assert story.head() == head


def test_assigning_an_unknown_leader_is_not_found(story: Story) -> None:
    case = story.accepted()
    with pytest.raises(NotFound):
        story.app.assign(
            story.ctx(),
            case,
            unit_id=story.county,
            leader_id=uuid4(),
            handler_id=None,
            instructions="",
        )


def test_a_repeat_linking_to_an_unknown_case_is_not_found(story: Story) -> None:
    with pytest.raises(NotFound):
        story.receive(prior_case_id=uuid4())


def test_an_org_id_is_not_a_case(story: Story) -> None:
    with pytest.raises(NotFound):
        story.app.get(Case, story.county)


def test_a_petition_received_in_the_future_is_refused(story: Story) -> None:
    with pytest.raises(RuleViolation) as caught:
        story.receive(received_at=story.clock.now + timedelta(hours=1))
    assert caught.value.rule == "time.future"


def test_a_naive_received_at_is_refused_not_crashed(story: Story) -> None:
    with pytest.raises(InvalidInput):
        story.receive(received_at=story.clock.now.replace(tzinfo=None))


def test_a_business_time_in_the_future_is_refused(story: Story) -> None:
    case = story.receive().id
    with pytest.raises(RuleViolation) as caught:
        story.screen(case, ctx=story.ctx(occurred_at=story.clock.now + timedelta(days=1)))
    assert caught.value.rule == "time.future"


def test_the_case_can_be_read_as_it_stood_at_a_version(story: Story) -> None:
    case = story.resolved()
    assert story.app.get(Case, case, version=2).status is Status.ACCEPTED
    assert story.app.get(Case, case).status is Status.RESOLVED


def test_history_lists_every_event_oldest_first(story: Story) -> None:
    case = story.resolved()
    names = [type(e).__name__ for e in story.app.history(case)]
    assert names == ["Received", "Screened", "Assigned", "Resolved"]


def test_history_of_an_unknown_id_is_not_found(story: Story) -> None:
    with pytest.raises(NotFound):
        story.app.history(uuid4())


def test_an_org_registers_below_its_parent(story: Story) -> None:
    assert story.app.get(Org, story.county).parent_id == story.city


def test_a_review_goes_to_the_superior_of_the_handling_unit(story: Story) -> None:
    case = story.resolved()
    story.app.request_review(story.ctx(), case, reason="不服")
    assert story.case(case).review_org_id == story.city


def test_a_recheck_goes_to_the_superior_of_the_review_body(story: Story) -> None:
    case = story.reviewed()
    story.app.request_recheck(story.ctx(), case, reason="仍不服")
    assert story.app.history(case)[-1].to_org_id == story.province


def test_a_review_request_to_an_unknown_org_is_not_found(story: Story) -> None:
    case = story.resolved()
    with pytest.raises(NotFound):
        story.app.request_review(story.ctx(), case, to_org_id=uuid4(), reason="")


def test_a_forward_to_an_unknown_org_is_not_found(story: Story) -> None:
    case = story.receive().id
    with pytest.raises(NotFound):
        story.screen(case, decision=Decision.FORWARD, to_org_id=uuid4())


def test_every_event_carries_who_why_and_when(story: Story) -> None:
    case = story.receive().id
    ctx = story.ctx("handler", actor="handler-9", occurred_at=story.clock.now - timedelta(hours=1))
    story.screen(case, ctx=ctx)
    for logged in story.log.read(after=0, limit=100):
        meta = logged.meta
        assert meta.actor_id and meta.actor_role and meta.correlation_id and meta.causation_id
        assert meta.occurred_at.tzinfo is not None and logged.recorded_at.tzinfo is not None
    screened = story.app.history(case)[-1].meta
    assert (screened.actor_id, screened.actor_role) == ("handler-9", "handler")
    assert (screened.correlation_id, screened.causation_id) == (
        ctx.correlation_id,
        ctx.causation_id,
    )
    assert screened.occurred_at == ctx.occurred_at


def test_the_registering_actor_is_recorded_as_first_responder(story: Story) -> None:
    case = story.receive(ctx=story.ctx(actor="clerk-42")).id
    assert story.app.history(case)[0].registered_by == "clerk-42"
