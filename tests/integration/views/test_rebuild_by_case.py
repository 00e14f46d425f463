"""A rebuild split by case (`projections.shares`) on the real stores: `EventLog.share` picks the
same events as `share_of` (on PostgreSQL the server picks them, by the same rule in SQL); on
PostgreSQL `rebuild --jobs 2` folds each share in its own process and comes out row for row as
live processing, also across repeat petitions and reception days whose cases fall in different
shares; and from the command line a run killed (a child dies, or Ctrl-C) keeps its plan and the
shares' positions, and the next run, with two processes or one, finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import closing

import psycopg
import pytest

from caseflow.domain.values import Decision
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.rebuild import RebuildResult
from caseflow.projections.shares import fold_share, rebuild_by_case
from caseflow.projections.source import share_of
from tests.integration.views.conftest import catch_up
from tests.integration.views.test_property_sql import KillingShares
from tests.integration.views.test_rebuild_jobs import lifecycles, snapshot
from tests.processes import caseflow_cmd, spawned_children
from tests.unit.projections.test_property import Killed
from tests.unit.projections.world import Clock, World, day


def directory_moves(world: World, month: int, d: int) -> None:
    """Directory events amid the cases: an org renamed, a leader moved and renamed."""
    app, ctx = world.app, world.ctx("operator-1", "operator")
    world.at(day(month, d))
    app.rename_org(ctx, world.city, name=f"City {month}-{d}")
    to = (world.city, world.other_city)[d % 2]  # (it starts in the city)
    app.move_leader(ctx, world.leader2, to_org_id=to, on=app.policy.local_date(day(month, d)))
    app.rename_leader(ctx, world.leader, name=f"Leader {month}-{d}", title="Mayor")


def test_each_share_of_the_log_is_the_events_share_of_names(container, world):
    """Disjoint shares, together exactly the log up to `upto` in order, each event in the share
    `share_of` gives it (the directory's in share 0), in reads of any size."""
    lifecycles(world, 20)
    directory_moves(world, 4, 3)
    lifecycles(world, 20)
    directory_moves(world, 4, 4)
    log = container.log
    head = log.head()
    everything = log.read(0, head + 1)
    assert len(everything) == head
    directory = [e for e in everything if not e.name.startswith("case.")]
    assert len(directory) >= 12  # World's orgs and leaders, and the moves
    assert len({e.aggregate_id for e in everything if e.name.startswith("case.")}) == 40

    def read_all(source, limit: int) -> list:
        out, after = [], 0
        while batch := source.read(after, limit):
            assert len(batch) <= limit
            out += batch
            after = batch[-1].position
        return out

    for shares in (1, 2, 3, 5):
        for upto in (head, head - 17, directory[-1].position, 0):
            expected = [e for e in everything if e.position <= upto]
            seen = []
            for k in range(shares):
                share = log.share(k, shares, upto)
                assert share.head() == upto
                mine = read_all(share, 1000)
                assert [e.position for e in mine] == sorted(e.position for e in mine)
                assert all(e.position <= upto for e in mine)
                assert all(share_of(e.name, e.aggregate_id, shares) == k for e in mine)
                if k:
                    assert not {e.position for e in mine} & {e.position for e in directory}
                for limit in range(1, 8) if upto == head - 17 else ():
                    # small reads give the same events
                    assert read_all(log.share(k, shares, upto), limit) == mine
                seen += mine
            # disjoint, and together the log up to `upto`, event for event
            assert sorted(seen, key=lambda e: e.position) == expected
            assert len({e.position for e in seen}) == len(seen)
            if shares > 1 and upto == head:  # (40 random case ids: every share has some)
                assert all(log.share(k, shares, upto).read(0, head) for k in range(shares))
    zero = read_all(log.share(0, 3, head), 4)
    assert {e.position for e in directory} <= {e.position for e in zero}


# ---------------------------------------------------------------- PostgreSQL, processes


@pytest.fixture
def pg(fresh_postgres_url: str, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)


def plan_rows(url: str) -> list[tuple]:
    """(projection, generation, share, shares, target, position) of every split shadow."""
    with closing(psycopg.connect(url)) as conn:
        return conn.execute(
            "SELECT projection, generation, share, shares, target, position FROM view_shares "
            "ORDER BY projection, share"
        ).fetchall()


def in_shares(world: World, shares: int, want: int) -> list:
    """Cases received until `want` of each share have come (case ids are random)."""
    got: dict[int, list] = {k: [] for k in range(shares)}
    while min(len(v) for v in got.values()) < want:
        case = world.receive(day(3, 2))
        got[share_of("case.registered", case, shares)].append(case)
    return [got[k][:want] for k in range(shares)]


def test_two_processes_split_by_case_give_the_rows_of_live_processing(pg):
    """Repeat petitions naming a prior case of the other share, and one leader's visits on one
    day to cases of both shares (one reception day, counted at the merge)."""
    clock = Clock()
    container = bootstrap(pg, clock=clock)
    try:
        world = World(app=container.app, clock=clock)
        lifecycles(world, 12)
        first, second = in_shares(world, 2, 3)
        for case in first + second:
            world.screen(case, day(3, 5))
            world.assign(case, day(3, 6))
        for case in first + second:  # the same leader, the same day, both shares
            world.visit(case, day(3, 9))
        for a in first:
            world.resolve(a, day(3, 20))
            world.close(a, day(3, 21), waived=True)
        repeats = [world.receive(day(4, 2), prior=a) for a in first]  # names a closed case
        repeats += [world.receive(day(4, 3), prior=b) for b in second]  # or an open one
        for case in repeats[:2]:  # (a repeat of a final case must be rejected)
            world.screen(case, day(4, 6), decision=Decision.REJECT)
        shares_of = {share_of("case.registered", c, 2) for c in repeats}
        assert shares_of == {0, 1}
        views = container.views
        catch_up(views)
        live = snapshot(views)
        assert len(live["kpis_repeats"]) == len(repeats)
        assert max(r[-1] for r in live["leader_stats_days"]) >= 6  # (leader, day, visits)
        head = container.log.head()

        result = views.rebuild(jobs=2, batch_size=3)
        assert not result.failed and not result.interrupted, result.failed
        assert sorted(result.switched) == sorted(views.projections)
        # each share read its own events, then none were left after the target: each event once
        assert result.events == head
        assert {s.generation for s in views.statuses() if s.name in views.projections} == {2}
        assert snapshot(views) == live
        assert plan_rows(pg.database_url) == []
    finally:
        container.close()


class PgMidway:
    """`caseflow projections rebuild --jobs 2` on PostgreSQL over a few hundred lifecycles, one
    event per read and per commit, started and run until both shares have committed something.
    `live`: every view's rows, caught up, before the rebuild."""

    def __init__(self, settings: Settings, tmp_path, n: int = 200):
        self.url = settings.database_url
        assert self.url
        clock = Clock()
        container = bootstrap(settings, clock=clock)
        try:
            lifecycles(World(app=container.app, clock=clock), n)
            catch_up(container.views)
            self.live = snapshot(container.views)
            self.head = container.log.head()
        finally:
            container.close()
        self.settings = settings
        self.env = {
            **os.environ,
            "CASEFLOW_DATA_DIR": str(settings.data_dir),
            "CASEFLOW_DATABASE_URL": self.url,
        }
        args = ["projections", "rebuild", "--jobs", "2", "--batch-size", "1", "--commit-every", "1"]
        self.err = tmp_path / "err.txt"
        with open(tmp_path / "out.txt", "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                caseflow_cmd(*args), env=self.env, start_new_session=True, stdout=out, stderr=err
            )
        deadline = time.monotonic() + 60
        while not self.both_going():
            assert time.monotonic() < deadline, "the rebuild never got going"
            assert self.proc.poll() is None, self.err.read_text()
            time.sleep(0.01)

    def both_going(self) -> bool:
        try:
            rows = plan_rows(self.url)
        except psycopg.errors.UndefinedTable:
            return False
        return {r[2] for r in rows if r[5] > 0} == {0, 1}

    def ended(self) -> str:
        self.proc.wait(60)
        return self.err.read_text()

    def resume(self, jobs: int) -> subprocess.CompletedProcess:
        again = subprocess.run(
            caseflow_cmd("projections", "rebuild", "--jobs", str(jobs)),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert again.returncode == 0, again.stderr
        return again

    def rows(self) -> dict:
        container = bootstrap(self.settings)
        try:
            return snapshot(container.views)
        finally:
            container.close()

    def plan_kept(self) -> list[tuple]:
        """The plan rows left by the stopped run: every view split in two, to the head, each
        share part way (none merged, none at the target in both)."""
        rows = plan_rows(self.url)
        names = {r[0] for r in rows}
        assert names == set(self.live_views()), rows
        assert all(r[3] == 2 and r[4] == self.head for r in rows), rows
        assert all(r[5] < r[4] for r in rows if r[2] == 1) or all(
            r[5] < r[4] for r in rows if r[2] == 0
        ), rows
        assert any(r[5] > 0 for r in rows), rows
        return rows

    def live_views(self) -> list[str]:
        from caseflow.projections import registry

        return registry.names()


def test_a_dead_share_process_is_reported_and_the_next_run_with_two_finishes(pg, tmp_path):
    run = PgMidway(pg, tmp_path)
    children = spawned_children(run.proc.pid)
    assert len(children) == 2
    os.kill(children[1], signal.SIGKILL)
    err = run.ended()
    assert run.proc.returncode == 1 and "died" in err, err
    kept = run.plan_kept()
    again = run.resume(jobs=2)
    assert "switched:" in again.stdout
    # the next run went on from the positions kept: it read fewer events than the log holds
    assert int(again.stdout.split(" events in ")[0].split()[-1]) < run.head, (kept, again.stdout)
    assert plan_rows(run.url) == []
    assert run.rows() == run.live


def test_after_a_dead_share_process_a_run_with_one_folds_the_shares_in_turn(pg, tmp_path):
    run = PgMidway(pg, tmp_path)
    os.kill(spawned_children(run.proc.pid)[0], signal.SIGKILL)
    err = run.ended()
    assert run.proc.returncode == 1 and "died" in err, err
    run.plan_kept()
    again = run.resume(jobs=1)
    assert "switched:" in again.stdout
    assert plan_rows(run.url) == []
    assert run.rows() == run.live


def test_ctrl_c_keeps_the_plan_and_the_next_run_resumes_it(pg, tmp_path):
    run = PgMidway(pg, tmp_path)
    os.killpg(run.proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    err = run.ended()
    assert run.proc.returncode == 130, err
    assert "interrupted" in err and "FAILED" not in err and "Traceback" not in err, err
    run.plan_kept()
    again = run.resume(jobs=2)
    assert int(again.stdout.split(" events in ")[0].split()[-1]) < run.head
    assert plan_rows(run.url) == []
    assert run.rows() == run.live


def test_a_share_process_dying_after_the_other_finished_switches_nothing(pg, tmp_path):
    """One process paused (SIGSTOP) until the other has folded its whole share and ended, then
    killed: the run fails without carrying the half-folded generations on, and switches none
    (the rows served are live's); the next run folds the share left and finishes."""
    run = PgMidway(pg, tmp_path)
    paused, other = spawned_children(run.proc.pid)
    deadline = time.monotonic() + 120
    while os.path.exists(f"/proc/{other}"):  # the other folds its share to the target, and ends
        assert time.monotonic() < deadline, plan_rows(run.url)
        os.kill(paused, signal.SIGSTOP)
        before = plan_rows(run.url)
        time.sleep(1)
        if plan_rows(run.url) == before and os.path.exists(f"/proc/{other}"):
            # (paused holding a row the other needs: let it go on a little)
            os.kill(paused, signal.SIGCONT)
            time.sleep(0.02)
    rows = plan_rows(run.url)
    done = {r[2] for r in rows if r[5] == r[4]} - {r[2] for r in rows if r[5] < r[4]}
    assert len(done) == 1, rows  # one share at the target in every view, the other short of it
    os.kill(paused, signal.SIGKILL)
    err = run.ended()
    assert run.proc.returncode == 1 and "died" in err, err
    assert plan_rows(run.url) == rows  # nothing merged, nothing carried on
    assert run.rows() == run.live  # the old generations serve, untouched
    again = run.resume(jobs=2)
    assert "switched:" in again.stdout
    assert plan_rows(run.url) == []
    assert run.rows() == run.live


def test_a_share_that_failed_after_the_others_finished_is_not_carried_on(views, world, container):
    """The same in this process, on both stores: the shares folded by a `fold_all` that folds
    share 0 to the target and reports share 1's process dead (what `rebuild_in_processes`
    returns then). Nothing is switched or changed; the next run finishes."""
    lifecycles(world, 30)
    catch_up(views)
    live = snapshot(views)
    projections = list(views.projections.values())

    def share_1_died(names: list[str], shares: int) -> RebuildResult:
        done = fold_share([views.projections[n] for n in names], views.store, container.log, 0)
        done.failed["group 1"] = RuntimeError("rebuild process for share 1 of … died")
        return done

    result = rebuild_by_case(projections, views.store, container.log, 2, share_1_died)
    assert result.switched == [] and list(result.failed) == ["group 1"], result.failed
    assert {s.generation for s in views.statuses() if s.name in views.projections} == {1}
    assert snapshot(views) == live
    for p in projections:  # the plan kept: share 0 at the target, share 1 where it was
        plan = views.store.share_plan(p.name, 2)
        assert plan is not None and plan.positions == (container.log.head(), 0), (p.name, plan)
    again = rebuild_by_case(projections, views.store, container.log, 2)
    assert sorted(again.switched) == sorted(views.projections) and not again.failed
    assert snapshot(views) == live


def test_events_written_while_the_shares_fold_come_after_the_target(views, world, container):
    """The log grows after the plan fixed its target (a server writing during the rebuild):
    the shares stop at the target, the ordinary rebuild carries the merged generations on past
    it, and the rows are live's once live has caught up too."""
    lifecycles(world, 16)
    catch_up(views)
    target = container.log.head()
    projections = list(views.projections.values())

    def meanwhile(names: list[str], shares: int) -> RebuildResult:
        first, second = in_shares(world, 2, 2)
        repeat = world.receive(world.clock.now, prior=first[0])
        for case in [*first, *second, repeat]:
            world.screen(case, world.clock.now)
            world.assign(case, world.clock.now)
            world.visit(case, world.clock.now)
        assert container.log.head() > target
        out = RebuildResult()
        for k in range(shares):
            part = fold_share([views.projections[n] for n in names], views.store, container.log, k)
            out.events += part.events
        return out

    result = rebuild_by_case(projections, views.store, container.log, 2, meanwhile, batch_size=4)
    assert sorted(result.switched) == sorted(views.projections) and not result.failed
    assert result.events == container.log.head()  # up to the target in shares, then the rest
    for p in projections:  # live catches up too (as fresh consumers: the generations moved)
        consumer = ProjectionConsumer(p, views.store)
        while consumer.position() < container.log.head():
            consumer.handle(container.log.read(consumer.position(), 50))
    rebuilt = snapshot(views)
    assert views.rebuild(batch_size=1000).switched  # an ordinary whole rebuild agrees
    assert snapshot(views) == rebuilt


def test_a_restart_discards_a_split_rebuild_with_its_plan(views, world, container):
    """`rebuild --restart` after a split run was killed: the shadows and their plan go, and a
    new split run starts from 0 in new generations and ends with live's rows."""
    lifecycles(world, 16)
    catch_up(views)
    live = snapshot(views)
    projections = list(views.projections.values())
    try:
        rebuild_by_case(projections, views.store, KillingShares(container.log, 3), 2, batch_size=5)
    except Killed:
        for p in projections:
            views.store.lock(f"rebuild-{p.name}").release()  # they die with the process
    assert all(views.store.share_plan(p.name, 2) for p in projections)
    for p in projections:
        views.store.discard_rebuild(p.name)
    assert not any(views.store.share_plan(p.name, 2) for p in projections)
    assert plan_count(views) == 0
    result = rebuild_by_case(projections, views.store, container.log, 3, batch_size=5)
    assert sorted(result.switched) == sorted(views.projections) and not result.failed
    assert result.events == container.log.head()  # from 0 again
    assert {s.generation for s in views.statuses() if s.name in views.projections} == {3}
    assert snapshot(views) == live
    assert plan_count(views) == 0


def plan_count(views) -> int:
    with views.queries.reading() as conn:
        return conn.execute("SELECT COUNT(*) FROM view_shares").fetchone()[0]
