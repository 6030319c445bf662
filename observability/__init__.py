"""Observability: Prometheus metrics, OpenTelemetry tracing through Temporal's interceptors, structured logs.

Public names:
- `metrics`: process metrics (`ACTIVITY_*`, `CYCLE_*`, `VEE_*`) and `render_metrics(engine)` for `/metrics`;
- `ActivityObserver`: the worker interceptor that feeds those metrics and the log context;
- `configure_logging(settings)`, `cycle_log_context(...)`: structured logs carrying cycle and campus ids;
- `configure_tracing(settings)`, `client_interceptors()`: OpenTelemetry spans across client, workflow, activity.
"""

from observability.interceptor import ActivityObserver
from observability.logs import configure_logging, cycle_log_context
from observability.metrics import render_metrics
from observability.tracing import client_interceptors, configure_tracing

__all__ = [
    "ActivityObserver",
    "client_interceptors",
    "configure_logging",
    "configure_tracing",
    "cycle_log_context",
    "render_metrics",
]
