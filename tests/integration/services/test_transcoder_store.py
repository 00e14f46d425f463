"""Contract: what goes into the event store comes back exactly, on SQLite and on PostgreSQL —
aware datetimes with their zones, dates, UUIDs, Decimals, enums, tuples, nested value objects and
the aggregate's own timestamps. Read back through a second application, so nothing comes from a
cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import Aggregate, event

from caseflow.domain.case import Case
from caseflow.domain.values import Category, Meta, Petitioner, Rating, Stage
from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.privacy.wiring import open_payload
from tests.exact import assert_exact
from tests.integration.services.story import Story

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Specimen(Aggregate):
    """A test-only aggregate whose events carry every kind of value the store must keep."""

    @event("Recorded")
    def __init__(
        self,
        at: datetime,
        on: date,
        ref: UUID,
        amount: Decimal,
        category: Category,
        pair: tuple,
        people: tuple[Petitioner, ...],
        meta: Meta,
    ) -> None:
        self.at, self.on, self.ref, self.amount = at, on, ref, amount
        self.category, self.pair, self.people, self.meta = category, pair, people, meta

    @event("Revised")
    def revise(self, stages: tuple[Stage, ...], nested: dict, offset_at: datetime) -> None:
        self.stages, self.nested, self.offset_at = stages, nested, offset_at


@pytest.fixture
def reader(container: Container, clock) -> Iterator[Container]:
    """A second application on the same store: reads come from the database, not a cache."""
    other = bootstrap(container.settings, clock=clock)
    try:
        yield other
    finally:
        other.close()


def specimen() -> Specimen:
    people = (
        Petitioner("测试-张三", "000000TEST0001", "100-0000-0001", "测试路1号"),
        Petitioner("测试-李四"),
    )
    meta = Meta(
        "clerk-1",
        "registrar",
        "req-1",
        None,
        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI),
        "k-1",
        "h-1",
    )
    item = Specimen(
        at=datetime(2026, 3, 1, 16, 30, 0, 5, tzinfo=UTC),
        on=date(2026, 2, 28),
        ref=uuid4(),
        amount=Decimal("1234.50"),
        category=Category.ACCUSATION,
        pair=(1, ("a", (date(2026, 1, 1),)), [2, 3]),
        people=people,
        meta=meta,
    )
    item.revise(
        stages=(Stage.RESOLUTION, Stage.REVIEW),
        nested={"rating": Rating.SATISFIED, "when": [date(2026, 3, 2)], "$dt": "text"},
        offset_at=datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=-3))),
    )
    return item


def test_every_value_type_round_trips_through_the_store(
    container: Container, reader: Container
) -> None:
    original = specimen()
    events = list(original.pending_events)
    container.app.save(original)
    stored = list(reader.app.events.get(original.id))
    assert len(stored) == 2
    for before, after in zip(events, stored, strict=True):
        assert type(after) is type(before)
        assert_exact(vars(after), vars(before))


def test_the_aggregate_and_its_own_timestamps_round_trip(
    container: Container, reader: Container
) -> None:
    original = specimen()
    container.app.save(original)
    restored = reader.app.repository.get(original.id)
    assert restored is not original
    assert_exact(restored.created_on, original.created_on)
    assert_exact(restored.modified_on, original.modified_on)
    assert restored.created_on.tzinfo is not None
    state = {k: v for k, v in vars(original).items() if k != "_pending_events"}
    assert_exact({k: v for k, v in vars(restored).items() if k != "_pending_events"}, state)


def test_a_case_reads_back_exactly_as_it_was_written(story: Story, reader: Container) -> None:
    case_id = story.resolved()
    live = story.case(case_id)
    restored = reader.app.get(Case, case_id)
    assert_exact(
        {k: v for k, v in vars(restored).items() if k != "_pending_events"},
        {k: v for k, v in vars(live).items() if k != "_pending_events"},
    )


def test_the_event_log_decodes_the_same_values(container: Container, story: Story) -> None:
    case_id = story.receive(
        petitioners=(Petitioner("测试-王五", "000000TEST0002"),),
        headcount=6,
        representatives=("测试-王五",),
    ).id
    [received] = [e for e in container.log.read(0, 100) if e.aggregate_id == case_id]
    first = story.app.history(case_id)[0]
    assert "petitioners" not in received.data  # sealed in the log (docs/privacy.md) ...
    opened = open_payload(container.sealer, case_id, 1, received.name, received.data)
    assert_exact(opened["petitioners"], first.petitioners)  # ... and exact once opened
    assert_exact(received.data["received_at"], first.received_at)
    assert_exact(received.meta, first.meta)
    assert_exact(received.recorded_at, first.timestamp)
