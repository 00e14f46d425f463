"""CommandExecutor: blocking work off the event loop, outcome handed back to the awaiting task."""

from __future__ import annotations

import asyncio
import threading

import pytest

from caseflow.infra.http.executor import CommandExecutor


def test_work_runs_on_a_command_thread_and_its_result_comes_back():
    executor = CommandExecutor(2)
    try:
        name = asyncio.run(executor.run(lambda: threading.current_thread().name))
        assert name.startswith("caseflow-command")
    finally:
        executor.close()


def test_an_exception_from_the_work_reaches_the_caller():
    executor = CommandExecutor(1)

    def fail() -> None:
        raise LookupError("no such case")

    try:
        with pytest.raises(LookupError, match="no such case"):
            asyncio.run(executor.run(fail))
    finally:
        executor.close()


def test_work_finishes_even_when_the_caller_gives_up():
    executor = CommandExecutor(1)
    release, finished = threading.Event(), threading.Event()

    def slow() -> None:
        release.wait(5)
        finished.set()

    async def give_up() -> None:
        task = asyncio.ensure_future(executor.run(slow))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()

    try:
        asyncio.run(give_up())
        assert finished.wait(5)
    finally:
        executor.close()


def test_concurrent_work_runs_on_as_many_threads_as_configured():
    executor = CommandExecutor(3)
    barrier = threading.Barrier(3, timeout=5)

    async def three() -> list[int]:
        return await asyncio.gather(*(executor.run(barrier.wait) for _ in range(3)))

    try:
        assert sorted(asyncio.run(three())) == [0, 1, 2]
    finally:
        executor.close()


def test_a_closed_executor_refuses_work():
    executor = CommandExecutor(1)
    executor.close()
    with pytest.raises(RuntimeError):
        asyncio.run(executor.run(lambda: 1))
