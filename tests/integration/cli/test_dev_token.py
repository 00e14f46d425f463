"""`caseflow dev token`: a development token for an org registered after start, usable by a
running development server without a restart."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caseflow.domain.values import OrgLevel
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from caseflow.services.app import Actor, Context


@pytest.fixture
def dev(tmp_path, monkeypatch):
    data = tmp_path / "var"
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(data))
    monkeypatch.setenv("CASEFLOW_DEV", "1")
    return data


def _token(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(build(), ["dev", "token", *args])
    return out.exit_code, out.output


def test_a_token_minted_while_the_server_runs_works_at_once(dev):
    container = bootstrap(Settings(data_dir=dev, dev=True))
    app = create_app(container, background=False, announce=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            org = container.app.register_org(
                Context(actor=Actor("op", "operator")), name="New County", level=OrgLevel.COUNTY
            ).id
            code, output = _token("--role", "registrar", "--org", str(org))
            assert code == 0, output
            token = output.strip().splitlines()[-1]
            r = client.get("/cases", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            wrong = client.get("/cases", headers={"Authorization": f"Bearer {token}x"})
            assert wrong.status_code == 401
    finally:
        container.close()
    line = (dev / "dev-tokens.txt").read_text().splitlines()[-1]
    assert line == f"{token}=dev-registrar-{str(org)[:8]}:registrar:{org}"
    assert (dev / "dev-tokens.txt").stat().st_mode & 0o077 == 0


def test_an_unknown_org_is_a_clear_error_and_mints_nothing(dev):
    code, output = _token("--role", "handler", "--org", "00000000-0000-4000-8000-000000000000")
    assert code == 2 and "No org with id 00000000-0000-4000-8000-000000000000" in output
    assert not (dev / "dev-tokens.txt").exists()


def test_an_org_bound_role_needs_its_org(dev):
    code, output = _token("--role", "leader")
    assert code == 2 and "give --org" in output


def test_only_in_development_mode(dev, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DEV", "0")
    code, output = _token("--role", "analyst")
    assert code == 2 and "CASEFLOW_DEV=1" in output


def test_a_subject_that_breaks_the_format_is_refused(dev):
    code, output = _token("--role", "analyst", "--subject", "a:b")
    assert code == 2 and "error" in output
    assert not (dev / "dev-tokens.txt").exists()
