"""Reads the eventsourcing notification log as `LoggedEvent`s, decoding state without building
domain objects (the hot path of replay and relay)."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Transcoder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from caseflow.domain.catalog import names_by_topic, upcast, versioned_by_topic
from caseflow.infra.integrity.chain import TABLE_SUFFIX
from caseflow.infra.transcoder import fast_uuid
from caseflow.projections.source import (
    EVENT_ID_NAMESPACE,
    LoggedEvent,
    collector_paused,
    event_id,
)

__all__ = ["EVENT_ID_NAMESPACE", "EventLog", "event_id"]


class EventLog:
    """`EventSource` over an application recorder (SQLite or PostgreSQL)."""

    def __init__(self, recorder: ApplicationRecorder, transcoder: Transcoder,
                 poll_interval: float = 0.05):
        self.recorder, self.transcoder, self.poll_interval = recorder, transcoder, poll_interval
        self._names = names_by_topic()
        self._versioned = versioned_by_topic()
        self._appended = threading.Condition()
        self._select = _select(recorder)

    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        """Events with position > `after`, in order, at most `limit`."""
        decode, names, versioned, out = self.transcoder.decode, self._names, self._versioned, []
        append = out.append
        with collector_paused():
            for position, originator_id, version, topic, state, link in self._records(after,
                                                                                      limit):
                data = decode(state)
                if topic in versioned:
                    upcast(versioned[topic], data)
                recorded_at = data.pop("timestamp")
                meta = data.pop("meta")
                data.pop("originator_topic", None)
                append(LoggedEvent(position, None, originator_id, version,
                                   names.get(topic, topic), recorded_at, meta, data,
                                   None if link is None else bytes(link)))
        return out

    def _records(self, after: int, limit: int) -> list[tuple[int, UUID, int, str, bytes, Any]]:
        """(position, aggregate id, version, topic, state, chain hash) of the next `limit`
        events."""
        if isinstance(self.recorder, SQLiteApplicationRecorder):
            with self.recorder.datastore.transaction(commit=False) as c:
                cursor = c.sqlite_cursor
                cursor.row_factory = None  # plain tuples, not sqlite3.Row
                cursor.execute(self._select, (after, limit))
                return [(r[0], fast_uuid(r[1]), r[2], r[3], r[4], r[5])
                        for r in cursor.fetchall()]
        if self._select is None:  # in memory (tests): no chain
            return [(n.id, n.originator_id, n.originator_version, n.topic, n.state, None)
                    for n in self.recorder.select_notifications(start=after, limit=limit,
                                                                inclusive_of_start=False)]
        from psycopg.rows import tuple_row

        with self.recorder.datastore.get_connection() as conn, \
                conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(self._select, (after, limit), prepare=True)
            return [(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in cur.fetchall()]

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


def _select(recorder: Any) -> str | None:
    """The events after a position with their chain links, as plain tuples: the library's own
    `select_notifications` builds a `Notification` object and (on SQLite) parses a UUID per row,
    which costs as much as decoding the event, and knows no chain."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        table, pos, p = recorder.events_table_name, "rowid", "?"
    elif not hasattr(recorder, "datastore"):
        return None
    else:
        table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
        pos, p = "notification_id", "%s"
    return (f"SELECT e.{pos}, e.originator_id, e.originator_version, e.topic, e.state, "
            f"c.chainhash FROM {table} e LEFT JOIN {table}{TABLE_SUFFIX} c "
            f"ON c.position = e.{pos} WHERE e.{pos} > {p} ORDER BY e.{pos} LIMIT {p}")
