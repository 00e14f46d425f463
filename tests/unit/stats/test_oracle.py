"""For random lawful histories, the incremental projections, fed in random batches, agree with
the statistics computed naively from the whole history (`oracle.py`)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.projections import kpis, leader_stats
from tests.unit.projections.histories import apply, histories
from tests.unit.projections.world import World

from . import oracle
from .fake_rows import MemoryRows


def fed_in_batches(projection, events, sizes: list[int]) -> MemoryRows:
    rows, i, n = MemoryRows(projection), 0, 0
    while i < len(events):
        size = sizes[n % len(sizes)]
        rows.run(events[i : i + size])
        i, n = i + size, n + 1
    return rows


def nonzero(table: dict, columns: tuple[str, ...], owner: str) -> dict:
    """{(owner, period): {column: n}} without zero counts and all-zero rows (which the
    incremental view keeps after, say, a re-assignment took a case away)."""
    out = {}
    for row in table.values():
        counts = {c: row[c] for c in columns if row[c]}
        if counts:
            out[row[owner], row["period"]] = counts
    return out


def expected(counts: oracle.Counts) -> dict:
    return {k: {c: n for c, n in v.items() if n} for k, v in counts.items() if any(v.values())}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6))
def test_incremental_views_equal_the_naive_computation(history, sizes):
    world = World()
    apply(world, history)
    events = world.log.read(0, 100_000)
    stats = fed_in_batches(leader_stats.LeaderStats(DEFAULT_POLICY), events, sizes)
    assert nonzero(stats.data["leader_stats"], leader_stats.COLUMNS, "leader_id") == expected(
        oracle.leader_stats(events, DEFAULT_POLICY)
    )
    office = fed_in_batches(kpis.Kpis(DEFAULT_POLICY), events, sizes)
    assert nonzero(office.data["kpis"], kpis.COLUMNS, "org_id") == expected(
        oracle.kpis(events, DEFAULT_POLICY)
    )
