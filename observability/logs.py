"""Structured logs: one JSON object per line, carrying the cycle, campus and activity being worked on.

The activity interceptor (`observability.interceptor`) sets the context for the length of each activity, so
every log line from service code below it carries `cycle_id` and `campus_id` without passing them around.
Secrets never reach a log line: a filter masks bearer tokens, JWTs, API keys, PEM blocks and URL passwords
in every message and argument, whatever logged them.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from settings import Settings

LOG_CONTEXT: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("wattledger_log_context", default={})  # noqa: B039 - never mutated

MASK = "[redacted]"
SECRET_PATTERNS = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"\bwlk_[a-z0-9]{12}_[A-Za-z0-9_-]+"),  # our API keys
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)(?=@)"),  # user:password@ in URLs
)


def redact(text: str) -> str:
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(MASK, text)
    return text


class RedactSecrets(logging.Filter):
    """Formats the message once, masks secrets in it, and drops the arguments so nothing unmasked is left."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class AddLogContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in LOG_CONTEXT.get().items():
            setattr(record, key, value)
        return True


_context_factory_installed = False


def install_log_context() -> None:
    """Stamp the context on every LogRecord as it is created, so every handler (ours, pytest's, a library's)
    sees `cycle_id` and `campus_id`. Idempotent; the worker interceptor calls it."""
    global _context_factory_installed
    if _context_factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for key, value in LOG_CONTEXT.get().items():
            setattr(record, key, value)
        return record

    logging.setLogRecordFactory(factory)
    _context_factory_installed = True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...context, "exc"}`; keys sorted so lines diff and grep well."""

    CONTEXT_KEYS = ("cycle_id", "campus_id", "workflow_id", "activity", "attempt", "trace_id")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in self.CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exc"] = record.exc_text or redact(self.formatException(record.exc_info))
        return json.dumps(line, sort_keys=True, default=str)


def campus_of_cycle(cycle_id: str) -> str | None:
    """Cycle ids are business keys `cycle:{campus}:{period}` (billing.periods.cycle_id_for)."""
    parts = cycle_id.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "cycle" else None


@contextlib.contextmanager
def cycle_log_context(**fields: str | int | None) -> Iterator[None]:
    """Add fields (cycle_id, campus_id, activity, ...) to every log line in this context."""
    merged = {**LOG_CONTEXT.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    if "cycle_id" in merged and "campus_id" not in merged:
        campus_id = campus_of_cycle(merged["cycle_id"])
        if campus_id is not None:
            merged["campus_id"] = campus_id
    token = LOG_CONTEXT.set(merged)
    try:
        yield
    finally:
        LOG_CONTEXT.reset(token)


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(AddLogContext())
    handler.addFilter(RedactSecrets())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(cycle_id)s] %(message)s", defaults={"cycle_id": "-"}))
    return handler


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Root logging for the worker and API processes: one handler, context added, secrets masked."""
    if settings.log_format not in ("text", "json"):
        raise ValueError(f"log_format must be 'text' or 'json', not {settings.log_format!r}")
    install_log_context()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(log_handler(settings))
    root.setLevel(level)
