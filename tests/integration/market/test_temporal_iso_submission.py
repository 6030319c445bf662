"""The submission service inside a Temporal activity (time-skipping test server, fake NYISO over mutual TLS):
a transient ISO outage fails the first activity attempt as retryable and Temporal's retry then records the
acceptance; an ISO rejection fails at once as a non-retryable IsoRejected naming our meter."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy as TemporalRetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.errors import translate_domain_errors
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.http.retry import RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.submission import SubmissionRequest, nyiso_sender, submit_cycle_to_iso
from runtime.binaries import find_bin

NOW = datetime(2025, 7, 16, 12, tzinfo=UTC)
METERS = [IsoMeterRef("GT1", "323999", "generation")]
CLIENT_RETRY = RetryPolicy(attempts_max=2, backoff_initial_s=0.0, backoff_max_s=0.0)


@dataclass(frozen=True)
class SubmitInput:
    campus_id: str
    cycle_id: str
    document_uri: str
    base_url: str
    pki_folder: str


class SubmitActivities:
    def __init__(self, engine) -> None:
        self.engine = engine

    @activity.defn(name="submit_period_to_iso")
    @translate_domain_errors
    def submit(self, inp: SubmitInput) -> str:
        folder = Path(inp.pki_folder)
        credentials = IsoCredentials("wl-operator", "s3cret", str(folder / "client.pem"), str(folder / "client.key"),
                                     str(folder / "ca.pem"))
        document = json.loads(Path(inp.document_uri).read_text())
        request = SubmissionRequest(inp.campus_id, "NYISO", "2025-07-15", 1, inp.cycle_id, document, inp.document_uri,
                                    None)
        sender = nyiso_sender(inp.base_url, credentials, METERS, dry_run_first=False, retry=CLIENT_RETRY,
                              sleep=lambda seconds: None)
        return submit_cycle_to_iso(self.engine, request, sender, now_utc=NOW).status


@workflow.defn(sandboxed=False)
class SubmitWorkflow:
    @workflow.run
    async def run(self, inp: SubmitInput) -> str:
        return await workflow.execute_activity(
            "submit_period_to_iso", inp, start_to_close_timeout=timedelta(seconds=60),
            retry_policy=TemporalRetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=3),
        )


@pytest.fixture(scope="module")
async def env():
    environment = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=find_bin("temporal-test-server"))
    yield environment
    await environment.shutdown()


def _document(tmp_path, ptid: int) -> str:
    records = [{"genPtid": ptid, "dateHour": f"2025-07-15T{hour:02d}:00:00-04:00", "meterInjectionEnergyMwh": 10.0}
               for hour in range(24)]
    path = tmp_path / f"doc-{ptid}.json"
    path.write_text(json.dumps({"submissionParameters": {"userRequestId": "wl-temporal"}, "generators": records}))
    return str(path)


async def _run(env, engine, inp: SubmitInput) -> str:
    queue = f"market-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[SubmitWorkflow],
                      activities=[SubmitActivities(engine).submit], activity_executor=ThreadPoolExecutor(2),
                      workflow_runner=UnsandboxedWorkflowRunner()):
        return await env.client.execute_workflow(SubmitWorkflow.run, inp, id=f"submit-{uuid.uuid4()}",
                                                 task_queue=queue)


async def test_outage_is_retried_by_temporal_and_acceptance_recorded(env, engine, nyiso_campus, fake_pki, tmp_path):
    """Two 503s use up the client's two tries; Temporal's second attempt is accepted and recorded."""
    state = FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids={323999},
                         tie_ptids=set(), subzone_ptids=set(), ptid_nodes={}, now_utc=NOW)
    state.inject_faults(503, 2)
    with running_fake_iso(state, pki=fake_pki) as url:
        status = await _run(env, engine, SubmitInput(nyiso_campus.campus_id, nyiso_campus.cycle_id,
                                                     _document(tmp_path, 323999), url, str(fake_pki.ca_cert_path.parent)))
    assert status == "accepted" and len(state.metering) == 24
    with engine.connect() as conn:
        outcomes = conn.execute(text("SELECT a.outcome FROM market_submission_attempt a JOIN market_submission s "
                                     "USING (submission_key) WHERE s.campus_id = :c ORDER BY attempt_no"),
                                {"c": nyiso_campus.campus_id}).scalars().all()
        core = conn.execute(text("SELECT status FROM iso_submission WHERE cycle_id = :c"),
                            {"c": nyiso_campus.cycle_id}).scalar_one()
    assert outcomes == ["unavailable", "accepted"] and core == "accepted"


async def test_rejection_is_not_retried(env, engine, nyiso_campus, fake_pki, tmp_path):
    """An unregistered PTID fails the workflow after one activity attempt with IsoRejected naming GT1."""
    state = FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids=set(),
                         tie_ptids=set(), subzone_ptids=set(), ptid_nodes={}, now_utc=NOW)
    with running_fake_iso(state, pki=fake_pki) as url, pytest.raises(WorkflowFailureError) as caught:
        await _run(env, engine, SubmitInput(nyiso_campus.campus_id, nyiso_campus.cycle_id,
                                            _document(tmp_path, 323999), url, str(fake_pki.ca_cert_path.parent)))
    cause = caught.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "IsoRejected" and cause.cause.non_retryable and "GT1" in cause.cause.message
    # One read of what NYISO holds, then the one commit it rejects; neither is repeated.
    assert state.requests_seen == ["GET /finance/metering/v1/powerMetering", "POST /finance/metering/v1/powerMetering"]
