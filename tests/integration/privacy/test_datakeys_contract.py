"""The `DataKeyStore` port: the same cases against the in-memory fake and the real tables on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.privacy.datakeys import DataKeyStore, MemoryDataKeys, data_key_store

AT = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def keys(request: pytest.FixtureRequest, tmp_path) -> Iterator[DataKeyStore]:
    if request.param == "memory":
        yield MemoryDataKeys()
        return
    from caseflow.infra.settings import Settings

    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    c = bootstrap(Settings(data_dir=tmp_path / "var", database_url=url))
    try:
        yield data_key_store(c.app.recorder)
    finally:
        c.close()


def test_a_key_is_added_once_and_read_back(keys):
    case = uuid4()
    assert keys.get(case) is None
    first = keys.add(case, "k1", b"wrapped-1", AT)
    second = keys.add(case, "k1", b"wrapped-2", AT)  # a second writer loses, the first stays
    assert first.wrapped == second.wrapped == b"wrapped-1"
    assert keys.get(case) == first and first.master_key_id == "k1" and first.erased_at is None


def test_a_destroyed_key_is_gone_for_good(keys):
    case = uuid4()
    keys.add(case, "k1", b"wrapped", AT)
    assert keys.destroy(case, AT) is True
    row = keys.get(case)
    assert row is not None and row.wrapped is None and row.erased_at is not None
    assert keys.destroy(case, AT) is False
    assert keys.rewrap(case, b"wrapped", "k2", b"again") is False  # never brought back
    assert keys.master_key_ids() == set()


def test_rewrap_replaces_only_an_unchanged_key(keys):
    case = uuid4()
    keys.add(case, "k1", b"old", AT)
    assert keys.rewrap(case, b"stale", "k2", b"new") is False
    assert keys.rewrap(case, b"old", "k2", b"new") is True
    row = keys.get(case)
    assert row is not None and (row.master_key_id, row.wrapped) == ("k2", b"new")
    assert keys.master_key_ids() == {"k2"}


def test_pages_walk_every_row_once_in_case_order(keys):
    cases = [uuid4() for _ in range(7)]
    for case in cases:
        keys.add(case, "k1", case.bytes, AT)
    seen, after = [], None
    while rows := keys.page(after, 3):
        seen += [r.case_id for r in rows]
        after = rows[-1].case_id
    assert seen == sorted(cases, key=lambda c: c.hex)
