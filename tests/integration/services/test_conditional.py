"""Conditional commands (If-Match: expected version) are refused with a conflict on mismatch."""

from __future__ import annotations

import pytest

from caseflow.services.errors import Conflict
from tests.integration.services.story import Story


def test_a_command_expecting_the_current_version_is_applied(story: Story) -> None:
    case = story.receive().id
    assert story.screen(case, ctx=story.ctx(expected_version=1)).version == 2


def test_a_command_expecting_a_stale_version_is_a_conflict(story: Story) -> None:
    case = story.accepted()
    head = story.head()
    with pytest.raises(Conflict) as caught:
        story.assign(case, ctx=story.ctx(expected_version=1))
    assert caught.value.current_version == 2
    assert "version 2, not 1" in str(caught.value)
    assert story.head() == head


def test_a_command_expecting_a_future_version_is_a_conflict(story: Story) -> None:
    case = story.receive().id
    with pytest.raises(Conflict):
        story.screen(case, ctx=story.ctx(expected_version=5))
