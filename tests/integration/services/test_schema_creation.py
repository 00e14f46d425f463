"""Processes that open the PostgreSQL store at the same moment (`serve --workers`, the processes
of `rebuild --jobs`) all create its schema: none may fail for it, on a new database or on one
whose schema exists. Threads stand in for processes: each opens the store with connections of
its own, so the server sees the same concurrent statements (without the schema lock, about a
third of these openings fail with "tuple concurrently updated")."""

from __future__ import annotations

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from tests.together import at_once

pytestmark = pytest.mark.postgres

ROUNDS = 6


def test_stores_opened_together_all_open(fresh_postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)
    for _ in range(ROUNDS):  # the first round creates the schema; the others find it there
        assert at_once(lambda: bootstrap(settings).close()) == []
