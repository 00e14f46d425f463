"""`caseflow consume` refuses to start when its state file is behind its group's committed
offsets (a lost state file would otherwise make it skip what the group had read: undercount)."""

from __future__ import annotations

import subprocess

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.kafka.analytics import AnalyticsStore
from caseflow.infra.relay import relay_runner
from tests.integration.stream.conftest import cli_env
from tests.processes import caseflow_cmd
from tests.unit.stream.scenario import drive

pytestmark = pytest.mark.kafka


def consume(settings, state, group: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        caseflow_cmd(
            "consume",
            "--group",
            group,
            "--state",
            str(state),
            "--idle-exit",
            "3",
            "--print-every",
            "0",
        ),
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_consumer_whose_state_file_was_lost_refuses_to_start(sqlite_stream_settings, tmp_path):
    s = sqlite_stream_settings
    c = bootstrap(s)
    try:
        drive(c.app, 5)
        runner = relay_runner(c, batch_size=200)
        try:
            runner.catch_up()
        finally:
            runner.consumer.close()
        head = c.log.head()
    finally:
        c.close()
    kept, group = tmp_path / "kept.sqlite3", "analytics-state-test"
    first = consume(s, kept, group)
    assert first.returncode == 0, first.stdout + first.stderr
    store = AnalyticsStore(kept)
    assert len(store.seen()) == head
    store.close()

    lost = consume(s, tmp_path / "new.sqlite3", group)  # the state file is gone
    assert lost.returncode == 2, lost.stdout + lost.stderr
    assert "behind the group's committed offsets" in lost.stderr

    again = consume(s, kept, group)  # the right file: consumes as before
    assert again.returncode == 0, again.stdout + again.stderr
