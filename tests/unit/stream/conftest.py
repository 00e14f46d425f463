from __future__ import annotations

import pytest

from caseflow.infra.eventlog import EventLog
from caseflow.infra.transcoder import TOPIC
from caseflow.projections.source import LoggedEvent
from caseflow.services.app import CaseflowApp
from tests.unit.stream.scenario import drive


@pytest.fixture(scope="module")
def memory_log() -> EventLog:
    """An in-memory event log holding every kind of event (eventsourcing's POPO recorder)."""
    app = CaseflowApp({"TRANSCODER_TOPIC": TOPIC})
    drive(app, 8)
    return EventLog(app.recorder, app.mapper.transcoder)


@pytest.fixture(scope="module")
def events(memory_log: EventLog) -> list[LoggedEvent]:
    return memory_log.read(0, 10_000)
