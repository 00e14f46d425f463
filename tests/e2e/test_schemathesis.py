"""schemathesis against the app's own OpenAPI, over real HTTP: every operation with generated
(valid and invalid) input gets no 5xx and an answer that matches the schema (status documented,
content type, body and headers). A stateful run follows the links schemathesis infers (ids in
answers and Location headers) through sequences of commands. Examples per operation are few, to
keep the run short; raise CASEFLOW_SCHEMATHESIS_EXAMPLES to dig deeper."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.infra.auth import Principal
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from caseflow.services.authz import Role
from tests.e2e.server import live
from tests.e2e.test_permissions import EXPECTED
from tests.unit.http.world import World, build_world

EXAMPLES = int(os.environ.get("CASEFLOW_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The caller per operation: one whose role may perform it, so that input reaches validation
# and the domain rules (other roles are refused with 403 before the body matters).
CALLER = {
    "POST /orgs": "operator",
    "POST /leaders": "operator",
    "POST /cases": "registrar",
    "POST /cases/{case_id}/screening": "registrar",
    "POST /cases/{case_id}/evaluations": "registrar",
    "POST /cases/{case_id}/review-requests": "registrar",
    "POST /cases/{case_id}/recheck-requests": "registrar",
    "POST /cases/{case_id}/assignment": "handler",
    "POST /cases/{case_id}/visits": "handler",
    "POST /cases/{case_id}/extensions": "handler",
    "POST /cases/{case_id}/resolution": "handler",
    "POST /admin/projections/{name}/rebuild": "operator",
}
ID_FIELDS = {"receiving_org_id", "unit_id", "org_id", "parent_id", "to_org_id"}


class Api:
    def __init__(self, url: str, world: World, cases: list[str]):
        self.url, self.world, self.cases = url, world, cases
        self.rng = random.Random(20260302)

    def headers(self, label: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {CALLER.get(label, 'supervisor')}"}

    def ground(self, case) -> None:  # noqa: ANN001 - schemathesis Case
        """Point some generated ids at things that exist, so requests get past 404."""
        if self.rng.random() < 0.5:
            return
        w = self.world
        if isinstance(case.body, dict):
            for field in ID_FIELDS & case.body.keys():
                case.body[field] = str(w.county)
            if "leader_id" in case.body:
                case.body["leader_id"] = str(w.leader)
        if case.path_parameters and "case_id" in case.path_parameters:
            case.path_parameters["case_id"] = self.rng.choice(self.cases)
        if case.path_parameters and "leader_id" in case.path_parameters:
            case.path_parameters["leader_id"] = str(w.leader)


@contextmanager
def _database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL a fresh database on the test server, dropped after."""
    if request.param == "sqlite":
        yield None
        return
    import psycopg
    from psycopg import sql

    server = request.getfixturevalue("postgres_url")
    name = f"caseflow_fuzz_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(server)._replace(path="/" + name))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Api]:
    """A live server on each backend (PostgreSQL rejects what SQLite lets pass, e.g. NUL)."""
    with _database(request) as url:
        yield from _serve(tmp_path_factory, url)


def _serve(tmp_path_factory, database_url: str | None) -> Iterator[Api]:
    container = bootstrap(
        Settings(
            data_dir=tmp_path_factory.mktemp("fuzz") / "var",
            database_url=database_url,
            max_body_bytes=100_000,
        )
    )
    world = build_world(container)
    root = world.province
    tokens = {
        name: Principal(
            name, role, root if role in (Role.REGISTRAR, Role.HANDLER, Role.LEADER) else None
        )
        for name, role in (
            ("registrar", Role.REGISTRAR),
            ("handler", Role.HANDLER),
            ("supervisor", Role.SUPERVISOR),
            ("operator", Role.OPERATOR),
        )
    }
    app = create_app(container, tokens=tokens, keepalive=0.2)
    try:
        with live(app) as url:
            cases = []
            with httpx.Client(base_url=url, headers={"Authorization": "Bearer registrar"}) as c:
                for _ in range(3):
                    r = c.post("/cases", json=world.case())
                    assert r.status_code == 201, r.text
                    cases.append(r.json()["id"])
            yield Api(url, world, cases)
    finally:
        container.close()


@pytest.fixture(scope="module")
def api_schema(api: Api):
    return schemathesis.openapi.from_url(f"{api.url}/openapi.json")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
OPERATIONS = sorted(EXPECTED)
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]

# schemathesis' own pytest integration does not work with pytest 9, so each operation is
# driven here with its Hypothesis strategy, which is the same generator underneath.


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_5xx_and_every_answer_matches_the_schema(api_schema, api: Api, label, mode):
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    inputs = (operation.path_parameters, operation.query, operation.headers, operation.body)
    if mode is GenerationMode.NEGATIVE and not any(len(i) for i in inputs):
        return  # nothing to make invalid (/health, /metrics)
    if label == "GET /events/stream":
        return _stream_cases(operation, api, mode)

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def run(case):  # noqa: ANN001, ANN202
        api.ground(case)
        case.call_and_validate(
            base_url=api.url, headers=api.headers(label), checks=CHECKS, timeout=30
        )

    run()


def _stream_cases(operation, api: Api, mode) -> None:  # noqa: ANN001
    """An endless stream cannot be read to its end: open it, check its head, close it."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def run(case):  # noqa: ANN001, ANN202
        headers = {**(case.headers or {}), **api.headers(operation.label)}
        headers = {k: str(v) for k, v in headers.items()}
        try:
            with (
                httpx.Client(base_url=api.url, timeout=10) as c,
                c.stream("GET", "/events/stream", params=case.query, headers=headers) as r,
            ):
                assert r.status_code < 500
                media = r.headers["content-type"]
                if r.status_code == 200:
                    assert media.startswith("text/event-stream")
                    assert next(r.iter_lines()).startswith("retry:")
                else:
                    assert r.status_code in (400, 422) and media == "application/problem+json"
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
            pass  # a header the client itself refuses to send never reaches the server

    run()


def test_stateful_sequences_of_commands(api_schema, api: Api):
    machine = api_schema.as_state_machine()
    calls: list[str] = []

    class Machine(machine):  # type: ignore[misc, valid-type]
        def before_call(self, case):  # noqa: ANN001, ANN202
            api.ground(case)
            calls.append(case.operation.label)

        def get_call_kwargs(self, case):  # noqa: ANN001, ANN202
            return {
                "base_url": api.url,
                "headers": api.headers(case.operation.label),
                "timeout": 30,
            }

        def validate_response(self, response, case, **kwargs):  # noqa: ANN001, ANN202
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:
                # Shown with the test's failure: a replay against the changed server state can
                # end in hypothesis' FlakyStrategyDefinition, which hides the original failure.
                body = case.body if isinstance(case.body, dict | list | str | bytes) else ""
                print(
                    f"{case.method} {case.formatted_path} {case.query or ''} {body!r:.300}"
                    f" -> {response.status_code} {response.text:.500}\n{exc!r:.1500}"
                )
                raise

    Machine.run(
        settings=settings(
            max_examples=max(EXAMPLES, 5),
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(set(calls)) > 1  # sequences, not single calls


def test_uuid_like_garbage_never_reaches_the_store(api: Api):
    """Sanity for the fuzzer's blind spot: ids that parse but point nowhere are 404, not 5xx."""
    nowhere = UUID(int=0)
    with httpx.Client(base_url=api.url, headers=api.headers("POST /cases")) as c:
        r = c.post("/cases", json=api.world.case(receiving_org_id=str(nowhere)))
    assert r.status_code in (403, 404)
