"""Fixtures for tests that need a real PostgreSQL server or Kafka broker.

Where the services come from, in order:

1. ``CASEFLOW_TEST_DATABASE_URL`` / ``CASEFLOW_TEST_KAFKA_BOOTSTRAP`` -- already running servers,
   e.g. the ones ``scripts/services.sh start`` runs on 127.0.0.1
   (``eval "$(scripts/services.sh env)"`` sets both).
2. A reachable Docker engine -- throwaway containers started with testcontainers.
3. Neither -- the tests that need them are skipped.

``CASEFLOW_REQUIRE_SERVICES=1`` (CI sets it) turns a missing service into a failure and any
skipped test into a failed one, so that a green run means every service test really ran.

Registered from ``tests/conftest.py`` through ``pytest_plugins``.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services.sh"

DATABASE_URL_ENV = "CASEFLOW_TEST_DATABASE_URL"
KAFKA_BOOTSTRAP_ENV = "CASEFLOW_TEST_KAFKA_BOOTSTRAP"
REQUIRE_ENV = "CASEFLOW_REQUIRE_SERVICES"

POSTGRES_IMAGE = "postgres:16"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"  # what testcontainers' KafkaContainer knows how to boot


def require_services() -> bool:
    """True when a missing service (or any skipped test) must fail the run."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(message: str) -> None:
    """Skip the requesting test -- or fail it when services are required."""
    if require_services():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 requires it)", pytrace=False)
    pytest.skip(message)


def _docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _wait_budget() -> float:
    """Seconds to wait for a configured service to answer before giving up on it.

    Generous when services are required: a broker that is in the middle of a restart (a test
    that stops and starts it, or an operator) must not fail the whole session.
    """
    return 90.0 if require_services() else 5.0


def _kafka_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """True when ``host:port`` answers a Kafka ApiVersions (v0) request."""
    client_id = b"caseflow-tests"
    body = struct.pack(">hhih", 18, 0, 0x43460001, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = b""
            while len(header) < 8:
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    return False
                header += chunk
    except OSError:
        return False
    return struct.unpack(">ii", header)[1] == 0x43460001


def _bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    addresses = []
    for item in bootstrap.split(","):
        host, _, port = item.strip().rpartition(":")
        addresses.append((host.strip("[]") or "127.0.0.1", int(port or 9092)))
    return addresses


def _postgres_check(url: str) -> str | None:
    """None when ``url`` answers ``select 1``; otherwise why not."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("select 1").fetchone()
    except Exception as exc:  # any failure means "not usable"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL (``postgresql://user:pass@host:port/db``) of a server where the user may create DBs."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        deadline = time.monotonic() + _wait_budget()
        while (problem := _postgres_check(url)) and time.monotonic() < deadline:
            time.sleep(1)
        if problem:
            _unavailable(f"PostgreSQL at {DATABASE_URL_ENV} is not reachable: {problem}")
        yield url
        return
    if _docker_available():
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(POSTGRES_IMAGE, driver=None)
        container.start()
        try:
            yield container.get_connection_url()
        finally:
            container.stop()
        return
    _unavailable(
        f"no PostgreSQL: set {DATABASE_URL_ENV} (scripts/services.sh start; "
        'eval "$(scripts/services.sh env)") or make a Docker engine reachable'
    )


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the test server for one test; dropped afterwards."""
    import psycopg
    from psycopg import sql

    dbname = f"caseflow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        yield _with_database(postgres_url, dbname)
    finally:
        with psycopg.connect(postgres_url, autocommit=True, connect_timeout=5) as conn:
            # FORCE ends connections a test may have leaked (PostgreSQL 13+).
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )


# ----------------------------------------------------------------------- Kafka


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers (``host:port[,host:port]``) of a Kafka broker that auto-creates topics."""
    bootstrap = os.environ.get(KAFKA_BOOTSTRAP_ENV)
    if bootstrap:
        addresses = _bootstrap_addresses(bootstrap)
        deadline = time.monotonic() + _wait_budget()
        while not any(_kafka_answers(h, p) for h, p in addresses):
            if time.monotonic() >= deadline:
                _unavailable(
                    f"Kafka at {KAFKA_BOOTSTRAP_ENV}={bootstrap} does not answer "
                    f"(waited {_wait_budget():.0f}s)"
                )
            time.sleep(1)
        yield bootstrap
        return
    if _docker_available():
        from testcontainers.community.kafka import KafkaContainer

        container = KafkaContainer(KAFKA_IMAGE).with_kraft()
        container.with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
        container.with_env("KAFKA_NUM_PARTITIONS", "6")
        container.start(timeout=120)
        try:
            yield container.get_bootstrap_server()
        finally:
            container.stop()
        return
    _unavailable(
        f"no Kafka: set {KAFKA_BOOTSTRAP_ENV} (scripts/services.sh start; "
        'eval "$(scripts/services.sh env)") or make a Docker engine reachable'
    )


@pytest.fixture
def kafka_topic(kafka_bootstrap: str) -> str:
    """A new topic (6 partitions) with a unique name, for one test."""
    from kafka.admin import KafkaAdminClient, NewTopic

    name = f"caseflow.test.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30_000)
    try:
        admin.create_topics([NewTopic(name, num_partitions=6, replication_factor=1)])
    finally:
        admin.close()
    return name


class KafkaControl:
    """Stops and starts the broker managed by ``scripts/services.sh`` (data is kept)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.running = True

    def _run(self, verb: str, timeout: float) -> None:
        started = time.monotonic()
        result = subprocess.run(
            ["bash", str(SERVICES_SCRIPT), verb],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"scripts/services.sh {verb} exited {result.returncode} after "
                f"{time.monotonic() - started:.1f}s:\n{result.stdout}{result.stderr}"
            )

    def stop(self) -> None:
        self._run("stop-kafka", timeout=90)
        self.running = False

    def start(self) -> None:
        """Start the broker and return once it answers requests."""
        self._run("start-kafka", timeout=120)
        self.running = True

    def restart(self) -> None:
        self.stop()
        self.start()


def _scripts_manage(bootstrap: str) -> bool:
    """True when ``bootstrap`` is the broker that ``scripts/services.sh`` runs."""
    try:
        env_out = subprocess.run(
            ["bash", str(SERVICES_SCRIPT), "env"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        status = subprocess.run(
            ["bash", str(SERVICES_SCRIPT), "status-kafka"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    line = next((ln for ln in env_out.splitlines() if KAFKA_BOOTSTRAP_ENV in ln), "")
    ours = line.partition("=")[2].strip().strip("'\"")
    return status.returncode == 0 and ours == bootstrap.strip()


@pytest.fixture
def kafka_control(kafka_bootstrap: str) -> Iterator[KafkaControl]:
    """``stop()`` / ``start()`` / ``restart()`` the broker, for tests that outlive an outage.

    Only possible for the broker run by ``scripts/services.sh``; skipped (failed under
    ``CASEFLOW_REQUIRE_SERVICES=1``) otherwise. The broker is running again after the test.
    """
    if not _scripts_manage(kafka_bootstrap):
        _unavailable(
            f"Kafka at {kafka_bootstrap} is not the broker run by scripts/services.sh, "
            "so it cannot be stopped and started"
        )
    control = KafkaControl(kafka_bootstrap)
    try:
        yield control
    finally:
        if not control.running:
            control.start()


# ------------------------------------------ CASEFLOW_REQUIRE_SERVICES: no skips


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if require_services() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but {REQUIRE_ENV}=1 forbids skips: {reason}"


def pytest_collectreport(report):
    if require_services() and report.skipped:
        _skipped_collections.append(report.nodeid)


_skipped_collections: list[str] = []


def pytest_sessionfinish(session, exitstatus):
    if not require_services():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if (_skipped_collections or skipped) and session.exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if require_services() and _skipped_collections:
        terminalreporter.write_line(
            f"{REQUIRE_ENV}=1: {len(_skipped_collections)} module(s) skipped at collection, "
            "which counts as a failure: " + ", ".join(_skipped_collections),
            red=True,
        )
