"""Run one callable from several threads released at the same instant: how tests stand in for
processes that start together (each thread uses connections of its own, so the database sees
concurrent sessions as it would from processes)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(action: Callable[[], object], threads: int = 4) -> list[BaseException]:
    """The errors raised, if any (empty when every call succeeded)."""
    errors: list[BaseException] = []
    together = threading.Barrier(threads)

    def run() -> None:
        together.wait()
        try:
            action()
        except Exception as e:  # noqa: BLE001 - returned to the test, which shows them
            errors.append(e)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(60)
    return errors
