"""directory: names follow renames, a leader's org and level follow their moves."""

from __future__ import annotations

from datetime import date

from caseflow.projections.directory import Directory
from tests.unit.stats.events import Log
from tests.unit.stats.fake_rows import MemoryRows


def test_renames_and_moves_change_the_directory_rows():
    log, view = Log(), MemoryRows(Directory())
    province = log.org("province", name="Old Province")
    city = log.org("city", parent_id=province)
    county = log.org("county", parent_id=city)
    leader = log.leader(county, name="Wang")
    log.org_renamed(province, "New Province")
    log.leader_renamed(leader, "Wang Jr.", "Deputy Head")
    log.moved(leader, city, "city", date(2026, 3, 1))
    view.run(log.events)
    assert view.row("orgs", province)["name"] == "New Province"
    assert view.row("orgs", province)["path"] == [str(province)]
    row = view.row("leaders", leader)
    assert (row["name"], row["title"], row["org_id"], row["level"]) == (
        "Wang Jr.",
        "Deputy Head",
        city,
        "city",
    )
