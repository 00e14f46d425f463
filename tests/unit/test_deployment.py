"""The shipped deployment, checked without a Docker engine: the compose file's services run
commands the CLI takes, the API serves and the worker runs the projections, someone can sign in
from the first start, the image installs its dependencies before the code, and `make run`
installs no development tools. (Its variables against `Settings`: tests/unit/stream/
test_compose_env.py.)"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from caseflow.infra.cli import build

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def caseflow_services() -> dict[str, dict]:
    return {
        name: s
        for name, s in compose()["services"].items()
        if s.get("command", [""])[0] == "caseflow"
    }


def test_compose_runs_the_stores_the_api_the_worker_and_the_token_writer():
    assert set(compose()["services"]) == {
        "postgres",
        "kafka",
        "tokens",
        "masterkey",
        "api",
        "worker",
    }
    assert set(caseflow_services()) == {"tokens", "masterkey", "api", "worker"}


def _takes(args: list[str]) -> bool:
    """Does the CLI parse `args`? (`--help` stops it short of running the command.)"""
    return CliRunner().invoke(build(), [*args, "--help"]).exit_code == 0


@pytest.mark.parametrize("service", sorted(caseflow_services()))
def test_each_caseflow_service_runs_a_command_the_cli_takes(service):
    args = caseflow_services()[service]["command"][1:]
    assert _takes(args)
    assert not _takes([*args, "--no-such-option"])  # (the check can fail)


def test_the_api_serves_and_the_worker_runs_the_projections_and_relay():
    services = caseflow_services()
    assert services["api"]["command"] == ["caseflow", "serve", "--no-projections"]
    assert services["worker"]["command"] == ["caseflow", "worker"]
    health = " ".join(services["api"]["healthcheck"]["test"])
    assert "/health/ready" in health


def test_the_api_reads_the_tokens_file_the_tokens_service_writes_first():
    services = caseflow_services()
    written = services["tokens"]["command"][-1]
    api = services["api"]
    assert api["environment"]["CASEFLOW_TOKENS_FILE"] == written
    assert api["depends_on"]["tokens"]["condition"] == "service_completed_successfully"
    shared = {v.split(":")[0] for v in services["tokens"]["volumes"]} & {
        v.split(":")[0] for v in api["volumes"]
    }
    assert shared and shared <= set(compose()["volumes"])
    mount = next(v.split(":")[1] for v in api["volumes"] if v.split(":")[0] in shared)
    assert written.startswith(mount + "/")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert mount in dockerfile  # created and owned by the image's user, so it can be written


def test_the_image_installs_dependencies_before_copying_the_code():
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    first_install = next(
        i
        for i, x in enumerate(lines)
        if re.search(r"pip install --require-hashes -r requirements\.lock", x)
    )
    copy_code = next(i for i, x in enumerate(lines) if x.startswith("COPY caseflow"))
    assert first_install < copy_code


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_installs_no_development_tools():
    planned = subprocess.run(
        ["make", "-n", "-B", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "pip install" in planned and "caseflow serve" in planned
    assert "[dev]" not in planned and "requirements-dev.lock" not in planned


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_installs_exactly_the_locked_versions():
    planned = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    installs = [x for x in planned.splitlines() if "pip install" in x and "--upgrade pip" not in x]
    assert installs, planned
    for line in installs:  # every install is from a lock, or of Caseflow alone without resolving
        assert "--require-hashes -r requirements" in line or "--no-deps -e ." in line, line


def test_the_lock_pins_every_dependency_within_its_bounds():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for lock, wanted in (
        ("requirements.lock", project["dependencies"]),
        (
            "requirements-dev.lock",
            project["dependencies"] + project["optional-dependencies"]["dev"],
        ),
    ):
        text = (ROOT / lock).read_text(encoding="utf-8")
        pinned = {
            canonical(m.group(1)): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;]+)", text, re.MULTILINE)
        }
        assert "--hash=sha256:" in text
        for spec in wanted:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate():
                continue
            version = pinned.get(canonical(req.name))
            assert version is not None, f"{lock} does not pin {req.name}"
            assert req.specifier.contains(version, prereleases=True), (
                f"{lock} pins {req.name}=={version}, outside {req.specifier}: run `make lock`"
            )


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_a_server_with_no_way_to_authenticate_anyone_says_so(tmp_path, caplog):
    from fastapi.testclient import TestClient

    from caseflow.infra.http import create_app
    from caseflow.infra.settings import Settings

    app = create_app(settings=Settings(data_dir=tmp_path / "var"), background=False)
    with caplog.at_level(logging.WARNING, logger="caseflow.http"), TestClient(app):
        pass
    assert any("no bearer tokens" in r.getMessage() for r in caplog.records)
    caplog.clear()
    app = create_app(
        settings=Settings(data_dir=tmp_path / "var", tokens="t=op-1:operator"), background=False
    )
    with caplog.at_level(logging.WARNING, logger="caseflow.http"), TestClient(app):
        pass
    assert not any("no bearer tokens" in r.getMessage() for r in caplog.records)


def test_tokens_init_writes_a_usable_file_once(tmp_path):
    from caseflow.infra.auth import parse_tokens

    path = tmp_path / "secrets" / "tokens"
    assert CliRunner().invoke(build(), ["tokens", "init", str(path)]).exit_code == 0
    text = path.read_text(encoding="utf-8")
    roles = {p.role.value for p in parse_tokens(text.splitlines(), "tokens").values()}
    assert roles == {"operator", "supervisor", "analyst"}
    assert path.stat().st_mode & 0o077 == 0
    assert CliRunner().invoke(build(), ["tokens", "init", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == text  # kept


def test_ci_runs_the_linters_and_mypy_before_the_tests():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lint_at = ci.index('begin "lint"')
    assert lint_at < ci.index("make lint", lint_at) < ci.index('begin "make test"')
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile[makefile.index("\nlint:") :].split("\n\n")[0]
    assert "ruff check" in lint and "mypy" in lint
