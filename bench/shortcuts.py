"""Each speed shortcut past a library (caseflow/infra/shortcuts.py) on and off, in one run, on
the figure it exists for. A shortcut earns its place with a gain of at least 15 %.

- HTTP commands (`command_route`, `command_threads`, `group_commit`): `caseflow serve` on
  SQLite, flows of register → screen → assign → resolve at saturation (bench/_loadgen.py). The
  figure is the API process's CPU per command (a busy shared machine distorts it far less than
  rates) for the first two, commands/s for the group commit (which saves disk syncs, not CPU).
  One server per setting, `HTTP_REPEATS` runs each, median; all on is measured first and last.
- Commands in process (`entity_copy`, `reader_connections`): the
  lifecycles of bench/commands.py through `CaseflowApp` on SQLite with `synchronous=OFF` (so
  the disk does not hide the CPU); the figure is events per CPU-second. The same lifecycles at
  the library's default `synchronous=FULL` give what `infra/sqlite_tuning.py` (used by the demo
  seed) earns in wall time.

Settings alternate within each round (rotated order), `ROUNDS` rounds, medians.
Run: `python -m bench shortcuts` (BENCH_SHORTCUTS_ROUNDS, BENCH_HTTP_SECONDS, BENCH_HTTP_REPEATS,
BENCH_SHORTCUTS_PARTS=http,commands to choose).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.commands import CASES, EVENTS_PER_CASE, run_ours

ROUNDS = int(os.environ.get("BENCH_SHORTCUTS_ROUNDS", "5"))
PARTS = os.environ.get("BENCH_SHORTCUTS_PARTS", "http,commands").split(",")
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
HTTP_REPEATS = int(os.environ.get("BENCH_HTTP_REPEATS", "3"))
GOAL = 1.15

Measure = Callable[[str], float]  # shortcut name ("" for all on) → figure, higher is better


def rounds(settings: list[str], measure: Measure, n: int = ROUNDS) -> dict[str, float]:
    """Median figure per setting; each round runs the settings in a rotated order."""
    runs: dict[str, list[float]] = {s: [] for s in settings}
    for r in range(n):
        for s in settings[r % len(settings) :] + settings[: r % len(settings)]:
            runs[s].append(measure(s))
    return {s: statistics.median(v) for s, v in runs.items()}


def report(title: str, unit: str, figures: dict[str, float]) -> None:
    on = figures[""]
    print(f"{title}: all shortcuts on {on:,.1f} {unit}", flush=True)
    for name, off in figures.items():
        if name:
            gain = on / off
            print(
                f"  {name:<20} off {off:,.1f} {unit}: on/off {gain:.2f}x "
                f"({'earns' if gain >= GOAL else 'does NOT earn'} {GOAL - 1:.0%})",
                flush=True,
            )


# ------------------------------------------------------------------ commands in process


def _commands(off: str, synchronous: str = "OFF") -> float:
    from caseflow.infra import shortcuts

    with shortcuts.turned_off(*([off] if off else [])), tempfile.TemporaryDirectory() as path:
        return run_ours(Path(path), CASES[synchronous], synchronous).cpu


def commands() -> None:
    names = ["", "entity_copy", "reader_connections"]
    report(
        f"commands in process ({CASES['OFF']} lifecycles of {EVENTS_PER_CASE} events, "
        "SQLite synchronous=OFF)",
        "events/cpu-s",
        rounds(names, _commands),
    )

    def wall(level: str) -> float:
        with tempfile.TemporaryDirectory() as path:
            return run_ours(Path(path), CASES["FULL"], level).wall

    sync = rounds(["OFF", "FULL"], wall)
    print(
        f"sqlite_tuning (demo seed): synchronous=OFF {sync['OFF']:,.0f} events/s, library "
        f"default FULL {sync['FULL']:,.0f} events/s: {sync['OFF'] / sync['FULL']:.1f}x",
        flush=True,
    )


# ------------------------------------------------------------------ HTTP


def _serve_http(off: str) -> dict:
    from bench._loadgen import TOKEN, load
    from bench.http import _free_port, _prepare_store, _stop, _wait_up

    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        org, leader = _prepare_store(data_dir)
        port = _free_port()
        env = {
            **os.environ,
            "CASEFLOW_DATA_DIR": str(data_dir),
            "CASEFLOW_PORT": str(port),
            "CASEFLOW_TOKENS": f"{TOKEN}=bench-handler:handler:{org}",
        }
        env.pop("CASEFLOW_DATABASE_URL", None)
        env.pop("CASEFLOW_KAFKA_BOOTSTRAP", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench._switched", off or "-", "serve", "--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_up(port, proc)
            runs = [
                load(port, org, leader, "saturate", HTTP_SECONDS, server_pid=proc.pid)
                for _ in range(max(1, HTTP_REPEATS))
            ]
            return {
                "rate": statistics.median(r["rate"] for r in runs),
                "cpu_ms": statistics.median(r["cpu_ms"] for r in runs),
            }
        finally:
            _stop(proc)


def http() -> None:
    results: dict[str, list[dict]] = {}
    for off in ("", "command_route", "command_threads", "group_commit", ""):
        r = _serve_http(off)
        results.setdefault(off, []).append(r)
        print(
            f"  serve, {off + ' off' if off else 'all on'}: {r['rate']:,.0f} commands/s, "
            f"API-process CPU {r['cpu_ms']:.3f} ms/command",
            flush=True,
        )
    title = (
        f"HTTP commands (caseflow serve, SQLite, saturation, {HTTP_SECONDS:g} s x "
        f"{HTTP_REPEATS}, median)"
    )
    cpu = {off: statistics.median(1000 / r["cpu_ms"] for r in rs) for off, rs in results.items()}
    report(title, "commands/cpu-s", {k: v for k, v in cpu.items() if k != "group_commit"})
    rate = {off: statistics.median(r["rate"] for r in rs) for off, rs in results.items()}
    report(title, "commands/s", {k: v for k, v in rate.items() if k in ("", "group_commit")})


def main() -> None:
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    if "http" in PARTS:
        http()
    if "commands" in PARTS:
        commands()
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)


if __name__ == "__main__":
    main()
