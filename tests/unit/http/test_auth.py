"""Bearer tokens: parsing entries from a file and the environment, and development tokens."""

from __future__ import annotations

from uuid import uuid4

import pytest

from caseflow.infra.auth import (
    TokenConfigError,
    dev_env,
    dev_tokens,
    load_tokens,
    parse_entry,
)
from caseflow.infra.settings import Settings
from caseflow.services.authz import Role


def test_an_entry_maps_a_token_to_subject_role_and_org():
    org = uuid4()
    token, p = parse_entry(f"s3cret=alice:handler:{org}", "test")
    assert (token, p.subject, p.role, p.org_id) == ("s3cret", "alice", Role.HANDLER, org)


def test_the_org_is_optional():
    _, p = parse_entry("t=bob:analyst", "test")
    assert p.org_id is None


@pytest.mark.parametrize(
    "entry, problem",
    [
        ("no-equals-sign", "expected token=subject:role"),
        ("t=alice:wizard", "unknown role 'wizard'"),
        ("t=alice:handler:not-a-uuid", "is not a UUID"),
        ("=alice:handler", "expected token=subject:role"),
    ],
)
def test_bad_entries_say_what_is_wrong(entry, problem):
    with pytest.raises(TokenConfigError, match=problem):
        parse_entry(entry, "CASEFLOW_TOKENS")


def test_tokens_come_from_the_file_and_the_setting(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("# staff\nfile-token=carol:supervisor\n\n", encoding="utf-8")
    book = load_tokens(Settings(tokens_file=path, tokens="env-token=dan:operator"))
    assert book.lookup("file-token").role is Role.SUPERVISOR
    assert book.lookup("env-token").subject == "dan"
    assert book.lookup("nobody") is None


def test_a_missing_tokens_file_is_a_clear_error(tmp_path):
    with pytest.raises(TokenConfigError, match="CASEFLOW_TOKENS_FILE"):
        load_tokens(Settings(tokens_file=tmp_path / "absent"))


def test_dev_tokens_cover_every_role_and_survive_restarts(tmp_path):
    org = uuid4()
    first = dev_tokens(tmp_path, org)
    again = dev_tokens(tmp_path, org)
    assert first.keys() == again.keys()
    assert {p.role for p in first.values()} == set(Role)
    assert all(p.org_id == org for p in first.values())


def test_dev_env_exports_a_token_per_role(tmp_path):
    tokens = dev_tokens(tmp_path, None)
    text = dev_env(tokens, "http://127.0.0.1:8000", None)
    assert all(f"export TOKEN_{r.value.upper()}=" in text for r in Role)
    assert "export CF=http://127.0.0.1:8000" in text


def test_a_token_is_compared_in_constant_time_with_every_known_one(monkeypatch):
    import caseflow.infra.auth as auth

    book = load_tokens(Settings(tokens="a=alice:analyst,b=bob:operator,c=carol:supervisor"))
    compared = []
    real = auth.hmac.compare_digest

    def counting(x, y):
        compared.append(1)
        return real(x, y)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    assert book.lookup("a").subject == "alice"
    assert book.lookup("nobody") is None
    assert len(compared) == 2 * len(book)  # no early exit on a match, no shortcut on a miss
