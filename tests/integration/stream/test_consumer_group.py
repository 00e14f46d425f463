"""Two `caseflow consume` processes in one group split the partitions; when one is killed the
other takes its partitions over and nothing is lost or counted twice."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from caseflow.domain.base import ce_type
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.kafka.analytics import AnalyticsStore
from caseflow.infra.relay import relay_runner
from tests.integration.stream.conftest import cli_env
from tests.processes import caseflow_cmd
from tests.unit.stream.scenario import Directory, drive

pytestmark = pytest.mark.kafka

ASSIGNED = re.compile(r"^(\w+): assigned partitions \[([\d, ]*)\]$", re.M)


def wait_until(predicate, timeout: float, what: str, logs: dict[str, Path]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{texts(logs)}"
        time.sleep(0.1)


def texts(logs: dict[str, Path]) -> str:
    return "\n".join(f"{m}: {p.read_text() if p.exists() else ''}" for m, p in logs.items())


def latest_assignments(*logs: Path) -> dict[str, set[int]]:
    out = {}
    for log in logs:
        for member, parts in ASSIGNED.findall(log.read_text() if log.exists() else ""):
            out[member] = {int(p) for p in parts.split(",") if p.strip()}
    return out


def relay_all(container) -> None:
    runner = relay_runner(container, batch_size=200)
    try:
        runner.catch_up()
    finally:
        runner.consumer.close()


def test_two_consumers_split_partitions_and_one_takes_over_when_the_other_is_killed(
    sqlite_stream_settings, tmp_path
):
    s = sqlite_stream_settings
    c = bootstrap(s)
    d = Directory(c.app)
    relay_all(c)  # creates the topic (6 partitions) before the consumers subscribe
    state, env = tmp_path / "analytics.sqlite3", cli_env(s)
    logs = {m: tmp_path / f"{m}.log" for m in ("alpha", "beta")}
    procs = {}
    for member, log in logs.items():
        procs[member] = subprocess.Popen(
            caseflow_cmd(
                "consume",
                "--group",
                "analytics-test",
                "--name",
                member,
                "--state",
                str(state),
                "--output",
                str(tmp_path / f"{member}.json"),
                "--session-timeout-ms",
                "6000",
                "--heartbeat-ms",
                "500",
                "--print-every",
                "0",
            ),
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
    try:

        def split() -> bool:
            a = latest_assignments(*logs.values())
            return (
                len(a) == 2
                and not a["alpha"] & a["beta"]
                and a["alpha"] | a["beta"] == set(range(6))
                and all(a.values())
            )

        wait_until(split, 45, "both members to be assigned partitions", logs)
        directory_head = c.log.head()  # consumed by whoever joined first
        drive(c.app, 30, directory=d)
        relay_all(c)
        reader = AnalyticsStore(state, timezone=s.timezone)
        wait_until(lambda: len(reader.seen()) == c.log.head(), 30, "the first half", logs)
        by_member: dict[str, set[int]] = {}
        for _id, _subject, position, partition, member in reader.seen():
            if position > directory_head:
                by_member.setdefault(member, set()).add(partition)
        logs_text = texts(logs)
        assert set(by_member) == {"alpha", "beta"}, logs_text
        assert not by_member["alpha"] & by_member["beta"], (by_member, logs_text)

        procs["alpha"].send_signal(signal.SIGKILL)
        procs["alpha"].wait(10)
        drive(c.app, 30, start=30, directory=d)
        relay_all(c)
        wait_until(lambda: len(reader.seen()) == c.log.head(), 60, "beta to take over", logs)
        assert latest_assignments(logs["beta"])["beta"] == set(range(6))
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            p.wait(20)

    events = c.log.read(0, 1_000_000)
    seen = reader.seen()
    assert sorted(ce_id for ce_id, *_ in seen) == sorted(str(e.id) for e in events)
    per_key: dict[str, list[int]] = {}
    for _id, subject, position, _partition, _member in seen:
        per_key.setdefault(subject, []).append(position)
    assert all(p == sorted(p) for p in per_key.values())  # processed in log order per case
    summary = orjson.loads((tmp_path / "beta.json").read_bytes())
    assert summary["events"] == len(events)
    assert summary["by_type"] == dict(Counter(ce_type(e.name) for e in events))
    assert sum(x["cases"] for x in summary["cases_by_day"]) == 60
    visits = [e for e in events if e.name == "case.visited"]
    assert sum(x["batches"] for x in summary["leader_receptions"]) == len(visits)
    assert sum(x["person_times"] for x in summary["leader_receptions"]) == sum(
        e.data["visitors"] for e in visits
    )
    reader.close()
    c.close()
