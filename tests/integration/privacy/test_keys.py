"""Master keys on SQLite and PostgreSQL: a wrong or missing key stops the start with an error
naming the setting; rotation rewraps every data key while reads and writes go on; the retention
rule erases what was closed long enough ago."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.privacy.erasure import (
    due_for_retention,
    erase_case,
    rotate_master_key,
    years_before,
)
from caseflow.infra.privacy.masterkey import MasterKeyError, key_id, write_key_file
from caseflow.infra.settings import Settings
from tests.backends import FrozenClock
from tests.processes import caseflow_cmd
from tests.unit.stream.scenario import PII_MARK, drive


def _key() -> bytes:
    return os.urandom(32)


def _with(settings: Settings, key: bytes, **more: object) -> Settings:
    return settings.model_copy(
        update={
            "master_key": SecretStr(base64.b64encode(key).decode()),
            "master_key_file": None,
            **more,
        }
    )


def _petitioners(container, case_id) -> tuple:
    return next(iter(container.app.events.get(case_id, lte=1))).petitioners


def _cases(container) -> list:
    return [e.aggregate_id for e in container.log.read(0, 10_000) if e.name == "case.received"]


def test_a_wrong_master_key_stops_the_start_naming_the_setting(backend_settings):
    right, wrong = _key(), _key()
    c = bootstrap(_with(backend_settings, right))
    drive(c.app, 1)
    c.close()
    with pytest.raises(MasterKeyError) as caught:
        bootstrap(_with(backend_settings, wrong))
    message = str(caught.value)
    assert "CASEFLOW_MASTER_KEY" in message and key_id(right) in message
    assert base64.b64encode(wrong).decode() not in message  # names the key, never shows it
    c = bootstrap(_with(backend_settings, right))  # the right key still opens everything
    try:
        assert PII_MARK in _petitioners(c, _cases(c)[0])[0].name
    finally:
        c.close()


@pytest.mark.parametrize(
    "value, says", [("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "5 bytes")]
)
def test_a_malformed_master_key_is_refused_naming_the_setting(tmp_path, value, says):
    settings = Settings(data_dir=tmp_path, master_key=SecretStr(value))
    with pytest.raises(MasterKeyError, match=f"CASEFLOW_MASTER_KEY: .*{says}"):
        bootstrap(settings)


def test_postgres_without_a_master_key_refuses_to_start(fresh_postgres_url, tmp_path):
    settings = Settings(
        data_dir=tmp_path, database_url=fresh_postgres_url, master_key=None, master_key_file=None
    )
    with pytest.raises(MasterKeyError, match="CASEFLOW_MASTER_KEY_FILE .* is not set"):
        bootstrap(settings)


def test_the_embedded_store_makes_a_development_key_once(tmp_path):
    settings = Settings(data_dir=tmp_path, master_key=None, master_key_file=None)
    c = bootstrap(settings)
    drive(c.app, 1)
    c.close()
    key_file = tmp_path / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = key_file.read_bytes()
    c = bootstrap(settings)
    try:
        assert key_file.read_bytes() == first
        assert PII_MARK in _petitioners(c, _cases(c)[0])[0].name
    finally:
        c.close()


def test_the_cli_reports_a_wrong_key_as_an_error_not_a_traceback(tmp_path):
    c = bootstrap(
        Settings(data_dir=tmp_path, master_key=SecretStr(base64.b64encode(_key()).decode()))
    )
    drive(c.app, 1)
    c.close()
    env = {
        **os.environ,
        "CASEFLOW_DATA_DIR": str(tmp_path),
        "CASEFLOW_MASTER_KEY": base64.b64encode(_key()).decode(),
    }
    run = subprocess.run(
        caseflow_cmd("projections", "status"), env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: CASEFLOW_MASTER_KEY") and "Traceback" not in run.stderr


def test_rotation_rewraps_every_key_while_reads_and_writes_go_on(backend_settings, tmp_path):
    old, new = _key(), _key()
    old_file = tmp_path / "old.key"
    write_key_file(old_file, old)
    c = bootstrap(_with(backend_settings, old))
    directory = drive(c.app, 12)
    c.close()
    # the server restarted with the new key first and the old one named as previous
    both = _with(backend_settings, new, previous_master_key_files=str(old_file))
    server, rotator = bootstrap(both), bootstrap(both)
    cases = _cases(server)
    stop, failures, reads = threading.Event(), [], [0]

    def read() -> None:
        while not stop.is_set():
            for case in cases:
                try:
                    assert PII_MARK in _petitioners(server, case)[0].name
                    reads[0] += 1
                except Exception as e:  # noqa: BLE001 - collected and asserted below
                    failures.append(repr(e))

    def write() -> None:
        i = 100
        while not stop.is_set():
            try:
                drive(server.app, 1, start=i, directory=directory)
            except Exception as e:  # noqa: BLE001
                failures.append(repr(e))
            i += 1

    threads = [
        threading.Thread(target=read),
        threading.Thread(target=read),
        threading.Thread(target=write),
    ]
    for t in threads:
        t.start()
    try:
        sealer = rotator.sealer
        done = rotate_master_key(sealer.keys, sealer.master, batch=3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == [] and reads[0] > len(cases)
    assert done.rewrapped >= 12
    assert sealer.keys.master_key_ids() == {key_id(new)}
    server.close()
    rotator.close()
    with pytest.raises(MasterKeyError):  # the old key alone opens nothing now
        bootstrap(_with(backend_settings, old))
    c = bootstrap(_with(backend_settings, new))  # the new one alone opens everything
    try:
        for case in _cases(c):
            assert PII_MARK in _petitioners(c, case)[0].name
    finally:
        c.close()


def test_retention_erases_cases_closed_more_than_the_years_ago(backend_settings):
    clock = FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    c = bootstrap(backend_settings, clock=clock)
    try:
        drive(c.app, 4, now=clock.now)  # 0 closed, 2 closed and erased, 1 and 3 resolved
        cases = _cases(c)
        clock.advance(days=365 * 2 + 1)
        drive(c.app, 4, start=4, now=clock.now)  # closed just now: not due
        assert due_for_retention(c.log, years_before(clock(), 3)) == []
        due = due_for_retention(c.log, years_before(clock(), 1))
        assert due == [cases[0]]
        for case in due:
            erase_case(c, case, "retention: closed more than a year ago")
        assert due_for_retention(c.log, years_before(clock(), 1)) == []
        for case in due:
            assert _petitioners(c, case) == ()
        assert PII_MARK in _petitioners(c, cases[1])[0].name  # open cases keep theirs
    finally:
        c.close()


def test_rotation_over_the_cli_leaves_no_old_key(tmp_path):
    old, new = tmp_path / "old.key", tmp_path / "new.key"
    write_key_file(old)
    write_key_file(new)
    data = tmp_path / "var"
    c = bootstrap(Settings(data_dir=data, master_key=None, master_key_file=old))
    drive(c.app, 2)
    c.close()
    env = {
        **os.environ,
        "CASEFLOW_DATA_DIR": str(data),
        "CASEFLOW_MASTER_KEY": "",
        "CASEFLOW_MASTER_KEY_FILE": str(new),
        "CASEFLOW_PREVIOUS_MASTER_KEY_FILES": str(old),
    }
    run = subprocess.run(
        caseflow_cmd("privacy", "rotate-key"), env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "rewrapped 2 data key(s)" in run.stdout
    assert Path(old).exists()  # a key file is never deleted by Caseflow
    c = bootstrap(Settings(data_dir=data, master_key=None, master_key_file=new))
    try:
        assert all(PII_MARK in _petitioners(c, k)[0].name for k in _cases(c))
    finally:
        c.close()


def test_a_case_stored_before_sealing_is_not_erased_but_named(tmp_path):
    from eventsourcing.persistence import Mapper

    from caseflow.domain.errors import RuleViolation

    c = bootstrap(Settings(data_dir=tmp_path))
    c.app.mapper = c.app.events.mapper = Mapper(c.app.mapper.transcoder)  # as before sealing
    drive(c.app, 1)
    case = _cases(c)[0]
    c.close()
    c = bootstrap(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(RuleViolation, match="encrypt-existing"):
            erase_case(c, case, "asked")
        assert c.app.case(case).erased_at is None  # no erasure recorded that did not happen
    finally:
        c.close()


def test_the_retention_command_needs_its_setting_and_lists_what_is_due(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from caseflow.infra.cli import build

    c = bootstrap(Settings(data_dir=tmp_path))
    drive(c.app, 3)
    c.close()
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path))
    run = CliRunner().invoke(build(), ["privacy", "retention", "--dry-run"])
    assert run.exit_code == 2 and "CASEFLOW_RETENTION_YEARS" in run.output
    monkeypatch.setenv("CASEFLOW_RETENTION_YEARS", "1")
    run = CliRunner().invoke(build(), ["privacy", "retention", "--dry-run"])
    assert run.exit_code == 0 and "0 case(s) closed before" in run.output  # closed today


def test_new_key_writes_a_key_once_and_if_missing_keeps_it(tmp_path):
    from typer.testing import CliRunner

    from caseflow.infra.cli import build

    path = tmp_path / "secrets" / "master.key"
    first = CliRunner().invoke(build(), ["privacy", "new-key", str(path)])
    assert first.exit_code == 0 and path.stat().st_mode & 0o777 == 0o600
    key = path.read_bytes()
    again = CliRunner().invoke(build(), ["privacy", "new-key", str(path)])
    assert again.exit_code == 2 and "never overwritten" in again.output
    kept = CliRunner().invoke(build(), ["privacy", "new-key", "--if-missing", str(path)])
    assert kept.exit_code == 0 and path.read_bytes() == key
