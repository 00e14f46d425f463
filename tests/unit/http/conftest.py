"""An app over a fresh SQLite store with a small org tree and one token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from tests.backends import FrozenClock
from tests.unit.http.world import World, build_world


@pytest.fixture
def http_clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def http_container(tmp_path, http_clock: FrozenClock) -> Iterator[Container]:
    c = bootstrap(Settings(data_dir=tmp_path / "var", max_body_bytes=64_000), clock=http_clock)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def world(http_container: Container) -> World:
    return build_world(http_container)


def _client(container: Container, world: World, background: bool) -> Iterator[TestClient]:
    app = create_app(
        container, tokens=world.principals, background=background, read_wait=2.0, keepalive=0.2
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client(http_container: Container, world: World) -> Iterator[TestClient]:
    """The app without projection runners (commands, errors, the feed)."""
    yield from _client(http_container, world, background=False)


@pytest.fixture
def views_client(http_container: Container, world: World) -> Iterator[TestClient]:
    """The app with the projections running in the background (queries)."""
    yield from _client(http_container, world, background=True)
