"""The worker's observability, on a real dev server: activity metrics (durations, failures by error type,
cycle phase transitions, VEE counts), heartbeats that keep a long step alive under a short heartbeat
timeout, structured log lines with the cycle and campus ids, and one OpenTelemetry trace from the client's
start call through the workflow to its activities. Also `/metrics` renders the database metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from observability import ActivityObserver, render_metrics
from observability.interceptor import HEARTBEAT_INTERVAL_S
from runtime.binaries import find_bin
from runtime.temporal import connect
from settings import Settings
from workflows.billing_cycle_types import (
    RecordStatusInput,
    SubmitToIsoInput,
    ValidateIntervalsInput,
    ValidateIntervalsResult,
)

CYCLE_ID = "cycle:obs-campus:2026-03"
SLOW_STEP_S = 2.5 * HEARTBEAT_INTERVAL_S
log = logging.getLogger("wattledger.test.observability")


@activity.defn(name="record_status")
def record_status(update: RecordStatusInput) -> None:
    log.info("phase %s", update.status)


@activity.defn(name="validate_intervals")
def validate_intervals(step: ValidateIntervalsInput) -> ValidateIntervalsResult:
    time.sleep(SLOW_STEP_S)  # longer than the heartbeat timeout below: only the worker's heartbeats save it
    return ValidateIntervalsResult("file:///v.parquet", 960, 12, {"rules": {"spike": {"M1": 3, "M2": 1}, "gap": {"M1": 0}}})


@activity.defn(name="submit_to_iso")
def submit_to_iso(step: SubmitToIsoInput) -> None:
    raise ApplicationError("ISO said 503", type="IsoUnavailable")


@workflow.defn(sandboxed=False)
class ObservedWorkflow:
    @workflow.run
    async def run(self, cycle_id: str) -> str:
        validate = ValidateIntervalsInput(cycle_id, "obs-campus", "2026-03", "v1", "file:///i.parquet")
        submit = SubmitToIsoInput(cycle_id, "obs-campus", "2026-03", 1, "file:///v.parquet")
        await workflow.execute_activity(record_status, RecordStatusInput(cycle_id, "validating"),
                                        start_to_close_timeout=timedelta(seconds=30))
        await workflow.execute_activity(validate_intervals, validate, start_to_close_timeout=timedelta(seconds=60),
                                        heartbeat_timeout=timedelta(seconds=HEARTBEAT_INTERVAL_S * 2),
                                        retry_policy=RetryPolicy(maximum_attempts=1))
        try:
            await workflow.execute_activity(submit_to_iso, submit, start_to_close_timeout=timedelta(seconds=30),
                                            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50),
                                                                     maximum_attempts=3))
        except ActivityError:
            return "done"  # three failed attempts: what this test counts
        return "unexpected success"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_worker_metrics_heartbeats_logs_and_one_trace(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Run a 3-step workflow; check counters moved by exactly the run's amounts, the slow step survived its
    heartbeat timeout, log records carry cycle and campus ids, and spans share one trace id."""
    from observability.tracing import configure_tracing

    trace_file = tmp_path / "spans.jsonl"
    settings = Settings(home=tmp_path / "home", trace_file=trace_file)
    assert configure_tracing(settings)
    caplog.set_level(logging.INFO)
    failures_before = _value("wattledger_activity_failures_total", activity="submit_to_iso", error_type="IsoUnavailable")
    readings_before = _value("wattledger_vee_readings_total")
    spikes_before = _value("wattledger_vee_rule_flags_total", rule="spike")
    phase_before = _value("wattledger_cycle_transitions_total", phase="validating")
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal")) as env:
        client = await connect(env.client.service_client.config.target_host, "default", settings)
        queue = f"obs-{uuid.uuid4()}"
        async with Worker(client, task_queue=queue, workflows=[ObservedWorkflow],
                          activities=[record_status, validate_intervals, submit_to_iso],
                          activity_executor=ThreadPoolExecutor(4), interceptors=[ActivityObserver()]):
            result = await client.execute_workflow(ObservedWorkflow.run, CYCLE_ID, id=CYCLE_ID + uuid.uuid4().hex[:4],
                                                   task_queue=queue)
    assert result == "done"
    assert _value("wattledger_activity_failures_total", activity="submit_to_iso",
                  error_type="IsoUnavailable") - failures_before == 3
    assert _value("wattledger_vee_readings_total") - readings_before == 960
    assert _value("wattledger_vee_rule_flags_total", rule="spike") - spikes_before == 4
    assert _value("wattledger_cycle_transitions_total", phase="validating") - phase_before == 1
    assert _value("wattledger_activity_duration_seconds_count", activity="validate_intervals", outcome="ok") >= 1
    phase_records = [r for r in caplog.records if r.name == log.name]
    assert phase_records and all(r.cycle_id == CYCLE_ID and r.campus_id == "obs-campus" for r in phase_records)
    await asyncio.to_thread(_flush_tracing)
    spans = [json.loads(line) for line in trace_file.read_text().splitlines()]
    names = {span["name"].split(":")[0] for span in spans}
    assert {"StartWorkflow", "RunWorkflow", "StartActivity", "RunActivity"} <= names, names
    start = next(span for span in spans if span["name"].startswith("StartWorkflow"))
    assert all(span["trace_id"] == start["trace_id"] for span in spans if span["name"].startswith("RunActivity"))


def _flush_tracing() -> None:
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    provider.force_flush()  # type: ignore[attr-defined]


def test_metrics_endpoint_renders_database_metrics(engine: Engine) -> None:
    """Cycle states, the completed-cycle duration histogram and ledger entry counts come from PostgreSQL."""
    body = render_metrics(engine).decode()
    assert "# TYPE wattledger_cycles gauge" in body
    assert "wattledger_cycle_duration_seconds_bucket" in body
    assert "# TYPE wattledger_ledger_entries_total counter" in body


async def test_sdk_metrics_runtime_serves_temporal_client_metrics(tmp_path: Path) -> None:
    """With `temporal_metrics_port` set, clients built from the Settings export the SDK's own Prometheus metrics."""
    import urllib.request

    from wattledger_cli.stack import free_port

    async with await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal")) as env:
        # Pick the port once the dev server holds its own (random) ports, so the two cannot pick the same one.
        port = free_port()
        settings = Settings(home=tmp_path / "home", temporal_metrics_port=port)
        client = await connect(env.client.service_client.config.target_host, "default", settings)
        await client.count_workflows()
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read())
    assert b'temporal_request{namespace="default",operation="CountWorkflowExecutions"' in body
