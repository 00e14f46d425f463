"""Personal data sealed at rest (docs/privacy.md): command throughput and rebuild rate with
sealing on, against the same code with it off (the library's plain mapper), in the same run.

    python -m bench privacy     (BENCH_PRIVACY_CASES, BENCH_PRIVACY_ROUNDS to resize)

Commands: the case lifecycles of `bench.commands` (8 events a case, the first sealed and its
data key made), on SQLite with `synchronous=FULL` (every commit synced: what a deployment
pays) and `OFF` (the CPU cost alone). Rebuild: every view rebuilt from a store written with
sealing on and one written with it off. Rounds alternate which side goes first; medians.
Goal: on / off >= 0.85 for both.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Mapper

import bench.commands as commands
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings

ROUNDS = int(os.environ.get("BENCH_PRIVACY_ROUNDS", "5"))
CASES = int(os.environ.get("BENCH_PRIVACY_CASES", "60"))
REBUILD_CASES = int(os.environ.get("BENCH_PRIVACY_REBUILD_CASES", "3000"))
GOAL = 0.85


def _unsealed(container: Any) -> Any:
    app = container.app
    plain = Mapper(app.mapper.transcoder)
    app.mapper = app.events.mapper = plain
    return container


@contextmanager
def sealing(on: bool) -> Iterator[None]:
    """`bench.commands` builds its application with sealing on, or (off) with the plain mapper."""
    real = commands.bootstrap
    if not on:
        commands.bootstrap = lambda settings: _unsealed(real(settings))  # type: ignore[assignment]
    try:
        yield
    finally:
        commands.bootstrap = real


def _commands(on: bool, cases: int, synchronous: str) -> float:
    with tempfile.TemporaryDirectory() as d, sealing(on):
        return commands.run_ours(Path(d), cases, synchronous).wall


def _rebuild(data_dir: Path) -> float:
    import glob

    for path in glob.glob(str(data_dir / "views.sqlite3*")):
        os.remove(path)
    container = bootstrap(Settings(data_dir=data_dir))
    try:
        started = time.perf_counter()
        result = container.views.rebuild(batch_size=5000)
        return result.events / (time.perf_counter() - started)
    finally:
        container.close()


def _alternate(measure: Callable[[bool], float]) -> tuple[float, float]:
    on: list[float] = []
    off: list[float] = []
    for r in range(ROUNDS):
        for side in (True, False) if r % 2 == 0 else (False, True):
            (on if side else off).append(measure(side))
    return statistics.median(on), statistics.median(off)


def _report(what: str, on: float, off: float) -> None:
    ratio = on / off
    verdict = "ok" if ratio >= GOAL else "BELOW GOAL"
    print(
        f"{what:<34} on {on:>10,.0f} ev/s   off {off:>10,.0f} ev/s   "
        f"on/off {ratio:.2f} (goal >= {GOAL}) {verdict}",
        flush=True,
    )


def main() -> None:
    import logging

    logging.getLogger("caseflow.infra.privacy.masterkey").setLevel(logging.ERROR)  # dev keys
    print(
        f"{ROUNDS} rounds, medians; commands: {CASES} cases (x5 with synchronous=OFF), "
        f"rebuild: {REBUILD_CASES} cases",
        flush=True,
    )
    for sync, cases in (("FULL", CASES), ("OFF", 5 * CASES)):
        on, off = _alternate(lambda side, s=sync, n=cases: _commands(side, n, s))
        _report(f"commands, synchronous={sync}", on, off)
    with tempfile.TemporaryDirectory() as d:
        stores = {side: Path(d) / ("on" if side else "off") for side in (True, False)}
        for side, path in stores.items():
            with sealing(side):
                commands.run_ours(path, REBUILD_CASES, "OFF")
        on, off = _alternate(lambda side: _rebuild(stores[side]))
        _report("rebuild (every view)", on, off)


if __name__ == "__main__":
    main()
