"""A sliding-window rate limit per key (a client address, a query code's digest), in memory.

Per process: under `serve --workers N` each worker counts alone, so the effective limit is up to
N times the setting. Used from the event loop only (no lock needed)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from caseflow.infra.settings import Settings


class RateLimit:
    """At most `limit` hits per key in any `window` seconds. Memory is bounded: past `max_keys`
    keys, the least recently hit key is forgotten."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> int | None:
        """Count a hit: None when allowed, else the whole seconds to wait (for Retry-After)."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            if len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None


@dataclass
class PublicLimits:
    """The limits on a petitioner's lookups by query code."""

    per_address: RateLimit = field(default_factory=lambda: RateLimit(30, 60))
    per_code: RateLimit = field(default_factory=lambda: RateLimit(10, 60))

    @classmethod
    def of(cls, settings: Settings) -> PublicLimits:
        window = settings.public_rate_window
        return cls(
            RateLimit(settings.public_rate_per_address, window),
            RateLimit(settings.public_rate_per_code, window),
        )
