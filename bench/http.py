"""HTTP command throughput and latency: `caseflow serve` on SQLite against a no-op FastAPI app.

A load generator in its own process (raw asyncio HTTP/1.1 over keep-alive connections, so the
client costs little CPU) drives flows of register → screen → assign → resolve:

- saturation: `CONCURRENCY` flows back to back for `SECONDS`, `REPEATS` times → the median
  commands/s (each run's rate is printed too);
- fixed rate: flows started on a schedule to make `RATE` requests/s (open loop: a request's
  latency counts from when it was due, so a stalled server cannot hide its queue) → p50 / p99.

The same generator runs against a no-op FastAPI app (same routes, constant answers) served the
same way: the ceiling this machine's HTTP stack allows. `caseflow serve` is measured as one
process and as `--workers 2` (two processes sharing the port; the no-op app is then also served
by two), and once more with the projections in a `caseflow worker` process beside
`caseflow serve --no-projections`. Besides rates and latencies it prints the API processes' CPU
time per request, which a busy shared machine distorts far less than rates. Goals: ≥ 1,000
commands/s at saturation, p99 ≤ 50 ms at 200 requests/s.
Run: `python -m bench http` (BENCH_HTTP_SECONDS sets each measurement's length).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from bench._loadgen import CONCURRENCY, RATE, TOKEN, load

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
# Saturation is measured this many times per server (median reported): single runs on a shared
# 2-CPU machine were seen to vary by ±30 %.
REPEATS = int(os.environ.get("BENCH_HTTP_REPEATS", "3"))


# ------------------------------------------------------------------ the servers


def noop_app() -> Any:
    """The ceiling: FastAPI routes that answer a constant without reading the body."""
    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI()
    answer = b'{"id": "00000000-0000-4000-8000-000000000001", "version": 1, "position": 1}'

    @app.post("/cases")
    async def register() -> Response:
        return Response(answer, status_code=201, media_type="application/json")

    @app.post("/cases/{case_id}/{command}")
    async def command(case_id: str, command: str) -> Response:
        return Response(answer, media_type="application/json")

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _prepare_store(data_dir: Path) -> tuple[str, str]:
    """An org and a leader, registered through the service layer before the server starts."""
    from caseflow.domain.values import OrgLevel
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.settings import Settings
    from caseflow.services.app import Actor, Context

    c = bootstrap(Settings(data_dir=data_dir))
    try:
        ctx = Context(actor=Actor("bench", "operator"))
        org = c.app.register_org(ctx, name="Bench County", level=OrgLevel.COUNTY).id
        leader = c.app.register_leader(ctx, name="Bench Leader", title="Head", org_id=org).id
        return str(org), str(leader)
    finally:
        c.close()


def _caseflow(verb: list[str], data_dir: Path, port: int, org: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "CASEFLOW_DATA_DIR": str(data_dir),
        "CASEFLOW_PORT": str(port),
        "CASEFLOW_TOKENS": f"{TOKEN}=bench-handler:handler:{org}",
    }
    env.pop("CASEFLOW_DATABASE_URL", None)
    env.pop("CASEFLOW_KAFKA_BOOTSTRAP", None)
    cli = Path(sys.executable).parent / "caseflow"
    return subprocess.Popen(
        [str(cli), *verb], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _measure_caseflow(
    name: str, results: dict, *, worker: bool = False, processes: int = 1
) -> None:
    """`caseflow serve` on a fresh SQLite store; with `worker`, the projections run in a
    `caseflow worker` process instead of in the API process (DESIGN §6's deployment)."""
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        org, leader = _prepare_store(data_dir)
        port = _free_port()
        verb = ["serve", "--no-access-log", "--workers", str(processes)] + (
            ["--no-projections"] if worker else []
        )
        procs = [_caseflow(verb, data_dir, port, org)]
        if worker:
            procs.append(_caseflow(["worker"], data_dir, port, org))
        try:
            _wait_up(port, procs[0])
            pid = procs[0].pid
            results[f"{name} saturation"] = _median_of_runs(port, org, leader, pid)
            results[f"{name} at 200 req/s"] = load(
                port, org, leader, "rate", SECONDS, server_pid=pid
            )
        finally:
            for proc in procs:
                _stop(proc)


def _median_of_runs(port: int, org: str, leader: str, pid: int) -> dict:
    """`REPEATS` saturation runs against one server: the run with the median rate, plus every
    run's rate (`runs`)."""
    runs = sorted(
        (
            load(port, org, leader, "saturate", SECONDS, server_pid=pid)
            for _ in range(max(1, REPEATS))
        ),
        key=lambda r: r["rate"],
    )
    return {**runs[len(runs) // 2], "runs": [round(r["rate"]) for r in runs]}


def _serve_noop(port: int, processes: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.http:noop_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(processes),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _line(name: str, r: dict) -> str:
    return (
        f"  {name:<24} {r['rate']:7.0f} req/s   p50 {r['p50_ms']:7.2f} ms   "
        f"p99 {r['p99_ms']:7.2f} ms   server CPU {r.get('cpu_ms', float('nan')):5.2f} ms/req"
        f"   ({r['requests']} requests, {r['errors']} errors)"
        + (f"   runs {r['runs']} req/s, median shown" if "runs" in r else "")
    )


def _measure_noop(name: str, results: dict, processes: int) -> None:
    port = _free_port()
    noop = _serve_noop(port, processes)
    try:
        _wait_up(port, noop)
        fake = str(UUID(int=1))
        results[f"{name} saturation"] = _median_of_runs(port, fake, fake, noop.pid)
        results[f"{name} at 200 req/s"] = load(
            port, fake, fake, "rate", SECONDS, server_pid=noop.pid
        )
    finally:
        _stop(noop)


def main() -> None:
    results: dict[str, dict] = {}
    _measure_noop("noop", results, 1)
    _measure_caseflow("caseflow", results)
    _measure_noop("noop x2", results, 2)
    _measure_caseflow("caseflow x2", results, processes=2)
    _measure_caseflow("api + worker", results, worker=True)

    print(
        f"flows of register+screen+assign+resolve; {CONCURRENCY} concurrent flows at "
        f"saturation ({REPEATS} runs, median), {RATE} req/s open loop; {SECONDS:g} s each; "
        "SQLite"
    )
    for name, r in results.items():
        print(_line(name, r))
    sat, ceiling = results["caseflow saturation"], results["noop saturation"]
    sat2, ceiling2 = results["caseflow x2 saturation"], results["noop x2 saturation"]
    fixed, fixed2 = results["caseflow at 200 req/s"], results["caseflow x2 at 200 req/s"]
    split = results["api + worker saturation"]
    print(
        f"  API-process CPU per command: {sat['cpu_ms']:.2f} ms with projections in-process, "
        f"{split['cpu_ms']:.2f} ms with a worker (no-op {ceiling['cpu_ms']:.2f} ms): "
        f"{1000 / sat['cpu_ms']:.0f} / {1000 / split['cpu_ms']:.0f} commands/s per free core"
    )
    print(
        f"  saturation vs no-op ceiling: {sat['rate'] / ceiling['rate']:.2f}x in one process, "
        f"{sat2['rate'] / ceiling2['rate']:.2f}x in two; two processes vs one: "
        f"{sat2['rate'] / sat['rate']:.2f}x"
    )
    best = max(sat["rate"], sat2["rate"])
    print(
        f"  goal ≥ 1000 commands/s: {'met' if best >= 1000 else 'NOT met'} "
        f"(one process {sat['rate']:.0f}, --workers 2 {sat2['rate']:.0f})   "
        f"goal p99 ≤ 50 ms at 200 req/s: "
        f"{'met' if max(fixed['p99_ms'], fixed2['p99_ms']) <= 50 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
