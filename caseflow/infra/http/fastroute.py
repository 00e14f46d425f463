"""A quicker request handler for the command routes, same answers.

A command endpoint takes path parameters, one JSON body model and one dependency of the request
(`deps.command`). FastAPI's generic handler (content negotiation, `solve_dependencies`, telemetry)
cost more event-loop time than the command's own validation. `CommandRoute` handles the common
case itself, with the very validators FastAPI would call (the route's own `ModelField`s), in the
same order (body parsed, then the dependency, then the parameters validated), and hands anything
else to FastAPI's handler untouched: a body that is not plain `application/json` or fails to
parse or validate, dependency overrides (tests), a route of another shape. So errors keep
FastAPI's exact form, and the OpenAPI document is built from the same route as before.

Worth (`python -m bench shortcuts`, `caseflow serve` on SQLite at saturation, on and off in one
run): 1.20x commands per CPU-second of the API process (833 vs 695; 1.17x in another run).
It reads FastAPI internals (`APIRoute.dependant`, `ModelField.validate`): FastAPI is bounded
above in pyproject.toml to the versions tested.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
ENABLED = True  # False only in bench/shortcuts.py: every request takes FastAPI's own handler


class CommandRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        slow = super().get_route_handler()
        return _fast_handler(self, slow) or slow


def _fast_handler(route: APIRoute, slow: Handler) -> Handler | None:
    d = route.dependant
    if (
        d.query_params
        or d.header_params
        or d.cookie_params
        or len(d.body_params) != 1
        or len(d.dependencies) != 1
        or route.body_field is None
        or d.request_param_name
        or d.response_param_name
        or d.background_tasks_param_name
        or d.security_scopes_param_name
    ):
        return None
    dep = d.dependencies[0]
    if (
        dep.dependencies
        or dep.path_params
        or dep.query_params
        or dep.header_params
        or dep.cookie_params
        or dep.body_params
        or not dep.request_param_name
        or dep.name is None
        or dep.call is None
        or d.call is None
    ):
        return None
    endpoint, build, dep_name = d.call, dep.call, dep.name
    body_field, body_name = route.body_field, d.body_params[0].name
    path_params = [(p.name, p) for p in d.path_params]

    async def handle(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if (
            content_type.partition(";")[0].strip().lower() != "application/json"
            or request.app.dependency_overrides
            or not ENABLED
        ):
            return await slow(request)
        raw = await request.body()
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            data = None
        if data is None:  # an empty or unparsable body (or JSON null): FastAPI's own answer
            return await slow(request)
        values: dict[str, Any] = {dep_name: await build(request)}
        body, errors = body_field.validate(data, values, loc=("body",))
        if errors:
            return await slow(request)
        values[body_name] = body
        for name, field in path_params:
            value, errors = field.validate(
                request.path_params.get(name), values, loc=("path", name)
            )
            if errors:
                return await slow(request)
            values[name] = value
        response = await endpoint(**values)
        if not isinstance(response, Response):
            raise TypeError(f"{route.path}: a command endpoint must return a Response")
        return response

    return handle
