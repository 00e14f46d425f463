"""Where commands run: a bounded pool of threads of their own, off the event loop.

Bounded, because each running command holds an event-store connection (the pools are small:
SQLite 5+10, PostgreSQL 10+20) and more threads than connections would only queue there, with a
timeout. Concurrent, because on both backends concurrent commands commit together: PostgreSQL by
itself, SQLite through `infra/groupcommit.py` (one fsync for a group instead of one each)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class CommandExecutor:
    def __init__(self, workers: int):
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="caseflow-command")

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` (blocking); it finishes even if the client goes away meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
