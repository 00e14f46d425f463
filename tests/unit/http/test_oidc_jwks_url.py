"""The identity provider's keys fetched from its JWKS URL (a server in this test, on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from tests.unit.http.idp import AUDIENCE, ISSUER, claims, jwks, sign
from tests.unit.http.test_oidc import feed


@pytest.fixture
def idp() -> Iterator[dict]:
    """A JWKS endpoint; `state["up"] = False` makes it answer 503."""
    state = {"up": True, "hits": 0}
    body = json.dumps(jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            state["hits"] += 1
            self.send_response(200 if state["up"] else 503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if state["up"] else b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/certs"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def url_client(tmp_path, idp) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "var",
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=idp["url"],
    )
    c = bootstrap(settings)
    try:
        with TestClient(create_app(c, background=False), raise_server_exceptions=False) as client:
            yield client
    finally:
        c.close()


def test_keys_come_from_the_jwks_url_and_are_kept(url_client, idp):
    for _ in range(3):
        assert feed(url_client, sign(claims())).status_code == 200
    assert idp["hits"] == 1


def test_a_forged_token_is_refused_with_keys_from_the_url(url_client):
    r = feed(url_client, sign(claims(), key="stranger"))
    assert (r.status_code, r.json()["reason"]) == (401, "bad_signature")


def test_an_unreachable_identity_provider_is_503_with_retry_after(url_client, idp):
    idp["up"] = False
    r = feed(url_client, sign(claims()))
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert r.json()["reason"] == "keys_unavailable"
