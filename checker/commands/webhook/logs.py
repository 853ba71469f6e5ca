"""Structured logs for the webhook: one JSON object per line on stderr (time, level, event and its fields),
for its own events and for uvicorn's, so a log pipeline reads every line the same way.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER = logging.getLogger("kubecheck.webhook")
LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # made once, not per line


class JsonFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "event": ..., **fields}``: the message is the event; the fields come
    from ``extra={"fields": {...}}``; an exception is one ``error`` field, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        if record.name != LOGGER.name:
            entry["logger"] = record.name
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = f"{type(error).__name__}: {error}"
        return LINE_ENCODER.encode(entry)


def log(level: int, event: str, **fields: Any) -> None:
    """One JSON line for the event. Written straight to the handler's stream (a line per review: the
    logging machinery's record, formatter and locks cost more than the review's own bookkeeping)."""
    if not LOGGER.isEnabledFor(level):
        return
    handlers = LOGGER.handlers
    stream = getattr(handlers[0], "stream", None) if len(handlers) == 1 else None
    if stream is None:
        LOGGER.log(level, event, extra={"fields": fields})
        return
    now = time.time()
    entry: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z",
        "level": logging.getLevelName(level).lower(),
        "event": event,
        **fields,
    }
    try:
        stream.write(LINE_ENCODER.encode(entry) + "\n")
        stream.flush()
    except (OSError, ValueError):  # stderr closed or full: logging must not break a review
        pass


def configure(level: int = logging.INFO) -> dict[str, Any]:
    """Send kubecheck's and uvicorn's logs through the JSON formatter to stderr; the dictConfig uvicorn is
    given (its access log is off: each review has its own line)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level)
    LOGGER.propagate = False
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "asyncio": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }
