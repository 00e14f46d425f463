"""Processes that open the PostgreSQL store at the same moment (`serve --workers`, the processes
of `rebuild --jobs`) all create its schema: none may fail for it, on a new database or on one
whose schema exists. Threads stand in for processes: each opens the store with connections of
its own, so the server sees the same concurrent statements (without the schema lock, about a
third of these openings fail with "tuple concurrently updated")."""

from __future__ import annotations

import threading

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings

pytestmark = pytest.mark.postgres

OPENERS, ROUNDS = 4, 6


def test_stores_opened_together_all_open(fresh_postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)
    errors: list[BaseException] = []

    def open_store(together: threading.Barrier) -> None:
        together.wait()
        try:
            bootstrap(settings).close()
        except Exception as e:  # noqa: BLE001 - collected and shown by the assertion
            errors.append(e)

    for _ in range(ROUNDS):  # the first round creates the schema; the others find it there
        together = threading.Barrier(OPENERS)
        threads = [threading.Thread(target=open_store, args=(together,)) for _ in range(OPENERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
