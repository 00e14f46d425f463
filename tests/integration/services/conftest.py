"""The abstract service suite: every test here takes `container` (tests/backends.py), which is
parametrised over SQLite and PostgreSQL, so one suite runs against both backends."""

from __future__ import annotations

import pytest

from caseflow.infra.bootstrap import Container
from tests.backends import FrozenClock
from tests.integration.services.story import Story

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def story(container: Container, clock: FrozenClock) -> Story:
    """An org tree (province → city → county) with a leader, on a fresh store."""
    return Story(container, clock)
