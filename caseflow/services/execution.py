"""How a command runs: load, one domain call, save; idempotent replays answered from the log;
conditional commands checked against the version; concurrent writes retried (bounded) or refused;
library errors turned into ours, once. `CaseflowApp` (app.py) adds one method per command."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError
from eventsourcing.utils import Environment

from caseflow.domain.base import Entity
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.guards import aware
from caseflow.domain.org import Org
from caseflow.domain.policy import DEFAULT_POLICY, Policy
from caseflow.domain.values import Meta
from caseflow.services.claims import KWARG, Claim, KeyClaimed
from caseflow.services.errors import Conflict, IdempotencyKeyReused, NotFound

A = TypeVar("A", bound=Entity)
KEY_NAMESPACE = uuid5(NAMESPACE_URL, "caseflow:idempotency")
MAX_ATTEMPTS = 8  # unconditional commands retry this often on a concurrent write, then Conflict
RETRY_PAUSE = 0.002  # seconds; the jitter window doubles with each attempt ...
MAX_RETRY_PAUSE = 0.2  # ... up to this
LOCK_STRIPES = 64
FUTURE_SKEW = timedelta(minutes=5)
# Aggregates whose level and parent never change after registration (an org's rename changes
# only its name, which no command reads from here). Leaders move and leave office: not kept.
IMMUTABLE = (Org,)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    org_id: UUID | None = None


@dataclass(frozen=True)
class Context:
    """Who issues a command and how: request ids, idempotency, expected version, business time."""

    actor: Actor
    correlation_id: str = ""
    causation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    expected_version: int | None = None
    occurred_at: datetime | None = None
    # Called with the aggregate as loaded for an update, before anything else: the adapter's
    # authorization (e.g. org scope) against exactly the state being changed.
    authorize: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class CommandResult:
    id: UUID
    version: int
    position: int
    replayed: bool = False


PositionOf = Callable[[UUID, int], int]


class CommandExecution(Application[UUID]):
    """An eventsourcing Application that runs our commands (see the module docstring)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        policy: Policy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = utc_now,
        position_of: PositionOf | None = None,
    ):
        self.policy, self.clock, self.position_of = policy, clock, position_of
        # Commands on one aggregate take turns within this process, so threads of one API
        # process never race each other; between processes the store's version check decides.
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        # Orgs keep their level and place in the tree, so once read they are kept: most commands
        # check that their org exists and walk up the tree.
        self._registered: dict[UUID, Org] = {}
        super().__init__(env=dict(env or {}))

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Settings are read once by our Settings object; never from os.environ behind its back.
        return Environment(name, {**type(self).env, **(env or {})})

    # ------------------------------------------------------------------ reading

    def get(self, cls: type[A], id: UUID, version: int | None = None) -> A:
        """The aggregate as it stands (or stood at `version`); NotFound if absent/another kind."""
        try:
            agg: Entity = self.repository.get(id, version=version)
        except AggregateNotFoundError:
            raise NotFound(cls.__name__.lower(), id) from None
        if not isinstance(agg, cls):
            raise NotFound(cls.__name__.lower(), id)
        return agg

    def history(self, id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first."""
        events = list(self.events.get(id))
        if not events:
            raise NotFound("aggregate", id)
        return events

    # ------------------------------------------------------------------ running

    def _meta(self, ctx: Context) -> Meta:
        if ctx.occurred_at is not None:
            self._not_future(ctx.occurred_at, "occurred_at")
        return Meta(
            actor_id=ctx.actor.id,
            actor_role=ctx.actor.role,
            correlation_id=ctx.correlation_id or uuid4().hex,
            causation_id=ctx.causation_id,
            occurred_at=ctx.occurred_at or self.clock(),
            idempotency_key=ctx.idempotency_key,
            request_hash=ctx.request_hash,
        )

    def _not_future(self, moment: Any, field: str) -> None:
        """Business times record what happened: refuse one that lies ahead of the clock."""
        if moment is None:
            return
        aware(moment, field)
        if moment > self.clock() + FUTURE_SKEW:
            raise RuleViolation(
                f"{field} is in the future: record what has happened.", "time.future"
            )

    def _served(self, ctx: Context, fields: dict[str, Any]) -> Context:
        """A decision served in writing happened when it was served: that is its business time
        (`served_at`, default the context's business time or now)."""
        served_at = fields.get("served_at") or ctx.occurred_at or self.clock()
        self._not_future(served_at, "served_at")
        fields["served_at"] = served_at
        return replace(ctx, occurred_at=served_at)

    def _peek(self, cls: type[A], id: UUID | None) -> A:
        """A read-only look at another aggregate (no defensive copy: it is not changed)."""
        if id is None:
            raise InvalidInput(
                f"A {cls.__name__.lower()} id is required.", f"{cls.__name__.lower()}.id_required"
            )
        agg = self._registered.get(id)
        if agg is None:
            try:
                agg = self.repository.get(id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                raise NotFound(cls.__name__.lower(), id) from None
            if isinstance(agg, IMMUTABLE):
                self._registered[id] = agg
        if not isinstance(agg, cls):
            raise NotFound(cls.__name__.lower(), id)
        return agg

    def _create(self, ctx: Context, make: Callable[[UUID, Meta], Entity]) -> CommandResult:
        key = ctx.idempotency_key
        # A keyed create gets an id derived from the key, so a retry (even a concurrent one)
        # lands on the same aggregate and is recognised instead of creating a twin.
        id = uuid5(KEY_NAMESPACE, f"{ctx.actor.id}\x00{key}") if key else uuid4()
        with self._turn(id):
            return self._create_in_turn(ctx, id, make)

    def _create_in_turn(
        self, ctx: Context, id: UUID, make: Callable[[UUID, Meta], Entity]
    ) -> CommandResult:
        key = ctx.idempotency_key
        if key:
            replay = self._replay_if_seen(ctx, id)
            if replay:
                return replay
        agg = make(id, self._meta(ctx))
        try:
            recordings = self._save(agg, self._claim(ctx, id))
        except KeyClaimed:
            return self._claimed(ctx, id)
        except RecordConflictError:
            replay = self._replay_if_seen(ctx, id) if key else None
            if replay:
                return replay
            raise Conflict("That record was created by a concurrent request.") from None
        return CommandResult(agg.id, agg.version, recordings[-1].notification.id)

    def _turn(self, id: UUID) -> threading.Lock:
        return self._stripes[id.int % LOCK_STRIPES]

    def _update(
        self, ctx: Context, cls: type[A], id: UUID, decide: Callable[[Any, Meta], None]
    ) -> CommandResult:
        with self._turn(id):
            return self._update_in_turn(ctx, cls, id, decide)

    def _update_in_turn(
        self, ctx: Context, cls: type[A], id: UUID, decide: Callable[[Any, Meta], None]
    ) -> CommandResult:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                # Writers in other processes that collided would collide again in lock step;
                # a growing random pause spreads them out.
                time.sleep(random.uniform(0, min(RETRY_PAUSE * 2**attempt, MAX_RETRY_PAUSE)))
            agg = self.get(cls, id)
            if ctx.authorize is not None:
                ctx.authorize(agg)
            # A retried request is answered from the log before anything else, so a duplicate
            # that lost a race to its own first copy gets that copy's result, not a conflict.
            replay = self._replayed(ctx, agg)
            if replay:
                return replay
            if ctx.expected_version is not None and agg.version != ctx.expected_version:
                raise Conflict(
                    f"The {cls.__name__.lower()} is at version {agg.version}, "
                    f"not {ctx.expected_version}: reload it and try again.",
                    current_version=agg.version,
                )
            decide(agg, self._meta(ctx))
            try:
                recordings = self._save(agg, self._claim(ctx, id))
            except KeyClaimed:
                return self._claimed(ctx, id)
            except RecordConflictError:
                # Another write got in first. Loop: a conditional command is then refused by the
                # version check above; an unconditional one decides again on the new state.
                continue
            return CommandResult(agg.id, agg.version, recordings[-1].notification.id)
        raise Conflict(
            f"The {cls.__name__.lower()} is too busy: gave up after {MAX_ATTEMPTS} tries."
        )

    def _save(self, agg: Entity, claim: Claim | None = None) -> list[Any]:
        """`Application.save(agg)`, a keyed command's `claim` on its key recorded in the same
        transaction; then the saved state goes into the cache, so the next command does not
        decode and re-apply what it just wrote. (A save that skipped the library's runtime
        protocol checks measured 1.05x, `python -m bench shortcuts`: gone.)"""
        recordings = self.save(agg, **({KWARG: claim} if claim is not None else {}))
        if self.repository.cache is not None:
            # Safe even if another process wrote meanwhile: the cache fast-forwards from the
            # version it holds on every read.
            self.repository.cache.put(agg.id, agg)
        return recordings

    @staticmethod
    def _claim(ctx: Context, id: UUID) -> Claim | None:
        key = ctx.idempotency_key
        return Claim.of(ctx.actor.id, key, id) if key else None

    def _claimed(self, ctx: Context, id: UUID) -> CommandResult:
        """The key's claim was taken, and nothing recorded. By a concurrent copy of this very
        request on this aggregate (which the log now shows: answer as its replay), or by a
        request on another aggregate or route: refused."""
        replay = self._replay_if_seen(ctx, id)
        if replay:
            return replay
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used before with another request (another case or "
            "route); use a new key for a new request."
        )

    def _replay_if_seen(self, ctx: Context, id: UUID) -> CommandResult | None:
        try:
            agg: Entity = self.repository.get(id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return self._replayed(ctx, agg)

    def _replayed(self, ctx: Context, agg: Entity) -> CommandResult | None:
        seen = agg.recall(ctx.idempotency_key)
        if seen is None:
            return None
        version, request_hash = seen
        if request_hash != ctx.request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used before with a different request; "
                "use a new key for a new request."
            )
        position = self.position_of(agg.id, version) if self.position_of else 0
        return CommandResult(agg.id, version, position, replayed=True)
