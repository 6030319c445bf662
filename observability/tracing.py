"""OpenTelemetry tracing through Temporal's interceptors: API call -> workflow -> each activity, one trace.

`client_interceptors()` returns Temporal's `TracingInterceptor`; set on the client, workers built from that
client inherit it, and it carries the span context in Temporal headers across processes. It uses the global
tracer provider: `configure_tracing(settings)` installs the SDK provider with a JSON-lines file exporter when
`WATTLEDGER_TRACE_FILE` is set (the OTLP exporter can be added the same way); otherwise spans are no-ops.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.contrib.opentelemetry import TracingInterceptor

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

from settings import Settings


def client_interceptors() -> list[Any]:
    return [TracingInterceptor()]


def configure_tracing(settings: Settings) -> bool:
    """Install a tracer provider that writes spans to `settings.trace_file`; False when none is configured."""
    if settings.trace_file is None:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "wattledger"}))
    provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(settings.trace_file)))
    trace.set_tracer_provider(provider)
    return True


def JsonLinesSpanExporter(path: Path) -> SpanExporter:
    """A span exporter writing one JSON object per finished span (trace id, parent, name, times, attributes).

    Built inside a function so `opentelemetry-sdk` is imported only when tracing is configured."""
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class _JsonLines(SpanExporter):
        def __init__(self) -> None:
            self._lock = threading.Lock()
            path.parent.mkdir(parents=True, exist_ok=True)

        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            lines = [json.dumps(span_record(span), sort_keys=True, default=str) for span in spans]
            with self._lock, path.open("a") as handle:
                handle.writelines(line + "\n" for line in lines)
            return SpanExportResult.SUCCESS

    return _JsonLines()


def span_record(span: Any) -> dict[str, Any]:
    context = span.get_span_context()
    parent = span.parent
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_span_id": f"{parent.span_id:016x}" if parent is not None else None,
        "name": span.name,
        "start_unix_ns": span.start_time,
        "end_unix_ns": span.end_time,
        "attributes": dict(span.attributes or {}),
    }
