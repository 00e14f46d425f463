"""`caseflow projections status|rebuild` on SQLite (the command line over the same functions)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.settings import Settings
from tests.unit.projections.world import T0, Clock, World


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    container = bootstrap(Settings(data_dir=tmp_path / "var"), clock=Clock())
    world = World(app=container.app, clock=Clock())
    world.receive(T0)
    container.close()
    return tmp_path / "var"


def test_status_lists_every_view_with_position_head_and_lag(data_dir):
    out = CliRunner().invoke(build(), ["projections", "status", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.output)}
    assert {"case_status", "audit", "directory"} <= set(rows)
    assert rows["audit"]["head"] == 7 and rows["audit"]["lag_events"] == 7
    assert rows["audit"]["state"] == "stopped" and rows["audit"]["position"] == 0


def test_rebuild_catches_views_up_and_status_shows_the_new_generation(data_dir):
    runner = CliRunner()
    out = runner.invoke(build(), ["projections", "rebuild", "case_status", "audit"])
    assert out.exit_code == 0, out.output
    assert "switched: case_status, audit" in out.output
    rows = {
        r["name"]: r
        for r in json.loads(runner.invoke(build(), ["projections", "status", "--json"]).output)
    }
    assert rows["audit"]["generation"] == 2 and rows["audit"]["lag_events"] == 0
    assert rows["kpis"]["generation"] == 1


def test_rebuild_of_an_unknown_view_is_a_usage_error(data_dir):
    out = CliRunner().invoke(build(), ["projections", "rebuild", "nope"])
    assert out.exit_code == 2 and "unknown projection" in out.output


def test_status_table_is_printed_for_people(data_dir):
    out = CliRunner().invoke(build(), ["projections", "status"])
    assert out.exit_code == 0 and "case_status" in out.output and "lag" in out.output


def test_rebuild_in_small_windows_switches_and_a_zero_window_is_refused(data_dir):
    runner = CliRunner()
    bad = runner.invoke(build(), ["projections", "rebuild", "audit", "--commit-every", "0"])
    assert bad.exit_code == 2 and "commit-every" in bad.output
    rows = {
        r["name"]: r
        for r in json.loads(runner.invoke(build(), ["projections", "status", "--json"]).output)
    }
    assert rows["audit"]["generation"] == 1 and rows["audit"]["position"] == 0  # untouched
    out = runner.invoke(
        build(), ["projections", "rebuild", "audit", "--batch-size", "2", "--commit-every", "4"]
    )
    assert out.exit_code == 0, out.output
    rows = {
        r["name"]: r
        for r in json.loads(runner.invoke(build(), ["projections", "status", "--json"]).output)
    }
    assert rows["audit"]["generation"] == 2 and rows["audit"]["lag_events"] == 0
