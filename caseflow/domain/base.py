"""What every aggregate of ours shares: event metadata and remembered idempotency keys."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate


class RemembersKeys:
    """Mixin for event classes: a command's idempotency key becomes part of aggregate state,
    so a retried command is recognised from the log itself, atomically with its effect."""

    def mutate(self, aggregate: Any) -> Any:
        agg = super().mutate(aggregate)  # type: ignore[misc]
        key = self.meta.idempotency_key  # type: ignore[attr-defined]
        if key:
            agg.idempotency_keys[key] = (self.originator_version, self.meta.request_hash)  # type: ignore[attr-defined]
        return agg


def event_name(cls: type) -> str:
    """`Case.ReviewRequested` → `case.review_requested` (the stream name without prefix/version)."""
    aggregate, _, event = cls.__qualname__.partition(".")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", event).lower()
    return f"{aggregate.lower()}.{snake}"


def ce_type(name: str) -> str:
    return f"caseflow.{name}.v1"


_CONTAINERS = (dict, set, list)


class Entity(Aggregate):
    """Base for our aggregates (plain `Aggregate` underneath)."""

    # `idempotency_keys` (key → (version, request hash)) is set by each aggregate's __init__;
    # a class annotation here would make eventsourcing treat it as a "created" event field.
    if TYPE_CHECKING:
        idempotency_keys: dict[str, tuple[int, str | None]]

    containers_only_copy = True  # False only in bench/shortcuts.py: copy.deepcopy's own walk

    def __deepcopy__(self, memo: dict[int, Any]) -> Entity:
        """A copy for a command to change (the repository hands out copies of cached state).

        Our aggregates hold immutable values (datetimes, UUIDs, enums, strings, tuples, frozen
        value objects) apart from a few dicts, sets and lists, so copying those containers is a
        full copy; `copy.deepcopy`'s generic walk costs more than the rest of a command: 1.52x
        commands per CPU-second with this copy (`python -m bench shortcuts`: 2,786 vs 1,835
        events per CPU-second; 1.39x in another run)."""
        clone = object.__new__(type(self))
        if not self.containers_only_copy:
            memo[id(self)] = clone
            clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
            return clone
        clone.__dict__.update(
            {k: v.copy() if type(v) in _CONTAINERS else v for k, v in self.__dict__.items()}
        )
        return clone

    def recall(self, key: str | None) -> tuple[int, str | None] | None:
        """The (version, request hash) of the event a key produced, if it was seen before."""
        return self.idempotency_keys.get(key) if key else None
