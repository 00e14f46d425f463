"""Registration (登记): the event that creates a case."""

from __future__ import annotations

from datetime import datetime

import pytest

from caseflow.domain.case import Case
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Category, Channel, Status
from tests.unit.domain.builders import RECEIVED, petitioners, receive


def test_receiving_a_petition_registers_the_case() -> None:
    case = receive()
    assert case.status is Status.REGISTERED
    assert case.version == 1
    assert isinstance(case.pending_events[0], Case.Received)
    assert case.received_at == RECEIVED


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_can_be_registered(channel: Channel) -> None:
    assert receive(channel=channel).pending_events[0].channel is channel


@pytest.mark.parametrize("category", list(Category))
def test_category_may_be_given_at_registration(category: Category) -> None:
    assert receive(category=category).category is category


def test_channel_given_as_text_is_stored_as_its_enum() -> None:
    assert receive(channel="online").pending_events[0].channel is Channel.ONLINE


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(channel="pigeon")
    assert caught.value.rule == "received.channel"


def test_the_registering_clerk_is_recorded_first_responder() -> None:
    assert receive(registered_by="clerk-7").pending_events[0].registered_by == "clerk-7"


def test_petition_without_petitioners_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(petitioners=())
    assert caught.value.rule == "received.petitioners"


def test_headcount_below_the_named_petitioners_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(petitioners=petitioners(3), headcount=2)
    assert caught.value.rule == "received.headcount"


def test_collective_petition_with_five_representatives_is_registered() -> None:
    case = receive(petitioners=petitioners(5), headcount=30, representatives=tuple("ABCDE"))
    assert case.pending_events[0].representatives == tuple("ABCDE")
    assert case.pending_events[0].headcount == 30


def test_collective_petition_with_six_representatives_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        receive(petitioners=petitioners(6), headcount=30, representatives=tuple("ABCDEF"))
    assert caught.value.rule == "received.representatives"
    assert "at most 5 representatives" in str(caught.value)


def test_more_representatives_than_people_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(petitioners=petitioners(2), headcount=2, representatives=("A", "B", "C"))
    assert caught.value.rule == "received.representatives_headcount"


def test_blank_subject_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(subject="   ")
    assert caught.value.rule == "received.subject"


def test_received_at_without_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(received_at=datetime(2026, 3, 1, 10, 0))
    assert caught.value.rule == "time.received_at_naive"


def test_received_at_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        receive(received_at="2026-03-01")
    assert caught.value.rule == "time.received_at_type"


def test_a_repeat_petition_links_its_prior_case() -> None:
    prior = receive()
    assert receive(prior_case_id=prior.id).prior_case_id == prior.id


def test_registration_carries_the_request_metadata() -> None:
    event = receive().pending_events[0]
    assert event.meta.actor_id == "clerk-1"
    assert event.meta.actor_role == "registrar"
    assert event.meta.correlation_id.startswith("req-")
    assert event.meta.causation_id.startswith("cause-")
    assert event.meta.occurred_at == RECEIVED
