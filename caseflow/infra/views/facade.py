"""`Views`: what the API, the CLI and the worker use — runners, status, rebuild, read-your-writes
and the query functions — over one view store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from caseflow.domain.policy import Policy
from caseflow.infra.views.parallel import Reopen, rebuild_in_processes
from caseflow.infra.views.queries import ViewQueries
from caseflow.infra.views.sqlstore import SqlViewStore
from caseflow.projections.base import ConsumerStatus, Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.queries import AuditQuery, CaseQuery, Page
from caseflow.projections.rebuild import Progress, RebuildResult, rebuild, resumable
from caseflow.projections.runner import OnePass, Runner, Wait, status_of
from caseflow.projections.shares import fold_share, is_split, rebuild_by_case
from caseflow.projections.source import EventSource, LoggedEvent
from caseflow.projections.store import Lock
from caseflow.projections.timetravel import case_as_of


class Views:
    def __init__(
        self,
        store: SqlViewStore,
        queries: ViewQueries,
        source: EventSource,
        projections: list[Projection],
        *,
        policy: Policy,
        clock: Callable[[], datetime],
        waiter: Wait | None = None,
        case_events: Callable[[UUID], list[LoggedEvent]] | None = None,
        batch_size: int = 1000,
        on_close: Callable[[], None] | None = None,
        settings: Any = None,
        reopen: Reopen | None = None,
    ):
        self.store, self.queries, self.source = store, queries, source
        self.projections = {p.name: p for p in projections}
        self.policy, self.clock, self.batch_size = policy, clock, batch_size
        self.waiter = waiter or source.wait
        self._case_events, self._on_close = case_events, on_close
        # For rebuilds in child processes: each builds the graph again with `reopen(settings)`.
        self.settings, self.reopen = settings, reopen
        self._closed = False
        self._runners: dict[str, Runner] = {}
        self._attached: list[Runner] = []  # other consumers to report (the Kafka relay)
        self._rebuilding: dict[str, Progress | None] = {}
        self._guard = threading.Lock()
        self._probes: dict[str, tuple[float, bool]] = {}
        store.setup(projections)

    # ------------------------------------------------------------------ runners

    def runners(self) -> list[Runner]:
        """One runner per projection (created once; `start()` them, or use `start()` here)."""
        with self._guard:
            for name, p in self.projections.items():
                if name not in self._runners:
                    self._runners[name] = Runner(
                        ProjectionConsumer(p, self.store),
                        self.source,
                        lock=self.store.lock(name),
                        wait=self.waiter,
                        batch_size=self.batch_size,
                    )
            return list(self._runners.values())

    def start(self) -> None:
        for runner in self.runners():
            runner.start()

    def stop(self) -> None:
        for runner in list(self._runners.values()):
            runner.stop()

    def close(self) -> None:
        """Stop the runners and close the store (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        self.store.close()
        if self._on_close is not None:
            self._on_close()

    # ------------------------------------------------------------------- status

    def statuses(self) -> list[ConsumerStatus]:
        """Position, head, lag, state and failure of every projection (and shadow rebuilds),
        then of every attached runner."""
        source = OnePass(self.source)  # every projection's lag against one head
        return [self.status(name, source) for name in self.projections] + [
            self.consumer_status(name, source) for name in self.consumers()
        ]

    def consumers(self) -> list[str]:
        """The other consumers to report: those attached here, and the Kafka relay whenever
        one is configured (running in this process, in another, or in none)."""
        names = [r.name for r in self._attached]
        relay = relay_name(self.settings)
        if relay is not None and relay not in names:
            names.append(relay)
        return names

    def consumer_status(self, name: str, source: EventSource | None = None) -> ConsumerStatus:
        """A consumer that is not a projection, from its position row (the running instance
        keeps the error it is retrying there) and, when it runs here, from its runner."""
        source = source or self.source
        record = self.store.consumer_position(name)
        runner = next((r for r in self._attached if r.name == name), None)
        if runner is not None and runner.state != "stopped":
            status = runner.status()
        else:
            state = "running" if self._held_elsewhere(name) else "stopped"
            status = status_of(name, state, record.position, source, error=record.error)
        status.last_error = status.last_error or record.last_error
        if record.last_error_at is not None:
            status.extra["last_error_at"] = record.last_error_at.isoformat()
        return status

    def attach(self, runner: Runner) -> None:
        """Report a runner that is not a projection (the Kafka relay) in `statuses()`; its owner
        starts and stops it. A runner of the same name reported before is replaced."""
        with self._guard:
            self._attached = [r for r in self._attached if r.name != runner.name] + [runner]

    def status(self, name: str, source: EventSource | None = None) -> ConsumerStatus:
        source = source or self.source
        record = self.store.record(name)
        runner = self._runners.get(name)
        if record.failure is not None:
            state = "failed"
        elif runner is not None and runner.state != "stopped":
            state = runner.state
        else:
            state = "running" if self._held_elsewhere(name) else "stopped"
        status = status_of(
            name,
            state,
            record.active.position,
            source,
            error=runner.error if runner is not None else None,
        )
        status.generation = record.active.generation
        if record.failure is not None:
            status.error = record.failure.error
            status.failed_position = record.failure.position
            status.failed_event = record.failure.event
        if record.building is not None:
            b = record.building
            split = self.store.share_plan(name, b.generation)
            # (split by case: where the slowest share stands, and each share)
            position = min(split.positions) if split is not None else b.position
            status.rebuild = {
                "generation": b.generation,
                "position": position,
                "lag_events": max(0, status.head - position),
                "state": "failed"
                if record.building_failure
                else (
                    "running"
                    if name in self._rebuilding or self._held_elsewhere(f"rebuild-{name}")
                    else "interrupted"
                ),
                "error": record.building_failure.error if record.building_failure else None,
            }
            if split is not None:
                status.rebuild["shares"] = {
                    "target": split.target,
                    "positions": list(split.positions),
                }
        if record.schema_version != self.projections[name].schema_version:
            status.extra["rebuild_due"] = True
        return status

    def _held_elsewhere(self, lock: str, ttl: float = 5.0) -> bool:
        """Is another process running this? (A probe costs a connection on PostgreSQL, so
        /health and /metrics reuse an answer for a few seconds.)"""
        now = time.monotonic()
        cached = self._probes.get(lock)
        if cached is None or now - cached[0] > ttl:
            cached = self._probes[lock] = (now, self.store.lock(lock).held_elsewhere())
        return cached[1]

    # ------------------------------------------------------------------ rebuild

    def rebuild(
        self,
        names: list[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        batch_size: int = 5000,
        jobs: int = 1,
        commit_every: int | None = None,
        locks: list[Lock] | None = None,
    ) -> RebuildResult:
        """Rebuild the named projections (all by default); blocking, thread-safe. `jobs` > 1
        runs that many processes: on PostgreSQL each folds its share of the cases of every view
        (`projections.shares`), on SQLite each rebuilds a group of the views (each reads the log
        itself). A run that resumes an interrupted one skips the views that run switched
        (`resumable`). `locks`: their rebuild locks, already held by the caller (released at
        the end)."""
        chosen = [self.projections[n] for n in (names or list(self.projections))]
        for p in chosen:
            self._rebuilding[p.name] = None
        reopen, settings = self.reopen, self.settings
        in_processes = jobs > 1 and settings is not None and reopen is not None
        split = any(is_split(p, self.store) for p in chosen)  # (a split run to resume)
        try:
            if self.store.d.name == "postgres" and (in_processes or split):

                def fold_all(names: list[str], shares: int) -> RebuildResult:
                    assert reopen is not None
                    return rebuild_in_processes(
                        reopen,
                        settings,
                        names,
                        shares,
                        batch_size,
                        progress,
                        stop,
                        commit_every,
                        shares=shares,
                    )

                return rebuild_by_case(
                    chosen,
                    self.store,
                    self.source,
                    jobs,
                    fold_all if in_processes else None,
                    batch_size=batch_size,
                    commit_every=commit_every,
                    progress=progress,
                    stop=stop,
                    locks=locks,
                )
            if locks is None and in_processes and len(chosen) > 1:
                assert reopen is not None
                todo, skipped = resumable(chosen, self.store)  # before splitting it in groups
                result = rebuild_in_processes(
                    reopen,
                    settings,
                    [p.name for p in todo],
                    jobs,
                    batch_size,
                    progress,
                    stop,
                    commit_every,
                )
                result.skipped = skipped
                return result
            return rebuild(
                chosen,
                self.store,
                self.source,
                batch_size=batch_size,
                commit_every=commit_every,
                progress=progress,
                stop=stop,
                locks=locks,
            )
        finally:
            for p in chosen:
                self._rebuilding.pop(p.name, None)

    def fold_share(
        self,
        names: list[str],
        share: int,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        batch_size: int = 5000,
        commit_every: int | None = None,
    ) -> RebuildResult:
        """One share of a rebuild split by case (a worker process of `rebuild`): fold it into
        the named projections' split shadows up to their target."""
        return fold_share(
            [self.projections[n] for n in names],
            self.store,
            self.source,
            share,
            batch_size=batch_size,
            commit_every=commit_every,
            progress=progress,
            stop=stop,
        )

    # -------------------------------------------------------- read-your-writes

    def position(self, name: str) -> int:
        return self.store.record(name).active.position

    def wait_for(
        self,
        position: int,
        timeout: float = 2.0,
        names: tuple[str, ...] | list[str] = ("case_status",),
    ) -> bool:
        """Block until every named view has processed `position` (True) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        pending = list(names or self.projections)
        while True:
            pending = [n for n in pending if self.position(n) < position]
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(0.005, remaining))

    # ------------------------------------------------------------------ queries

    def cases(self, query: CaseQuery, now: datetime | None = None) -> Page:
        return self.queries.cases(query, now or self.clock())

    def case(self, case_id: UUID, now: datetime | None = None) -> dict[str, Any] | None:
        return self.queries.case(case_id, now or self.clock())

    def audit(self, query: AuditQuery) -> Page:
        return self.queries.audit(query)

    def audit_for(self, aggregate_id: UUID, after_position: int = 0, limit: int = 100) -> Page:
        return self.queries.audit(
            AuditQuery(aggregate_id=aggregate_id, after_position=after_position, limit=limit)
        )

    def audit_by_actor(
        self,
        actor_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        after_position: int = 0,
        limit: int = 100,
    ) -> Page:
        return self.queries.audit(
            AuditQuery(
                actor_id=actor_id,
                since=since,
                until=until,
                after_position=after_position,
                limit=limit,
            )
        )

    def case_by_code(self, code_hash: str) -> UUID | None:
        return self.queries.case_by_code(code_hash)

    def org_subtree(self, org_id: UUID) -> list[UUID]:
        return self.queries.org_subtree(org_id)

    def as_of(
        self,
        case_id: UUID,
        at: datetime | None = None,
        version: int | None = None,
        by: str = "recorded",
    ) -> dict[str, Any]:
        """The case as it stood at `at` (a recorded or, `by="business"`, a business time) or
        at `version`, from the log."""
        if self._case_events is None:
            raise LookupError("time travel needs the event store")
        return case_as_of(self._case_events(case_id), self.policy, at=at, version=version, by=by)


def relay_name(settings: Any) -> str | None:
    """The position row of the Kafka relay these settings configure (None: no Kafka)."""
    if settings is None or not getattr(settings, "kafka_bootstrap", None):
        return None
    return f"relay:{settings.kafka_topic}"
