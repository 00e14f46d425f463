"""HTTP command throughput and latency: `caseflow serve` on SQLite against a no-op FastAPI app.

A load generator in its own process (raw asyncio HTTP/1.1 over keep-alive connections, so the
client costs little CPU) drives flows of register → screen → assign → resolve:

- saturation: `CONCURRENCY` flows back to back for `SECONDS` → commands/s;
- fixed rate: flows started on a schedule to make `RATE` requests/s (open loop: a request's
  latency counts from when it was due, so a stalled server cannot hide its queue) → p50 / p99.

The same generator runs against a no-op FastAPI app (same routes, constant answers) served the
same way: the ceiling this machine's HTTP stack allows. A third run puts the projections in a
`caseflow worker` process beside `caseflow serve --no-projections`. Besides rates and latencies
it prints the API process's CPU time per request, which a busy shared machine distorts far less
than rates. Goals: ≥ 1,000 commands/s at saturation, p99 ≤ 50 ms at 200 requests/s.
Run: `python -m bench http` (BENCH_HTTP_SECONDS sets each measurement's length).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
RATE = 200
CONCURRENCY = 32
CONNECTIONS = 64
TOKEN = "bench-token"


# ------------------------------------------------------------------ the client


class Connection:
    """One keep-alive HTTP/1.1 connection; requests with a JSON body, answers by Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), TOKEN.encode(), len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


class Flow:
    """The four commands of one case; bodies are built once per run."""

    def __init__(self, org: str, leader: str):
        received = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        self.register = json.dumps({
            "channel": "letter", "received_at": received, "receiving_org_id": org,
            "petitioners": [{"name": "Bench Person", "id_number": "TEST-0000"}],
            "subject": "Wage arrears", "request": "Pay the wages", "region": "Bench"}).encode()
        self.screen = b'{"decision": "accept", "category": "appeal"}'
        self.assign = json.dumps({"unit_id": org, "leader_id": leader}).encode()
        self.resolve = b'{"outcome": "explained", "reply": "Explained in writing"}'

    async def run(self, pool: asyncio.Queue, record: list[float], due: float | None = None,
                  errors: list[int] | None = None) -> None:
        ready = due if due is not None else time.perf_counter()
        case = None
        for path, body in (("/cases", self.register), ("screening", self.screen),
                           ("assignment", self.assign), ("resolution", self.resolve)):
            conn = await pool.get()
            try:
                url = path if case is None else f"/cases/{case}/{path}"
                status, answer = await conn.post(url, body)
            finally:
                pool.put_nowait(conn)
            done = time.perf_counter()
            record.append(done - ready)
            ready = done
            if status >= 300:
                if errors is not None:
                    errors.append(status)
                return
            if case is None:
                case = json.loads(answer)["id"]


async def _pool(port: int, n: int) -> asyncio.Queue:
    pool: asyncio.Queue = asyncio.Queue()
    for conn in await asyncio.gather(*(Connection.open(port) for _ in range(n))):
        pool.put_nowait(conn)
    return pool


async def _saturate(port: int, flow: Flow, seconds: float) -> dict[str, Any]:
    pool, record, errors = await _pool(port, CONCURRENCY), [], []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await flow.run(pool, record, errors=errors)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {"requests": len(record), "rate": len(record) / elapsed, "errors": len(errors),
            **_quantiles(record)}


async def _fixed_rate(port: int, flow: Flow, rate: float, seconds: float) -> dict[str, Any]:
    pool, record, errors = await _pool(port, CONNECTIONS), [], []
    flows_per_second = rate / 4
    n = int(seconds * flows_per_second)
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(n):
        due = start + i / flows_per_second
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(flow.run(pool, record, due=due, errors=errors)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {"requests": len(record), "rate": len(record) / elapsed, "errors": len(errors),
            **_quantiles(record)}


def _quantiles(seconds: list[float]) -> dict[str, float]:
    if len(seconds) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    q = statistics.quantiles(seconds, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def _generate(port: int, org: str, leader: str, mode: str, seconds: float,
              out: Any) -> None:
    """Entry point of the load-generator process."""
    flow = Flow(org, leader)

    async def main() -> dict[str, Any]:
        warm = await _saturate(port, flow, 1.0)  # warm up connections and caches
        if mode == "saturate":
            result = await _saturate(port, flow, seconds)
        else:
            result = await _fixed_rate(port, flow, RATE, seconds)
        return {**result, "served": warm["requests"] + result["requests"]}

    out.send(asyncio.run(main()))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to price a request in server CPU."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(port: int, org: str, leader: str, mode: str, seconds: float = SECONDS,
         server_pid: int | None = None) -> dict:
    """Run the generator in a separate process and return its figures (with the server's CPU
    milliseconds per request when its pid is given: a figure the machine's load moves little)."""
    cpu = _cpu_seconds(server_pid) if server_pid else None
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_generate, args=(port, org, leader, mode, seconds, child))
    proc.start()
    result = parent.recv()
    proc.join()
    if cpu is not None:
        result["cpu_ms"] = (_cpu_seconds(server_pid) - cpu) * 1000 / max(result["served"], 1)
    return result


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
    env = {**os.environ, "CASEFLOW_DATA_DIR": str(data_dir), "CASEFLOW_PORT": str(port),
           "CASEFLOW_TOKENS": f"{TOKEN}=bench-handler:handler:{org}"}
    env.pop("CASEFLOW_DATABASE_URL", None)
    env.pop("CASEFLOW_KAFKA_BOOTSTRAP", None)
    cli = Path(sys.executable).parent / "caseflow"
    return subprocess.Popen([str(cli), *verb], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _measure_caseflow(name: str, results: dict, *, worker: bool) -> None:
    """`caseflow serve` on a fresh SQLite store; with `worker`, the projections run in a
    `caseflow worker` process instead of in the API process (DESIGN §6's deployment)."""
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        org, leader = _prepare_store(data_dir)
        port = _free_port()
        verb = ["serve", "--no-access-log"] + (["--no-projections"] if worker else [])
        procs = [_caseflow(verb, data_dir, port, org)]
        if worker:
            procs.append(_caseflow(["worker"], data_dir, port, org))
        try:
            _wait_up(port, procs[0])
            pid = procs[0].pid
            results[f"{name} saturation"] = load(port, org, leader, "saturate", server_pid=pid)
            results[f"{name} at 200 req/s"] = load(port, org, leader, "rate", server_pid=pid)
        finally:
            for proc in procs:
                _stop(proc)


def _serve_noop(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.http:noop_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _line(name: str, r: dict) -> str:
    return (f"  {name:<24} {r['rate']:7.0f} req/s   p50 {r['p50_ms']:7.2f} ms   "
            f"p99 {r['p99_ms']:7.2f} ms   server CPU {r.get('cpu_ms', float('nan')):5.2f} ms/req"
            f"   ({r['requests']} requests, {r['errors']} errors)")


def main() -> None:
    results: dict[str, dict] = {}
    port = _free_port()
    noop = _serve_noop(port)
    try:
        _wait_up(port, noop)
        fake = str(UUID(int=1))
        results["noop saturation"] = load(port, fake, fake, "saturate", server_pid=noop.pid)
        results["noop at 200 req/s"] = load(port, fake, fake, "rate", server_pid=noop.pid)
    finally:
        _stop(noop)

    _measure_caseflow("caseflow", results, worker=False)
    _measure_caseflow("api + worker", results, worker=True)

    print(f"flows of register+screen+assign+resolve; {CONCURRENCY} concurrent flows at "
          f"saturation, {RATE} req/s open loop; {SECONDS:g} s each; SQLite")
    for name, r in results.items():
        print(_line(name, r))
    sat, ceiling = results["caseflow saturation"], results["noop saturation"]
    fixed = results["caseflow at 200 req/s"]
    split = results["api + worker saturation"]
    print(f"  API-process CPU per command: {sat['cpu_ms']:.2f} ms with projections in-process, "
          f"{split['cpu_ms']:.2f} ms with a worker (no-op {ceiling['cpu_ms']:.2f} ms): "
          f"{1000 / sat['cpu_ms']:.0f} / {1000 / split['cpu_ms']:.0f} commands/s per free core")
    print(f"  saturation vs no-op ceiling: {sat['rate'] / ceiling['rate']:.2f}x   "
          f"goal ≥ 1000 commands/s: {'met' if sat['rate'] >= 1000 else 'NOT met'}   "
          f"goal p99 ≤ 50 ms at 200 req/s: {'met' if fixed['p99_ms'] <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
