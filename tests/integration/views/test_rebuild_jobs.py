"""`rebuild --jobs 2`: the views spread over two processes (each reads the log itself) come out
row for row as one process makes them, on SQLite and PostgreSQL; Ctrl-C on the command line stops
both processes cleanly, keeping their committed windows for the next run; and a process that
dies is reported, not waited for."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from tests.integration.views.conftest import catch_up, rows_of
from tests.processes import caseflow_cmd, spawned_children
from tests.unit.projections.world import Clock, World, day


def snapshot(views) -> dict[str, list[tuple]]:
    """Every row of every view table, as the queries see them."""
    return {
        t.name: rows_of(views, t.name, ", ".join(t.key))
        for p in views.projections.values()
        for t in p.tables
    }


def lifecycles(world: World, n: int) -> None:
    for i in range(n):
        case = world.receive(day(3, 1 + i % 8))
        world.screen(case, day(3, 12))
        if i % 4 == 3:
            continue
        world.assign(case, day(3, 13))
        world.visit(case, day(3, 14 + i % 3))
        if i % 2:
            world.resolve(case, day(4, 20))
            world.evaluate(case, day(4, 21))


def test_a_rebuild_spread_over_two_processes_gives_the_rows_of_live_processing(views, world):
    lifecycles(world, 24)
    catch_up(views)
    live = snapshot(views)
    assert len(live["audit"]) == world.log.head()
    result = views.rebuild(jobs=2, batch_size=7)
    assert sorted(result.switched) == sorted(views.projections) and not result.failed, (
        result.failed,
        result.interrupted,
    )
    assert result.events == world.log.head()
    assert {s.generation for s in views.statuses() if s.name in views.projections} == {2}
    assert snapshot(views) == live


def building(data_dir, *names: str) -> list[int]:
    """The committed positions of these views' shadow generations (0 before their first)."""
    with closing(sqlite3.connect(data_dir / "views.sqlite3", timeout=30)) as conn:
        found = dict(
            conn.execute(
                "SELECT projection, position FROM view_generations WHERE state = 'building'"
            )
        )
    return [found.get(n, 0) for n in names]


class Midway:
    """`caseflow projections rebuild --jobs 2` over a 2,000-event log, one event per read and
    per commit (slow enough to be caught midway), started and run until both of its processes
    have committed something."""

    def __init__(self, tmp_path):
        self.data_dir = tmp_path / "var"
        clock = Clock()
        container = bootstrap(Settings(data_dir=self.data_dir), clock=clock)
        lifecycles(World(app=container.app, clock=clock), 500)
        self.head = container.log.head()
        container.close()
        self.env = {**os.environ, "CASEFLOW_DATA_DIR": str(self.data_dir)}
        args = ["projections", "rebuild", "--jobs", "2", "--batch-size", "1", "--commit-every", "1"]
        self.out, self.err = tmp_path / "out.txt", tmp_path / "err.txt"
        with open(self.out, "w") as out, open(self.err, "w") as err:  # (pipes could fill)
            self.proc = subprocess.Popen(
                caseflow_cmd(*args), env=self.env, start_new_session=True, stdout=out, stderr=err
            )
        deadline = time.monotonic() + 60
        while not all(p > 0 for p in building(self.data_dir, "case_status", "audit")):
            # (a view of each process)
            assert time.monotonic() < deadline, "the rebuild never got going"
            assert self.proc.poll() is None, self.err.read_text()
            time.sleep(0.01)

    def ended(self) -> str:
        self.proc.wait(60)
        return self.err.read_text()

    def status(self) -> dict[str, dict]:
        out = subprocess.run(
            caseflow_cmd("projections", "status", "--json"),
            env=self.env,
            capture_output=True,
            text=True,
        )
        return {r["name"]: r for r in json.loads(out.stdout)}

    def resume(self) -> int:
        """Run the rebuild again to the end; the events it read."""
        again = subprocess.run(
            caseflow_cmd("projections", "rebuild", "--jobs", "2"),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        assert "switched:" in again.stdout
        rows = self.status()
        # (a view whose process had finished and switched is rebuilt once more: a new generation)
        assert all(
            r["generation"] >= 2 and r["lag_events"] == 0 and r["state"] != "failed"
            for r in rows.values()
        ), rows
        return int(again.stdout.split(" events in ")[0].split()[-1])


def test_ctrl_c_stops_a_two_process_rebuild_which_the_next_run_resumes(tmp_path):
    run = Midway(tmp_path)
    os.killpg(run.proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    err = run.ended()
    assert run.proc.returncode == 130, (run.out.read_text(), err)
    assert "interrupted" in err and "FAILED" not in err and "Traceback" not in err, err
    kept = run.status()["case_status"]["rebuild"]["position"]
    assert 0 < kept < run.head  # the committed windows are kept for the next run ...
    assert run.resume() < run.head  # ... which picks up from there


def test_a_rebuild_process_that_dies_is_reported_and_the_next_run_resumes(tmp_path):
    run = Midway(tmp_path)
    children = spawned_children(run.proc.pid)
    assert len(children) == 2
    os.kill(children[0], signal.SIGKILL)
    err = run.ended()  # the parent does not wait for it forever
    assert run.proc.returncode == 1 and "died" in err, err
    assert run.resume() <= run.head
