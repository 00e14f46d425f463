"""`case_status` rebuilt by Caseflow, against the same view kept by the `eventsourcing` library's
own `ProjectionRunner`, on PostgreSQL, over the same history, in one run.

    BENCH_DATABASE_URL=postgresql://… python -m bench esrunner
        BENCH_EVENTS=100000       size of the history (generated once under ./var/bench/ and
                                  copied once into the database `caseflow_bench_<events>`, as
                                  `python -m bench rebuild` does)
        BENCH_ROUNDS=3            rounds; each runs both sides once, in fresh processes
        BENCH_ESRUNNER_EVENTS=N   the library side stops after its first N case events and its
                                  rate is measured over those (the output says so)

The two sides, over the same events in the same database:
1. Caseflow: `container.views.rebuild(["case_status"], jobs=1)` through `bootstrap` (as
   bench.rebuild): batches of 5,000 events, one transaction each, into a new generation.
2. The library, written the way its projection docs show: a `Projection` whose `process_event`
   (a `singledispatchmethod`, registered for `Case.Event`) calls a command of its materialised
   view; the view, a `PostgresTrackingRecorder` subclass, updates its tables and inserts the
   `Tracking` record in one transaction per event. `ProjectionRunner` builds the application,
   the view and the projection, subscribes (only to the case topics, filtered in the database)
   from the view's `max_tracking_id`, and calls `process_event` in its own thread. Each round
   starts from empty tables; it ends when the view's tracking position reaches the last case
   event (polled every 20 ms).
Both compute rows with Caseflow's own fold: the view runs `CaseStatus.handle` on the one event,
over a `Rows` whose reads are SELECTs and whose writes are upserts on that transaction's cursor,
into the tables (and secondary indexes) that `CaseStatus` declares, named `esrunner_…`. So the
two views must agree: at the end, each has one row per case received in what it processed, and
every case whose last event the library reached has the identical row in both (or the run fails).

Prints, per round and as medians: case events handled per second by each side (the events of
`CaseStatus.interests`; the few org and leader events are not counted for either), and the
ratio Caseflow / library. The server's `synchronous_commit` and `fsync` are printed too: the
library commits once per event, so they weigh on its side most.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from bench import _history
from bench.rebuild import _in_process, _load_postgres, _settings
from caseflow.domain.base import event_name
from caseflow.domain.case import Case
from caseflow.domain.catalog import names_by_topic
from caseflow.domain.policy import DEFAULT_POLICY, Policy
from caseflow.infra.views.dialect import POSTGRES
from caseflow.projections.base import Key, Row, Table
from caseflow.projections.case_status import CaseStatus
from caseflow.projections.source import LoggedEvent

PREFIX = "esrunner_"  # the library side's tables: esrunner_case_status, …, and its tracking
NAME = "esrunner_case_status"  # the projection's name; the library names its tracking table so
TRACKING_TABLE = f"{NAME}_tracking"
# the stored topics of the events `case_status` reads: the subscription's filter
TOPICS = tuple(t for t, n in names_by_topic().items() if n in CaseStatus.interests)


# ------------------------------------------------------------------- the library side


def _physical(table: Table) -> str:
    return PREFIX + table.name


def ddl() -> Iterator[str]:
    """The tables `CaseStatus` declares, with their keys and secondary indexes, in the types
    Caseflow's own PostgreSQL store gives them."""
    for table in CaseStatus.tables:
        name = _physical(table)
        columns = ", ".join(f"{c.name} {POSTGRES.types[c.type]}" for c in table.columns)
        yield f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
        for i, index in enumerate(table.indexes):
            yield f"CREATE INDEX IF NOT EXISTS {name}_{i} ON {name} ({', '.join(index)})"


@cache
def _statements(table: Table) -> tuple[str, str]:
    """(select by key, upsert) for one table."""
    name, columns = _physical(table), table.column_names
    where = " AND ".join(f"{k} = %s" for k in table.key)
    select = f"SELECT {', '.join(columns)} FROM {name} WHERE {where}"
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in table.key)
    upsert = (
        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {updates}"
    )
    return select, upsert


class CursorRows:
    """Caseflow's `Rows` over the cursor of one event's transaction: each read a SELECT (which
    sees this transaction's own writes), each write an upsert. What `CaseStatus` calls."""

    def __init__(self, cursor: Cursor[DictRow]):
        self.cursor = cursor
        self.tables = {t.name: t for t in CaseStatus.tables}

    def preload(self, table: str, keys: Iterable[Key]) -> None:
        """Nothing to gain: one event per transaction reads one row or two."""

    def get(self, table: str, key: Key) -> Row | None:
        self.cursor.execute(_statements(self.tables[table])[0], key, prepare=True)
        found = self.cursor.fetchone()
        return None if found is None else dict(found)

    def put(self, table: str, row: Row) -> None:
        t = self.tables[table]
        values = [row.get(c.name, c.default) for c in t.columns]
        self.cursor.execute(_statements(t)[1], values, prepare=True)

    def add(self, table: str, key: Key, **deltas: int | float) -> None:
        raise NotImplementedError("case_status only gets and puts")

    def insert(self, table: str, row: Row) -> None:
        self.put(table, row)

    def delete(self, table: str, key: Key) -> None:
        raise NotImplementedError("case_status only gets and puts")


class CaseStatusView(PostgresTrackingRecorder):
    """The materialised view: Caseflow's `case_status` tables beside the library's tracking
    table, each event's rows and tracking record committed together."""

    policy: ClassVar[Policy | None] = None  # set on a subclass: the deployment's clock limits

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(SQL(s).format() for s in ddl())
        self.fold = CaseStatus(self.policy or DEFAULT_POLICY)

    def update_case(self, event: LoggedEvent, tracking: Tracking) -> None:
        """The case's rows after `event`, and the tracking record, in one transaction."""
        with self.datastore.transaction(commit=True) as cursor:
            self.fold.handle([event], CursorRows(cursor))
            self._insert_tracking(cursor, tracking)


# Fields of a decoded domain event that are not the event's own data (LoggedEvent keeps them
# apart, as `EventLog.read` does).
_NOT_DATA = frozenset(
    ("originator_id", "originator_version", "timestamp", "meta", "originator_topic")
)


def logged(domain_event: Any, tracking: Tracking) -> LoggedEvent:
    """The domain event the runner delivered, as the fold reads events."""
    state = vars(domain_event)
    return LoggedEvent(
        tracking.notification_id,
        None,
        domain_event.originator_id,
        domain_event.originator_version,
        event_name(type(domain_event)),
        domain_event.timestamp,
        domain_event.meta,
        {k: v for k, v in state.items() if k not in _NOT_DATA},
    )


class CaseStatusProjection(Projection[CaseStatusView]):
    name = NAME
    topics = TOPICS

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events of other aggregates: the topics keep them away; nothing to do."""

    @process_event.register(Case.Event)
    def _case_event(self, domain_event: Case.Event, tracking: Tracking) -> None:
        self.view.update_case(logged(domain_event, tracking), tracking)


def _library(url: str, target: int, out: Any) -> None:
    """Run the library's projection from empty tables until its tracking position reaches
    `target`; then stop it. Puts the seconds taken and the positions reached."""
    from eventsourcing.projection import ProjectionRunner

    from caseflow.infra.store import event_store_env
    from caseflow.services.app import CaseflowApp

    settings = _settings(Path("."), url)
    view_class = type("CaseStatusView", (CaseStatusView,), {"policy": settings.policy()})
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=CaseflowApp,
        projection_class=CaseStatusProjection,
        view_class=view_class,
        env=event_store_env(settings),
    ) as runner:
        reached = 0
        while reached < target:
            runner.run_forever(timeout=0.02)  # re-raises the processing thread's error
            if runner.is_interrupted.is_set():
                raise RuntimeError(f"the runner stopped at position {reached} of {target}")
            reached = runner.view.max_tracking_id(runner.app_name) or 0
        seconds = time.perf_counter() - started
    # (the runner went on until stopped: the view ends a little past `reached`)
    final = runner.view.max_tracking_id(runner.app_name) or 0
    runner.view.datastore.close()
    out.put({"seconds": seconds, "reached": reached, "final": final})


# ------------------------------------------------------------------- Caseflow's side


def _caseflow(data_dir: Path, url: str, out: Any) -> None:
    from caseflow.infra.bootstrap import bootstrap

    container = bootstrap(_settings(data_dir, url))
    started = time.perf_counter()
    result = container.views.rebuild(["case_status"], jobs=1, batch_size=5000)
    seconds = time.perf_counter() - started
    container.close()
    out.put({"seconds": seconds, "failed": {k: str(v) for k, v in result.failed.items()}})


# ------------------------------------------------------------------- the run


class Log:
    """Questions about the copied history, asked of its event table."""

    def __init__(self, pg: Any):
        from caseflow.infra.store import postgres_events_table

        self.pg, self.table = pg, postgres_events_table()

    def _one(self, sql: str, *params: Any) -> Any:
        return self.pg.execute(sql.format(table=self.table), params).fetchone()[0]

    def head(self) -> int:
        return self._one("SELECT coalesce(max(notification_id), 0) FROM {table}")

    def case_events(self, upto: int) -> int:
        return self._one(
            "SELECT count(*) FROM {table} WHERE topic = ANY(%s) AND notification_id <= %s",
            list(TOPICS),
            upto,
        )

    def cases(self, upto: int) -> int:
        received = get_topic(Case.Received)
        return self._one(
            "SELECT count(*) FROM {table} WHERE topic = %s AND notification_id <= %s",
            received,
            upto,
        )

    def position_of_case_event(self, n: int) -> int:
        """The position of the n-th case event (the last one if there are fewer)."""
        return self._one(
            "SELECT max(notification_id) FROM (SELECT notification_id FROM {table} "
            "WHERE topic = ANY(%s) ORDER BY notification_id LIMIT %s) AS first_n",
            list(TOPICS),
            n,
        )


def _drop_library_tables(pg: Any) -> None:
    names = [_physical(t) for t in CaseStatus.tables] + [TRACKING_TABLE]
    pg.execute(f"DROP TABLE IF EXISTS {', '.join(names)}")


def _check_rows(pg: Any, log: Log, final: int) -> tuple[int, int, int]:
    """(Caseflow's rows, the library's rows, rows compared) after checking that each side has
    one row per case received in what it processed, and that every case whose last event is
    at or before `final` (where the library stopped) has the same row in both views."""
    caseflow_rows = pg.execute("SELECT count(*) FROM case_status").fetchone()[0]
    library_rows = pg.execute(f"SELECT count(*) FROM {PREFIX}case_status").fetchone()[0]
    if caseflow_rows != log.cases(2**62) or library_rows != log.cases(final):
        raise SystemExit(
            f"row counts disagree: Caseflow {caseflow_rows:,} (cases {log.cases(2**62):,}), "
            f"library {library_rows:,} (cases up to position {final}: {log.cases(final):,})"
        )
    columns = CaseStatus.tables[0].column_names
    differ = " OR ".join(f"c.{c} IS DISTINCT FROM l.{c}" for c in columns)
    compared, different = pg.execute(
        f"SELECT count(*), count(*) FILTER (WHERE l.case_id IS NULL OR {differ}) "
        f"FROM case_status c LEFT JOIN {PREFIX}case_status l USING (case_id) "
        "WHERE c.position <= %s",
        (final,),
    ).fetchone()
    if different:
        raise SystemExit(f"{different:,} of {compared:,} finished cases differ between the views")
    return caseflow_rows, library_rows, compared


def main() -> None:
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print('skipped: set BENCH_DATABASE_URL=postgresql://… (eval "$(scripts/services.sh env)")')
        return
    if not (os.environ.get("CASEFLOW_MASTER_KEY_FILE") or os.environ.get("CASEFLOW_MASTER_KEY")):
        # `bootstrap` on PostgreSQL wants a master key for sealing personal data; neither side
        # reads any (the history's are synthetic): a development key under the history will do.
        # (Spawned children inherit the environment.)
        os.environ.setdefault("CASEFLOW_DEV", "1")
    events = int(os.environ.get("BENCH_EVENTS", "100000"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    cap = int(os.environ.get("BENCH_ESRUNNER_EVENTS", "0")) or None
    data_dir = _history.ensure(events).resolve()
    target_url = _load_postgres(data_dir, url, events)
    with psycopg.connect(target_url, autocommit=True) as pg:
        log = Log(pg)
        total = log.case_events(2**62)
        target = log.position_of_case_event(cap or total)
        settings = [pg.execute(f"SHOW {s}").fetchone()[0] for s in ("synchronous_commit", "fsync")]
        print(
            f"history: {data_dir} (a log of {log.head():,} events, {total:,} of them case "
            "events); "
            f"PostgreSQL synchronous_commit={settings[0]}, fsync={settings[1]}",
            flush=True,
        )
        processed = log.case_events(target)
        if cap:
            print(f"library side capped: its first {processed:,} case events only", flush=True)
        rates: dict[str, list[float]] = {"caseflow": [], "library": []}
        final = 0
        for r in range(rounds):
            c = _in_process(_caseflow, data_dir / "pg", target_url)
            if c["failed"]:
                raise SystemExit(f"Caseflow's rebuild failed: {c['failed']}")
            rates["caseflow"].append(total / c["seconds"])
            _drop_library_tables(pg)
            lib = _in_process(_library, target_url, target)
            rates["library"].append(log.case_events(lib["reached"]) / lib["seconds"])
            final = lib["final"]
            print(
                f"  round {r + 1}: Caseflow {rates['caseflow'][-1]:,.0f} events/s, "
                f"library {rates['library'][-1]:,.0f} events/s, "
                f"ratio {rates['caseflow'][-1] / rates['library'][-1]:.1f}x",
                flush=True,
            )
        caseflow_rows, library_rows, compared = _check_rows(pg, log, final)
    ours, theirs = statistics.median(rates["caseflow"]), statistics.median(rates["library"])
    over = f"its first {processed:,} case events" if cap else f"all {total:,} case events"
    print(
        f"\ncase_status rebuilt on PostgreSQL, medians of {rounds}:\n"
        f"  Caseflow (views.rebuild, jobs=1): {ours:,.0f} events/s over all {total:,} case events\n"
        f"  eventsourcing ProjectionRunner:   {theirs:,.0f} events/s over {over}\n"
        f"  ratio Caseflow / library: {ours / theirs:.1f}x\n"
        f"rows: Caseflow {caseflow_rows:,}, library {library_rows:,} (one per case received in "
        f"what each processed); {compared:,} finished cases compared, all identical"
    )
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
