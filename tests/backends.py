"""Fixtures that run one test suite against every storage backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.settings import Settings


class FrozenClock:
    """A settable clock for tests: `clock.now = ...` or `clock.advance(days=3)`."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgres"])
def backend_settings(request: pytest.FixtureRequest, tmp_path) -> Settings:
    """Settings for a fresh, empty store on each backend in turn."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "var")
    url = request.getfixturevalue("fresh_postgres_url")
    return Settings(data_dir=tmp_path / "var", database_url=url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def container(backend_settings: Settings, clock: FrozenClock) -> Iterator[Container]:
    c = bootstrap(backend_settings, clock=clock)
    try:
        yield c
    finally:
        c.close()
