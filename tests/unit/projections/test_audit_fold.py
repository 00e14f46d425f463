"""audit: one row per event with who, when, why and a readable summary (hand-checked)."""

from __future__ import annotations

from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.projections.audit import Audit
from caseflow.projections.memory import MemoryRows
from tests.unit.projections.world import T0, World, day


def fold(world: World) -> list[dict]:
    projection = Audit(DEFAULT_POLICY)
    rows = MemoryRows(projection.tables)
    projection.handle(world.events(), rows)
    return [rows.data["audit"][k] for k in sorted(rows.data["audit"])]


def test_every_event_of_every_aggregate_gets_one_row_in_log_order():
    world = World()
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    rows = fold(world)
    assert [r["position"] for r in rows] == list(range(1, len(world.events()) + 1))
    assert [r["event"] for r in rows] == ["org.registered"] * 4 + ["leader.registered"] * 2 + [
        "case.received",
        "case.screened",
    ]
    assert {r["aggregate_type"] for r in rows} == {"org", "leader", "case"}


def test_row_records_actor_role_correlation_and_both_times():
    world = World()
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    screened = fold(world)[-1]
    assert screened["aggregate_id"] == case and screened["version"] == 2
    assert (screened["actor_id"], screened["actor_role"]) == ("handler-1", "handler")
    assert screened["correlation_id"] == "req-handler-1"
    assert screened["occurred_at"] == day(3, 5)  # business time
    assert screened["recorded_at"] is not None  # when the store recorded it


def test_received_row_keeps_the_full_payload_with_personal_data():
    world = World()
    world.receive(T0)
    received = fold(world)[-1]
    assert received["occurred_at"] == T0  # received_at is the business time of registration
    assert received["payload"]["petitioners"][0].name == "Test Person (synthetic)"
    assert received["payload"]["request"] == "Pay the wages"


def test_summaries_read_like_a_register():
    world = World()
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.extend(case, day(4, 1), 15)
    world.resolve(case, day(4, 20))
    world.evaluate(case, day(4, 21))
    world.close(case, day(4, 22), waived=True)
    summaries = [r["summary"] for r in fold(world)]
    assert summaries[0] == "Org registered: Province (province)"
    assert summaries[4] == "Leader registered: Leader One, Deputy Mayor (county)"
    assert summaries[6].startswith("Received by letter (1 person(s), org ")
    assert summaries[7] == "Screened: accept (appeal)"
    assert summaries[8].endswith(", handler handler-7")
    assert summaries[9] == "Extended by 15 day(s), approved by director-1"
    assert summaries[10] == "Resolved: supported, reply served 2026-04-20"
    assert summaries[11] == "Evaluated (resolution): satisfied"
    assert summaries[12] == "Closed (petitioner waived)"


def test_summaries_never_quote_free_text():
    world = World()
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.resolve(case, day(4, 20))
    world.close(case, day(4, 22), waived=True)
    rows = fold(world)
    typed = ("Wage arrears", "concluded")
    for row in rows:
        for text in typed:
            assert text not in row["summary"], row["summary"]


def test_a_leaders_term_and_renames_read_like_a_register():
    world = World()
    ctx = world.ctx("operator-1", "operator")
    world.clock.now = day(5, 20)
    app = world.app
    app.rename_leader(ctx, world.leader, name="Leader Uno", title="Mayor")
    app.move_leader(ctx, world.leader, to_org_id=world.other_city, on=day(5, 15).date())
    app.leave_office(ctx, world.leader, on=day(5, 20).date())
    app.rename_org(ctx, world.county, name="New County")
    assert [r["summary"] for r in fold(world)][-4:] == [
        "Leader renamed: Leader Uno, Mayor",
        f"Leader moved to org {str(world.other_city)[:8]} (city) on 2026-05-15",
        "Leader left office on 2026-05-20",
        "Org renamed: New County",
    ]
