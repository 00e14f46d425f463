"""Idempotency keys claimed once per caller, across every aggregate.

A key is remembered in the aggregate it was used on (domain/base.py), which recognises a retry
there. Across aggregates it is claimed in the event store: a row (claim id → aggregate) written
in the same transaction as the events the keyed command records, so the claim and its effect are
committed together or not at all. A second aggregate's command with the same caller and key
fails that insert (`KeyClaimed`) and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import IntegrityError

# Distinct from execution.KEY_NAMESPACE (which derives a keyed create's aggregate id), so a
# claim id never equals an aggregate id.
CLAIM_NAMESPACE = uuid5(NAMESPACE_URL, "caseflow:idempotency-claim")
KWARG = "key_claim"  # the name under which a save passes its claim to the recorder


@dataclass(frozen=True)
class Claim:
    """Caller `actor_id`'s key `key` used on aggregate `originator_id`."""

    id: UUID
    originator_id: UUID

    @classmethod
    def of(cls, actor_id: str, key: str, originator_id: UUID) -> Claim:
        return cls(uuid5(CLAIM_NAMESPACE, f"{actor_id}\x00{key}"), originator_id)


class KeyClaimed(IntegrityError):
    """The recorder found the claim taken: the caller used this key before (on this aggregate
    by a concurrent copy of the request, or on another one). Nothing was recorded."""
