"""The errors the service layer raises; adapters map them to HTTP statuses and CLI messages."""

from __future__ import annotations

from caseflow.domain.errors import DomainError, InvalidInput, RuleViolation, WindowClosed

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidInput",
    "NotFound",
    "RuleViolation",
    "ServiceError",
    "WindowClosed",
]


class ServiceError(Exception):
    """Base of the service layer's own errors."""


class NotFound(ServiceError):
    def __init__(self, kind: str, id: object):
        super().__init__(f"No {kind} with id {id}.")
        self.kind, self.id = kind, id


class Conflict(ServiceError):
    """Another write got there first (expected version mismatch or repeated contention)."""

    def __init__(self, message: str, current_version: int | None = None):
        super().__init__(message)
        self.current_version = current_version


class IdempotencyKeyReused(ServiceError):
    """The same Idempotency-Key came back with a different request."""


class Forbidden(ServiceError):
    """The actor's role or org does not allow this."""
