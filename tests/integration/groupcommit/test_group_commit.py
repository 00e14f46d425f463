"""Group commit on SQLite: concurrent inserts share commits, each caller still gets its own
positions or its own conflict, and nothing is lost or duplicated."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from caseflow.infra.groupcommit import GroupCommitRecorder


@pytest.fixture
def recorder(tmp_path):
    datastore = SQLiteDatastore(
        str(tmp_path / "events.sqlite3"), lock_timeout=30, pool_size=10, max_overflow=20
    )
    r = GroupCommitRecorder(datastore)
    r.create_table()
    yield r
    datastore.close()


def _event(aggregate=None, version=1) -> StoredEvent:
    return StoredEvent(
        originator_id=aggregate or uuid4(), originator_version=version, topic="t", state=b"{}"
    )


def test_a_lone_insert_commits_and_returns_its_position(recorder):
    assert recorder.insert_events([_event()]) == [1]
    assert recorder.max_notification_id() == 1


def test_concurrent_inserts_all_land_with_distinct_contiguous_positions(recorder):
    n = 200
    start = threading.Barrier(20)

    def insert(i: int) -> list[int]:
        if i < 20:
            start.wait()
        return list(recorder.insert_events([_event(), _event()]))

    with ThreadPoolExecutor(20) as pool:
        ids = [i for got in pool.map(insert, range(n)) for i in got]
    assert sorted(ids) == list(range(1, 2 * n + 1))
    assert len(recorder.select_notifications(start=1, limit=10_000)) == 2 * n


def test_concurrent_inserts_are_grouped_into_fewer_commits(recorder, monkeypatch):
    commits = []
    original = recorder._commit
    monkeypatch.setattr(
        recorder, "_commit", lambda group: (commits.append(len(group)), original(group))
    )
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: recorder.insert_events([_event()]), range(400)))
    assert sum(commits) == 400 and len(commits) < 400


def test_a_conflicting_insert_fails_alone(recorder):
    taken = uuid4()
    recorder.insert_events([_event(taken, 1)])
    start = threading.Barrier(8)

    def insert(i: int):
        start.wait()
        try:
            return recorder.insert_events([_event(taken if i == 0 else None, 1)])
        except IntegrityError as e:
            return e

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(insert, range(8)))
    assert isinstance(results[0], IntegrityError)
    assert all(isinstance(r, list) for r in results[1:])
    assert recorder.max_notification_id() == 8


def test_a_failed_group_fails_every_caller_in_it(recorder, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(recorder, "_insert_events", broken)
    with pytest.raises(Exception, match="disk on fire"):
        recorder.insert_events([_event()])


def test_reads_on_the_threads_own_connection_match_the_library_and_see_new_writes(recorder):
    aggregate = uuid4()
    recorder.insert_events([_event(aggregate, v) for v in (1, 2, 3)])
    library = super(GroupCommitRecorder, recorder).select_events
    for kwargs in ({}, {"gt": 1}, {"lte": 2}, {"desc": True, "limit": 2}, {"gt": 1, "lte": 2}):
        assert recorder.select_events(aggregate, **kwargs) == library(aggregate, **kwargs)
    # The reading connection holds no snapshot between reads: a later write is seen at once.
    recorder.insert_events([_event(aggregate, 4)])
    assert [e.originator_version for e in recorder.select_events(aggregate, gt=3)] == [4]
    assert recorder.select_events(uuid4()) == []


def test_a_reading_threads_connection_goes_with_the_thread_and_the_rest_with_the_store(recorder):
    import gc

    aggregate = uuid4()
    recorder.insert_events([_event(aggregate)])
    seen = []
    thread = threading.Thread(target=lambda: seen.append(recorder.select_events(aggregate)))
    thread.start()
    thread.join()
    gc.collect()
    assert len(seen[0]) == 1 and len(recorder._readers) == 0
    recorder.select_events(aggregate)  # this thread's connection stays until the store closes
    (reader,) = list(recorder._readers)
    recorder.close_readers()
    with pytest.raises(Exception, match="closed"):
        reader.conn.execute("SELECT 1")
