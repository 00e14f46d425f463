"""Bearer JWTs from the identity provider, attacked for real: keys generated here, a JWKS file,
and tokens that are expired, from the wrong issuer or audience, signed by the wrong key, with
`alg: none` or HS256 over the public key, or naming no Caseflow role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from tests.unit.http.idp import AUDIENCE, ISSUER, claims, jwks, keys, sign, unsigned
from tests.unit.http.world import World, build_world


@pytest.fixture
def oidc_container(tmp_path) -> Iterator[Container]:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks()), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "var",
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_file=path,
        oidc_leeway=0,
    )
    c = bootstrap(settings)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def oidc_world(oidc_container: Container) -> World:
    return build_world(oidc_container)


@pytest.fixture
def oidc_client(oidc_container: Container, oidc_world: World) -> Iterator[TestClient]:
    app = create_app(oidc_container, tokens=oidc_world.principals, background=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def feed(client: TestClient, token: str):  # noqa: ANN201 - httpx.Response
    return client.get("/events", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"})


def test_a_token_from_the_identity_provider_signs_in(oidc_client):
    assert feed(oidc_client, sign(claims())).status_code == 200


def test_an_ec_signed_token_is_checked_against_its_own_key(oidc_client):
    token = sign(claims(), key="ec", kid="ec-1", alg="ES256")
    assert feed(oidc_client, token).status_code == 200


def test_the_org_claim_scopes_a_caseworker(oidc_client, oidc_world):
    token = sign(claims(role="registrar", org_id=str(oidc_world.county)))
    r = oidc_client.post(
        "/cases", json=oidc_world.case(), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201, r.text


def test_the_token_file_still_signs_in_beside_the_identity_provider(oidc_client, oidc_world):
    assert oidc_client.get("/events", headers=oidc_world.h("analyst")).status_code == 200


@pytest.mark.parametrize(
    "case, status, reason",
    [
        ("expired", 401, "expired"),
        ("wrong_issuer", 401, "wrong_issuer"),
        ("wrong_audience", 401, "wrong_audience"),
        ("stranger_key", 401, "bad_signature"),
        ("tampered", 401, "bad_signature"),
        ("unknown_kid", 401, "unknown_key"),
        ("alg_none", 401, "algorithm_not_allowed"),
        ("hs256_with_public_key", 401, "algorithm_not_allowed"),
        ("no_exp", 401, "missing_claim"),
        ("not_before", 401, "not_yet_valid"),
        ("unknown_role", 403, "unknown_role"),
        ("two_roles", 403, "unknown_role"),
        ("caseworker_without_org", 403, "bad_org"),
        ("garbage", 401, "malformed"),
    ],
)
def test_each_refusal_says_why(oidc_client, case, status, reason):
    now = int(time.time())
    token = {
        "expired": lambda: sign(claims(iat=now - 600, exp=now - 60)),
        "wrong_issuer": lambda: sign(claims(iss="https://evil.test")),
        "wrong_audience": lambda: sign(claims(aud="another-service")),
        "stranger_key": lambda: sign(claims(), key="stranger"),
        "tampered": lambda: _tamper(sign(claims()), role="supervisor"),
        "unknown_kid": lambda: sign(claims(), key="stranger", kid="rsa-2"),
        "alg_none": lambda: unsigned({"alg": "none", "kid": "rsa-1"}, claims()) + ".",
        "hs256_with_public_key": lambda: _hs256_over_public_key(claims()),
        "no_exp": lambda: sign({k: v for k, v in claims().items() if k != "exp"}),
        "not_before": lambda: sign(claims(nbf=now + 600)),
        "unknown_role": lambda: sign(claims(role="wizard")),
        "two_roles": lambda: sign(claims(role=["analyst", "supervisor"])),
        "caseworker_without_org": lambda: sign(claims(role="handler")),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    r = feed(oidc_client, token)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["reason"] == reason
    code = "insufficient_scope" if status == 403 else "invalid_token"
    assert r.headers["www-authenticate"].startswith(f'Bearer realm="caseflow", error="{code}"')


def _tamper(token: str, **over: Any) -> str:
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return (
        unsigned(json.loads(base64.urlsafe_b64decode(header + "==")), payload | over)
        + "."
        + signature
    )


def _hs256_over_public_key(body: dict[str, Any]) -> str:
    """The key-confusion attack: an HMAC whose secret is the published public key."""
    secret = (
        keys()["rsa"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, body)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_no_token_gets_a_challenge_without_an_error_code(oidc_client):
    r = oidc_client.get("/events")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="caseflow"'
    assert r.json()["reason"] == "missing"


def test_a_refused_sign_in_is_logged_with_its_reason_never_the_token(oidc_client, caplog):
    token = sign(claims(aud="another-service"))
    with caplog.at_level(logging.WARNING, logger="caseflow.auth"):
        assert feed(oidc_client, token).status_code == 401
    text = caplog.text
    assert "sign-in refused: wrong_audience" in text
    assert token not in text and token.split(".")[2] not in text


def test_a_refusal_changes_nothing(oidc_client, oidc_world):
    token = sign(claims(role="registrar", org_id=str(oidc_world.county), exp=1))
    before = oidc_client.get("/events", params={"limit": 1000}, headers=oidc_world.h("analyst"))
    r = oidc_client.post(
        "/cases", json=oidc_world.case(), headers={"Authorization": f"Bearer {token}"}
    )
    after = oidc_client.get("/events", params={"limit": 1000}, headers=oidc_world.h("analyst"))
    assert r.status_code == 401 and len(after.json()) == len(before.json())


@pytest.mark.parametrize(
    "token, reason",
    [
        ("not.a.jwt", "malformed"),
        ("W10.e30.", "malformed"),  # a header that is a JSON list
        ("\u00fc.\u00fc.\u00fc", "malformed"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "unknown_key"),  # no kid, and the provider has two keys
        ("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.!!!.AAAA", "malformed"),
    ],
)
def test_malformed_tokens_are_401_never_5xx(oidc_client, token, reason):
    r = oidc_client.get("/events", headers={"Authorization": f"Bearer {token}".encode()})
    assert (r.status_code, r.json()["reason"]) == (401, reason)


@pytest.fixture
def mapped_client(tmp_path, oidc_world) -> Iterator[TestClient]:
    path = tmp_path / "jwks-mapped.json"
    path.write_text(json.dumps(jwks()), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "mapped",
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_file=path,
        oidc_leeway=0,
        oidc_role_map="petition-clerk=registrar, data-team=analyst",
    )
    c = bootstrap(settings)
    try:
        world = build_world(c)
        with TestClient(
            create_app(c, tokens=world.principals, background=False), raise_server_exceptions=False
        ) as client:
            client.world = world  # type: ignore[attr-defined]
            yield client
    finally:
        c.close()


def test_the_role_map_names_the_identity_providers_roles(mapped_client):
    world = mapped_client.world
    # A list claim may carry roles of other systems: only the mapped names count.
    token = sign(claims(role=["offline_access", "petition-clerk"], org_id=str(world.county)))
    r = mapped_client.post(
        "/cases", json=world.case(), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201, r.text
    assert feed(mapped_client, sign(claims(role="data-team"))).status_code == 200


def test_with_a_role_map_caseflows_own_names_no_longer_sign_in(mapped_client):
    r = feed(mapped_client, sign(claims(role="analyst")))
    assert r.status_code == 403
    assert r.json()["reason"] == "unknown_role"
    assert "data-team" in r.json()["detail"]


@pytest.mark.parametrize("bad", ["clerk", "clerk=wizard", "=registrar"])
def test_a_role_map_naming_no_role_is_refused_at_start(tmp_path, bad):
    with pytest.raises(ValueError, match="CASEFLOW_OIDC_ROLE_MAP"):
        Settings(data_dir=tmp_path, oidc_role_map=bad)
