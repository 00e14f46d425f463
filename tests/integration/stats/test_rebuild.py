"""The statistics views are exact under rebuild, resumed rebuild and later corrections."""

from __future__ import annotations

import threading

from caseflow.domain.values import Channel, Petitioner
from caseflow.infra.views import kpis_sql
from caseflow.projections.rebuild import rebuild

from .scenario import CTX, local

TABLES = (
    "leader_stats",
    "leader_stats_leaders",
    "leader_stats_orgs",
    "leader_stats_cases",
    "leader_stats_days",
    "leader_stats_terms",
    "leader_stats_postings",
    "kpis",
    "kpis_orgs",
    "kpis_cases",
    "kpis_unscreened",
    "kpis_repeats",
)


def snapshot(views) -> dict[str, list[tuple]]:
    """Every row of every statistics table in the active generations."""
    out = {}
    for p in views.projections:
        generation = views.store.record(p.name).active.generation
        for t in p.tables:
            out[t.name] = views.table(t.name, generation)
    return out


def test_a_rebuild_gives_the_rows_of_live_processing(projected):
    live = snapshot(projected)
    result = rebuild(projected.projections, projected.store, projected.container.log, batch_size=7)
    assert sorted(result.switched) == ["kpis", "leader_stats"]
    assert snapshot(projected) == live
    assert set(live) == set(TABLES)


def test_a_rebuild_commits_a_view_whenever_it_holds_max_rows_and_gives_the_same_rows(projected):
    live = snapshot(projected)
    committed: list[int] = []  # the shadow's committed position after each read

    def watch(state) -> None:
        committed.append(projected.store.record("leader_stats").building.position)

    result = rebuild(
        projected.projections,
        projected.store,
        projected.container.log,
        batch_size=5,
        commit_every=10**6,
        max_rows=4,
        progress=watch,
    )
    assert sorted(result.switched) == ["kpis", "leader_stats"]
    assert snapshot(projected) == live
    # far below the event limit, the row bound made it commit several times along the way
    assert len({p for p in committed if p > 0}) >= 3


def test_a_rebuild_killed_midway_resumes_to_the_same_rows(projected):
    live = snapshot(projected)
    stop = threading.Event()  # set after the first batch: the rebuild stops before the second
    first = rebuild(
        projected.projections,
        projected.store,
        projected.container.log,
        batch_size=5,
        progress=lambda state: stop.set(),
        stop=stop,
    )
    assert first.interrupted and first.switched == []
    second = rebuild(projected.projections, projected.store, projected.container.log, batch_size=5)
    assert sorted(second.switched) == ["kpis", "leader_stats"]
    assert snapshot(projected) == live


def test_a_later_repeat_petition_takes_back_a_first_time_resolution_live(projected, ids, clock):
    before = kpis_sql.org_kpis(projected.reader, ids.orgs["K"], "2026-02")["own"]["counts"]
    assert before["first_time"] == 1  # A, resolved 02-20
    clock.now = local(2026, 7, 20)
    projected.container.app.receive(
        CTX,
        channel=Channel.LETTER,
        received_at=clock.now,
        receiving_org_id=ids.orgs["K"],
        petitioners=(Petitioner(name="Petitioner A again (synthetic)"),),
        headcount=1,
        representatives=(),
        subject="Wage arrears A again",
        request="Pay",
        region="Test County",
        prior_case_id=ids.cases["A"],
    )
    projected.catch_up()
    after = kpis_sql.org_kpis(projected.reader, ids.orgs["K"], "2026-02")["own"]["counts"]
    assert (after["resolved"], after["first_time"]) == (1, 0)
