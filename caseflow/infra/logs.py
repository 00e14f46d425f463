"""How `caseflow` processes log: text lines for a person, or JSON lines (CASEFLOW_LOG_FORMAT=json)
for a log collector. Either way each record carries the id of the HTTP request it was logged in
(`request_id`, the `X-Request-ID` the response also carries), set by `RequestId` middleware."""

from __future__ import annotations

import contextvars
import logging
from datetime import UTC, datetime

import orjson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, and the
    traceback (as text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure(json_lines: bool, level: int = logging.INFO, text_format: str = TEXT_FORMAT) -> None:
    """Send every record to stderr, as text or JSON lines, with its request id (once per
    process: its entry point calls this)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(text_format))
    handler.addFilter(_WithRequestId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def uvicorn_log_config(json_lines: bool) -> dict | None:
    """For `uvicorn.run(log_config=…)`: None (its loggers then pass through ours) for JSON
    lines; otherwise uvicorn's own colourful defaults."""
    if json_lines:
        return None
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG
