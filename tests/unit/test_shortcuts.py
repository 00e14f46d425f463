"""The speed shortcuts' switches (caseflow/infra/shortcuts.py): each turns its shortcut off and
back on, and the plain path it falls back to gives the same results."""

from __future__ import annotations

import asyncio
import copy
import importlib
import threading

import pytest

from caseflow.infra import shortcuts
from caseflow.infra.http.executor import CommandExecutor


def test_every_shortcut_names_a_module_that_exists_and_quotes_its_figure():
    doc = shortcuts.__doc__ or ""
    for name, s in shortcuts.SHORTCUTS.items():
        importlib.import_module(s.where)
        assert name in doc  # with its measured figure in the table


def test_turned_off_restores_the_shortcut_afterwards():
    with shortcuts.turned_off("command_threads", "entity_copy"):
        from caseflow.domain.base import Entity

        assert CommandExecutor.own_threads is False
        assert Entity.containers_only_copy is False
    assert CommandExecutor.own_threads is True
    assert Entity.containers_only_copy is True


def test_an_unknown_shortcut_is_refused():
    with pytest.raises(KeyError):
        shortcuts.switch(["no_such_shortcut"], False)


def test_the_plain_executor_runs_work_off_the_loop_and_returns_its_outcome():
    executor = CommandExecutor(2)

    def fail() -> None:
        raise LookupError("no such case")

    async def both() -> tuple[str, BaseException | None]:
        name = await executor.run(lambda: threading.current_thread().name)
        try:
            await executor.run(fail)
        except LookupError as e:
            return name, e
        return name, None

    with shortcuts.turned_off("command_threads"):
        name, error = asyncio.run(both())
    executor.close()
    assert name != threading.current_thread().name
    assert isinstance(error, LookupError)


def test_the_plain_deep_copy_gives_an_equal_independent_aggregate():
    from tests.unit.domain.builders import resolved

    case = resolved()
    case.collect_events()
    fast = copy.deepcopy(case)
    with shortcuts.turned_off("entity_copy"):
        plain = copy.deepcopy(case)
    assert vars(fast) == vars(plain) == vars(case)
    plain.idempotency_keys["k"] = (1, None)
    assert "k" not in case.idempotency_keys and "k" not in fast.idempotency_keys
