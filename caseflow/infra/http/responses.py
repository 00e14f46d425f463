"""A JSON response serialized with orjson (datetimes, UUIDs), for routes that build their body
as a dict rather than through a `response_model`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def json_response(body: Any, status: int = 200) -> Response:
    """`body` as `application/json` with `status`."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
