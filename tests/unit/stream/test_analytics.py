"""The example consumer's fold: de-duplication on ce_id and the counts it keeps."""

from __future__ import annotations

from collections import Counter

import pytest

from caseflow.domain.base import ce_type
from caseflow.infra.kafka.analytics import AnalyticsStore, Message
from caseflow.infra.kafka.envelope import Received, from_record, to_record


def message(event, offset: int = 0) -> Message:
    record = to_record(event, "/caseflow")
    return Message(0, offset, from_record(record.headers, record.value))


@pytest.fixture
def store():
    s = AnalyticsStore(":memory:", timezone="Asia/Shanghai", consumer="test")
    yield s
    s.close()


def test_counts_every_event_once_and_skips_redelivered_ones(store, events):
    assert store.apply([message(e) for e in events]) == len(events)
    assert store.apply([message(e) for e in events[:10]]) == 0
    summary = store.summary()
    assert summary["events"] == len(events)
    assert summary["duplicates_skipped"] == 10
    assert summary["by_type"] == dict(Counter(ce_type(e.name) for e in events))


def test_counts_cases_by_day_category_and_region(store, events):
    store.apply([message(e) for e in events])
    received = [e for e in events if e.name == "case.received"]
    rows = store.summary()["cases_by_day"]
    assert sum(r["cases"] for r in rows) == len(received)
    assert {r["region"] for r in rows} == {e.data["region"] for e in received}
    # Category given at registration or, failing that, decided at screening.
    categorised = {
        e.aggregate_id
        for e in events
        if e.name in ("case.received", "case.screened") and e.data.get("category")
    }
    uncategorised = sum(r["cases"] for r in rows if r["category"] == "uncategorised")
    assert uncategorised == len({e.aggregate_id for e in received} - categorised) > 0


def test_counts_leader_receptions_in_batches_and_person_times(store, events):
    store.apply([message(e) for e in events])
    visits = [e for e in events if e.name == "case.visited"]
    leaders = store.summary()["leader_receptions"]
    assert sum(x["batches"] for x in leaders) == len(visits)
    assert sum(x["person_times"] for x in leaders) == sum(e.data["visitors"] for e in visits)
    assert all(x["name"].startswith("Leader ") for x in leaders)


def test_received_day_is_the_calendar_day_in_the_deployment_time_zone(store):
    late_evening_utc = Received(
        {"id": "e1", "type": "caseflow.case.received.v1", "sequence": "1", "subject": "c1"},
        {
            "aggregate_id": "c1",
            "received_at": "2026-03-01T17:30:00+00:00",
            "region": "R",
            "category": "appeal",
            "channel": "visit",
        },
    )
    store.apply([Message(0, 0, late_evening_utc)])
    assert store.summary()["cases_by_day"][0]["day"] == "2026-03-02"  # 01:30 in Shanghai


def test_undecodable_records_are_counted_and_skipped(store, events):
    store.apply([Message(0, 0, None), message(events[0], 1)])
    summary = store.summary()
    assert (summary["events"], summary["invalid_skipped"]) == (1, 1)


def test_a_leaders_rename_and_move_reach_the_consumer(store, events):
    store.apply([message(e, i) for i, e in enumerate(events)])
    moved = next(e for e in events if e.name == "leader.moved")
    row = store._db.execute(
        "SELECT name, org_id FROM leaders WHERE leader_id = ?", (str(moved.aggregate_id),)
    ).fetchone()
    assert row == ("Leader Zhao Jr.", str(moved.data["to_org_id"]))


def test_the_state_keeps_the_next_offset_of_each_partition_even_past_undecodable_records(
    store, events
):
    store.apply([message(events[0], 4), Message(0, 5, None), Message(2, 9, None)])
    store.apply([message(events[1], 3)])  # a replay of an earlier offset moves nothing back
    assert store.next_offsets() == {0: 6, 2: 10}


def test_a_state_file_behind_the_group_s_committed_offsets_is_refused():
    from caseflow.infra.kafka.analytics import StateMismatch, check_state

    with pytest.raises(StateMismatch, match="partition 1: state at offset 0, group committed 7"):
        check_state({}, {0: None, 1: 7})  # the state file was lost
    with pytest.raises(StateMismatch, match="partition 0"):
        check_state({0: 3}, {0: 5})  # restored from an older copy


def test_a_state_file_ahead_of_or_level_with_the_group_is_accepted():
    from caseflow.infra.kafka.analytics import check_state

    check_state({0: 6, 1: 2}, {0: 6, 1: None})  # level; partition 1 never committed
    check_state({0: 6}, {0: 4})  # a crash between the two commits: replayed, deduplicated
    check_state({0: 6}, {})  # a new group reading a kept state: deduplicated
