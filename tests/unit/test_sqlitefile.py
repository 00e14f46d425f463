"""A new SQLite file opened by several processes at once (workers, the processes of a parallel
rebuild, a consumer group): every opening succeeds and the file ends in WAL mode. Threads stand
in for processes (SQLite's locks see each connection apart); with a bare `PRAGMA
journal_mode=WAL`, about one opening in forty fails here with "database is locked"."""

from __future__ import annotations

from contextlib import closing

from caseflow.infra.kafka.analytics import AnalyticsStore
from caseflow.infra.sqlitefile import sqlite_connect
from tests.together import at_once

FILES = 60


def test_a_new_file_opened_by_several_at_once_opens_for_all_in_wal_mode(tmp_path):
    for i in range(FILES):
        path = tmp_path / f"{i}.sqlite3"
        assert at_once(lambda p=path: sqlite_connect(p).close()) == []
        with closing(sqlite_connect(path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_consumers_sharing_a_new_state_file_all_start(tmp_path):
    for i in range(FILES):
        path = tmp_path / f"analytics-{i}.sqlite3"
        assert at_once(lambda p=path: AnalyticsStore(p).close()) == []
