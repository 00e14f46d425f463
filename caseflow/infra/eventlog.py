"""Reads the eventsourcing notification log as `LoggedEvent`s, decoding state without building
domain objects (the hot path of replay and relay)."""

from __future__ import annotations

import threading
import time
from uuid import UUID, uuid5

from eventsourcing.persistence import ApplicationRecorder, Transcoder

from caseflow.domain.catalog import names_by_topic
from caseflow.projections.source import LoggedEvent

EVENT_ID_NAMESPACE = UUID("6f1c3c1e-9c7b-4b51-9b43-2d6a4a0c7e11")


def event_id(aggregate_id: UUID, version: int) -> UUID:
    return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")


class EventLog:
    """`EventSource` over an application recorder (SQLite or PostgreSQL)."""

    def __init__(self, recorder: ApplicationRecorder, transcoder: Transcoder,
                 poll_interval: float = 0.05):
        self.recorder, self.transcoder, self.poll_interval = recorder, transcoder, poll_interval
        self._names = names_by_topic()
        self._appended = threading.Condition()

    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        """Events with position > `after`, in order, at most `limit`."""
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        decode, names = self.transcoder.decode, self._names
        out = []
        for n in notifications:
            data = decode(n.state)
            recorded_at = data.pop("timestamp")
            meta = data.pop("meta")
            data.pop("originator_topic", None)
            out.append(LoggedEvent(
                position=n.id,
                id=event_id(n.originator_id, n.originator_version),
                aggregate_id=n.originator_id,
                version=n.originator_version,
                name=names.get(n.topic, n.topic),
                recorded_at=recorded_at,
                meta=meta,
                data=data,
            ))
        return out

    def head(self) -> int:
        """Position of the newest event (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def notify(self) -> None:
        """Wake in-process waiters after this process appended (saves a poll interval)."""
        with self._appended:
            self._appended.notify_all()

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the log has an event past `after` or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            if self.head() > after:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._appended:
                self._appended.wait(min(self.poll_interval, remaining))
