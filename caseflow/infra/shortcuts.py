"""Every place where Caseflow reaches past a library for speed, by name, with its switch.

A shortcut stays only while `python -m bench shortcuts` shows it earning at least 15 % on the
figure it exists for, measured in one run with it on and off; the figure is quoted beside the
code. Turning one off takes the library's plain path instead, with the same results: the
switches exist for the benchmark, not for production. Figures of one run (2 shared CPUs):

    command_route       infra/http/fastroute.py   HTTP commands per API CPU-second  1.20x
    command_threads     infra/http/executor.py    HTTP commands per API CPU-second  1.22x
    entity_copy         domain/base.py            commands per CPU-second           1.52x
    group_commit        infra/groupcommit.py      HTTP commands/s (SQLite)          1.88x
    reader_connections  infra/groupcommit.py      commands per CPU-second (SQLite)  1.24x
    bulk_copy           infra/views/bulk.py       rebuild CPU per event (PostgreSQL) 1.17x
                        (BENCH_BULK=1 python -m bench rebuild; the machine's CPU per event
                        with the server's: 1.22x; events/s 1.11x)
    (no switch)         infra/sqlite_tuning.py    demo seed events/s, sync OFF      2.6x

Measured and removed (the plain library path is used instead):

    an own SELECT of the log joined with the chain   EventLog.read events per CPU-s  0.97x
    `fast_uuid`, setting UUID's slots directly       EventLog.read events per CPU-s  0.97x
    reviving dataclasses by filling their __dict__   EventLog.read events per CPU-s  0.98x
    `Application.save` minus its protocol checks     commands per CPU-second         1.05x
    `project_aggregate` minus its assertion          commands per CPU-second         0.93x
    view row converters generated with `exec`        view rebuild events per CPU-s   1.07x
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    name: str
    where: str  # the one module holding it
    figure: str  # what it is for
    switch: Callable[[bool], None]


def _command_route(on: bool) -> None:
    from caseflow.infra.http import fastroute

    fastroute.ENABLED = on


def _command_threads(on: bool) -> None:
    from caseflow.infra.http.executor import CommandExecutor

    CommandExecutor.own_threads = on


def _entity_copy(on: bool) -> None:
    from caseflow.domain.base import Entity

    Entity.containers_only_copy = on


def _group_commit(on: bool) -> None:
    from caseflow.infra import groupcommit

    groupcommit.MAX_GROUP = 500 if on else 1  # 1: every insert commits (and syncs) alone


def _bulk_copy(on: bool) -> None:
    from caseflow.infra.views import bulk

    bulk.BULK_ROWS = 200 if on else 10**12  # off: every write row by row (executemany)


def _reader_connections(on: bool) -> None:
    from caseflow.infra.groupcommit import GroupCommitRecorder

    GroupCommitRecorder.own_readers = on


SHORTCUTS: dict[str, Shortcut] = {
    s.name: s
    for s in (
        Shortcut(
            "command_route",
            "caseflow.infra.http.fastroute",
            "API-process CPU per HTTP command",
            _command_route,
        ),
        Shortcut(
            "command_threads",
            "caseflow.infra.http.executor",
            "API-process CPU per HTTP command",
            _command_threads,
        ),
        Shortcut("entity_copy", "caseflow.domain.base", "CPU per command", _entity_copy),
        Shortcut(
            "group_commit", "caseflow.infra.groupcommit", "HTTP commands/s (SQLite)", _group_commit
        ),
        Shortcut(
            "bulk_copy",
            "caseflow.infra.views.bulk",
            "rebuild CPU per event (PostgreSQL)",
            _bulk_copy,
        ),
        Shortcut(
            "reader_connections",
            "caseflow.infra.groupcommit",
            "CPU per command (SQLite)",
            _reader_connections,
        ),
    )
}


def switch(names: Iterable[str], on: bool) -> None:
    """Turn the named shortcuts on or off in this process (KeyError for an unknown name)."""
    for name in names:
        SHORTCUTS[name].switch(on)


@contextmanager
def turned_off(*names: str) -> Iterator[None]:
    """The named shortcuts off for the duration of the block (bench/shortcuts.py)."""
    switch(names, False)
    try:
        yield
    finally:
        switch(names, True)
