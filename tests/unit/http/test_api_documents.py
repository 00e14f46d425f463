"""What the API documents about itself: errors typed as problem+json in OpenAPI, readable
operationIds, a page behind every problem type, offline Swagger UI and ReDoc, and the event
schemas served over HTTP and named in each event's `dataschema`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from caseflow import schemas
from caseflow.infra.http.openapi import NOT_PROBLEMS
from caseflow.infra.http.problems import PROBLEM_JSON

ROOT = Path(__file__).resolve().parents[3]
# Problem(status, "slug", ...), problem_response(status, "slug", ...), _reject(..., status, "slug"
USED = re.compile(
    r"(?:Problem|problem_response|_reject)\(\s*(?:scope,\s*receive,\s*send,\s*)?"
    r'[^,()]+,\s*"([a-z0-9-]+)"',
    re.S,
)


def test_every_error_response_in_openapi_is_problem_json_with_the_problem_schema(client):
    doc = client.get("/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    errors = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] not in "45" or (path, status) in NOT_PROBLEMS:
                    continue
                errors += 1
                assert response["content"] == {
                    PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)
    assert errors > 100
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_operation_ids_are_unique_readable_names(client):
    doc = client.get("/openapi.json").json()
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-zA-Z]*", i)] == []
    assert doc["paths"]["/cases"]["post"]["operationId"] == "registerCase"


def _used_problem_types() -> set[str]:
    found: set[str] = set()
    for source in (ROOT / "caseflow").rglob("*.py"):
        found |= set(USED.findall(source.read_text(encoding="utf-8")))
    return found


def test_every_problem_type_the_code_answers_has_a_page(client):
    used = _used_problem_types()
    assert {"invalid-input", "rule-violation", "unauthenticated", "too-many-streams"} <= used
    for slug in sorted(used):
        page = client.get(f"/problems/{slug}")
        assert page.status_code == 200, slug
        assert page.headers["content-type"].startswith("text/html")


def test_a_problem_type_resolves_against_the_api_to_its_page(client):
    problem = client.get("/no/such/path").json()
    assert problem["type"] == "/problems/http-404"
    page = client.get(problem["type"])
    assert page.status_code == 200
    assert "/problems/http-404" in page.text
    assert "rule-violation" in client.get("/problems").text


@pytest.mark.parametrize(
    "path",
    [
        "/problems/nonsense",
        "/problems/http-4044",
        "/schemas/nonsense.json",
        "/schemas/" + "x" * 200,
    ],
)
def test_unknown_documents_are_404_or_422_problems(client, path):
    r = client.get(path)
    assert r.status_code in (404, 422)
    assert r.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_swagger_ui_and_redoc_load_nothing_from_another_host(client, page):
    r = client.get(page)
    assert r.status_code == 200
    links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', r.text)
    links += re.findall(r'url:\s*["\']([^"\']+)', r.text)
    assert links
    for link in links:
        assert not urlsplit(link).netloc, f"{page} loads {link} from another host"
        assert client.get(link).status_code == 200, link


def test_every_event_type_has_its_schema_served(client):
    index = client.get("/schemas").json()
    assert sorted(index) == sorted(schemas.types())
    for ce_type, url in index.items():
        r = client.get(urlsplit(url).path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/schema+json"
        assert r.json() == schemas.schema(ce_type)


def test_each_event_names_its_served_schema_and_its_data_validates_against_it(client, world):
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    feed = client.get("/events?limit=1000", headers=world.h("analyst")).json()
    assert feed
    for event in feed:
        url = urlsplit(event["dataschema"])
        assert url.scheme == "http" and url.path == f"/schemas/{event['type']}.json"
        schema = client.get(url.path).json()
        jsonschema.validate(event["data"], schema)
