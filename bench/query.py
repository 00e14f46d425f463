"""Query latency of the status list at 200,000+ cases (SQLite): p99 of filtered, paged queries
with their total. Goal: p99 <= 20 ms.

    python -m bench query          (a history of 1,100,000 events, ~205,000 cases, generated and
                                    cached once like bench/rebuild.py's; builds views if needed)

Baseline in the same run: the p99 of fetching one case by id (a primary-key lookup).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import _history

QUERIES = 600


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _queries(
    rng: random.Random,
    orgs: list[Any],
    leaders: list[Any],
    units: list[Any],
    parents: dict[Any, Any],
) -> list:
    from caseflow.projections.queries import CaseQuery

    def some_day() -> date:
        return date(2025, 1, 1) + timedelta(days=rng.randrange(560))

    def line(org: Any) -> tuple[Any, ...]:
        out = []
        while org is not None and org not in out:
            out.append(org)
            org = parents.get(org)
        return tuple(out)

    def scoped(org: Any, **filters: Any) -> CaseQuery:
        """As the API asks for an org-scoped caller: its subtree, minus accusations of it."""
        return CaseQuery(within_org=org, not_accusing_orgs=line(org), **filters)

    makers = [
        lambda: scoped(
            rng.choice(orgs), status=rng.choice(("assigned", "registered", "resolved", "closed"))
        ),
        lambda: CaseQuery(leader_id=rng.choice(leaders)),
        lambda: CaseQuery(unit_id=rng.choice(units), overdue=True),
        lambda: scoped(rng.choice(orgs), overdue=True),
        lambda: scoped(u := rng.choice(units), inbox_of=u),
        lambda: scoped(rng.choice(orgs), decision=rng.choice(("forward", "reject"))),
        lambda: scoped(rng.choice(orgs), repeat=True, supervised=rng.choice((True, None))),
        lambda: CaseQuery(received_from=(d := some_day()), received_to=d + timedelta(days=7)),
        lambda: CaseQuery(
            category=rng.choice(("appeal", "suggestion")), org_id=rng.choice(units), status="closed"
        ),
        lambda: CaseQuery(status="assigned", offset=rng.choice((0, 50, 200))),
    ]
    return [rng.choice(makers)() for _ in range(QUERIES)]


def main() -> None:
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.settings import Settings

    # 1,000,000 events (bench rebuild's history) hold ~186,500 cases: a little more for 200,000.
    events = int(os.environ.get("BENCH_QUERY_EVENTS", "1100000"))
    data_dir = _history.ensure(events).resolve()
    container = bootstrap(Settings(data_dir=data_dir))
    try:
        views = container.views
        statuses = views.statuses()
        due = [s.name for s in statuses if s.extra.get("rebuild_due")]
        if any(s.lag_events for s in statuses):
            print("building views first ...", flush=True)
            views.rebuild()
        elif due:  # a view whose tables or indexes changed: measure what a store would have
            print(f"rebuilding {', '.join(due)} (its schema changed) ...", flush=True)
            views.rebuild(due)
        now = datetime(2026, 8, 1, 2, tzinfo=UTC)
        with views.queries.reading() as conn:
            total = conn.execute("SELECT COUNT(*) FROM case_status").fetchone()[0]
            units = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT unit_id FROM case_status WHERE unit_id IS NOT NULL"
                ).fetchall()
            ]
            tree = conn.execute("SELECT org_id, parent_id FROM orgs").fetchall()
            orgs = [r[0] for r in tree]
            leaders = [r[0] for r in conn.execute("SELECT leader_id FROM leaders").fetchall()]
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT case_id FROM case_status ORDER BY random() LIMIT 600"
                ).fetchall()
            ]
        from uuid import UUID

        units, orgs, leaders, ids = ([UUID(x) for x in xs] for xs in (units, orgs, leaders, ids))
        parents = {UUID(o): UUID(p) if p else None for o, p in tree}
        rng = random.Random(11)
        queries = _queries(rng, orgs, leaders, units, parents)
        for q in queries[:50]:  # warm the page cache
            views.cases(q, now)
        times, cpu, sizes = [], [], []
        for q in queries:
            started, used = time.perf_counter(), time.thread_time()
            page = views.cases(q, now)
            times.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - used)
            sizes.append(page.total)
        lookups = []
        for case_id in ids:
            started = time.perf_counter()
            views.case(case_id, now)
            lookups.append(time.perf_counter() - started)
        p99, base = _percentile(times, 99), _percentile(lookups, 99)
        short = "" if total >= 200_000 else " (fewer than the 200,000 asked for)"
        print(
            f"{total:,} cases{short}; {len(queries)} filtered, paged status queries (limit 50, "
            f"with total; median total {statistics.median(sizes):,.0f} rows): p50 "
            f"{statistics.median(times) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms (goal <= 20), "
            f"max {max(times) * 1000:.2f} ms"
        )
        # The CPU time of the querying thread (SQLite runs in it): what the queries cost
        # whatever else the machine runs, which wall-clock time on a busy machine does not show.
        print(
            f"  CPU time of the query thread: p50 {statistics.median(cpu) * 1000:.2f} ms, "
            f"p99 {_percentile(cpu, 99) * 1000:.2f} ms"
        )
        print(
            f"case by id (baseline): p99 {base * 1000:.2f} ms; ratio p99 list / p99 by id "
            f"{p99 / base:.1f}"
        )
        slow = sorted(zip(times, queries, strict=True), key=lambda x: -x[0])[:3]
        for t, q in slow:
            fields = {k: v for k, v in vars(q).items() if v not in (None, 0, 50)}
            print(f"  slowest: {t * 1000:.1f} ms {fields}")
        print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        container.close()


if __name__ == "__main__":
    main()
