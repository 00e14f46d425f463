"""One application name: the API (bootstrap), the CLI and the bench tools that build
`CaseflowApp` directly read and write the same event table, and a PostgreSQL store written while
the application was named after the private class `bootstrap._App` is renamed at start."""

from __future__ import annotations

import psycopg
import pytest

from caseflow.domain.values import OrgLevel
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.pgschema import LEGACY_EVENTS_TABLE, LegacyStoreConflict
from caseflow.infra.settings import Settings
from caseflow.infra.store import event_store_env, postgres_events_table
from caseflow.services.app import APP_NAME, Actor, CaseflowApp, Context

CTX = Context(actor=Actor("name-test", "operator"))


class _App(CaseflowApp):
    """The composition root's application class as it was: named after itself."""

    name = "_App"


def _write(app: CaseflowApp, n: int) -> None:
    for i in range(n):
        app.register_org(CTX, name=f"测试-{i}", level=OrgLevel.PROVINCE)


def _relations(url: str, prefix: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE left(relname, length(%s)) = %s", (prefix, prefix)
        ).fetchall()
    return sorted(r[0] for r in rows)


def test_a_subclass_keeps_the_application_name():
    class Tool(CaseflowApp):
        pass

    assert Tool.name == CaseflowApp.name == APP_NAME
    assert postgres_events_table() == "caseflow_events"


def test_the_bench_app_and_bootstrap_read_the_same_log(backend_settings: Settings):
    container = bootstrap(backend_settings)
    try:
        _write(container.app, 3)
        bench = CaseflowApp(event_store_env(backend_settings))  # as bench/*.py build it
        try:
            assert bench.recorder.events_table_name == container.app.recorder.events_table_name
            assert bench.recorder.max_notification_id() == container.log.head() == 3
            _write(bench, 1)
            assert container.log.head() == 4
        finally:
            bench.close()
        if backend_settings.database_url:
            assert container.app.recorder.events_table_name == postgres_events_table()
            assert container.app.recorder.channel_name == "caseflow_events"
    finally:
        container.close()


def test_a_store_written_under_the_old_name_is_renamed_at_start(fresh_postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)
    old = _App(event_store_env(settings))
    assert old.recorder.events_table_name == LEGACY_EVENTS_TABLE
    _write(old, 5)
    old.close()
    before = _relations(fresh_postgres_url, LEGACY_EVENTS_TABLE)
    assert {
        "_app_events",
        "_app_events_chain",
        "_app_events_pkey",
        "_app_events_notification_id_seq",
    } <= set(before)

    container = bootstrap(settings)
    try:
        assert container.log.head() == 5  # the old events, in the new table
        assert [e.name for e in container.log.read(0, 10)] == ["org.registered"] * 5
        _write(container.app, 1)  # the sequence carries on
        assert container.log.head() == 6
        assert _relations(fresh_postgres_url, LEGACY_EVENTS_TABLE) == []
        assert _relations(fresh_postgres_url, "caseflow_events") == sorted(
            "caseflow_events" + name[len(LEGACY_EVENTS_TABLE) :] for name in before
        )
        report = Integrity(settings, open_store(settings)).verify()  # the chain came along
        assert report.findings == [] and report.links == 6
    finally:
        container.close()


def test_an_empty_table_under_the_new_name_gives_way_to_the_old_log(fresh_postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)
    old = _App(event_store_env(settings))
    _write(old, 2)
    old.close()
    CaseflowApp(event_store_env(settings)).close()  # a bench tool created an empty new table
    container = bootstrap(settings)
    try:
        assert container.log.head() == 2
        assert _relations(fresh_postgres_url, LEGACY_EVENTS_TABLE) == []
    finally:
        container.close()


def test_two_logs_under_both_names_are_refused_and_left_alone(fresh_postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "var", database_url=fresh_postgres_url)
    for cls in (CaseflowApp, _App):  # (the new name first: opening it renames an old store)
        app = cls(event_store_env(settings))
        _write(app, 1)
        app.close()
    with pytest.raises(LegacyStoreConflict, match="_app_events"):
        bootstrap(settings)
    assert "_app_events" in _relations(fresh_postgres_url, LEGACY_EVENTS_TABLE)


def test_no_setting_is_read_by_the_event_store_library_too():
    """The library reads `CASEFLOW_<KEY>` before `<KEY>`: no setting of ours may be one."""
    import eventsourcing.application
    import eventsourcing.persistence
    import eventsourcing.postgres
    import eventsourcing.sqlite

    keys = {
        value
        for module in (
            eventsourcing.application,
            eventsourcing.persistence,
            eventsourcing.postgres,
            eventsourcing.sqlite,
        )
        for cls in vars(module).values()
        if isinstance(cls, type)
        for attr, value in vars(cls).items()
        if attr.isupper() and value == attr
    }
    assert {"PERSISTENCE_MODULE", "POSTGRES_DBNAME", "CIPHER_TOPIC"} <= keys
    keys.add("CIPHER_KEY")  # eventsourcing.cipher (needs pycryptodome, not installed)
    ours = {name.upper() for name in Settings.model_fields}
    assert not ours & keys
