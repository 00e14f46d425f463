"""The HTTP API (FastAPI): `create_app(container)`."""

from caseflow.infra.http.app import create_app

__all__ = ["create_app"]
