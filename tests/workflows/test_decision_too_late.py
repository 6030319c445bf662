"""A finance decision sent to a cycle whose workflow has ended is refused as too late (409), not as "not found".

Temporal's dev server answers an update to a closed workflow with NOT_FOUND ("workflow execution already
completed"); the API turned that into 404 and the CLI into an RPCError line, although the cycle exists. Activities
are the canned fakes of test_approval_escalation.py, so the workflow completes in a moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from temporalio.testing import WorkflowEnvironment

from runtime.binaries import find_bin
from runtime.decisions import DecisionTooLate, decide_cycle
from runtime.temporal import DATA_CONVERTER
from settings import Settings
from tests.workflows.signing import APPROVAL_KEY  # the key the workflows trust
from tests.workflows.test_approval_escalation import FakeActivities, _input, _run_worker
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle import BillingCycleWorkflow


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                        data_converter=DATA_CONVERTER)
    yield environment
    await environment.shutdown()


def _settings_with_approval_key(tmp_path: Path) -> Settings:
    key_path = tmp_path / "approval-ed25519.pem"
    key_path.write_bytes(APPROVAL_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    return Settings(home=tmp_path, approval_signing_key_path=key_path)


async def test_a_decision_on_a_completed_cycle_is_too_late(env: WorkflowEnvironment, tmp_path: Path) -> None:
    settings = _settings_with_approval_key(tmp_path)

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        for _ in range(100):  # the fakes answer at once; the cycle reaches approval within a few tasks
            status = await handle.query(BillingCycleWorkflow.status)
            if status is not None and status.phase == "awaiting_approval":
                break
            await env.sleep(timedelta(milliseconds=100))
        approved = await decide_cycle(env.client, settings, inp.cycle_id, BillingCycleWorkflow.approve,
                                      Decision("fin.a", "finance"))
        assert approved.approvals == ["fin.a"]
        await handle.result()

        with pytest.raises(DecisionTooLate) as late_approval:
            await decide_cycle(env.client, settings, inp.cycle_id, BillingCycleWorkflow.approve,
                               Decision("fin.b", "finance"))
        assert str(late_approval.value) == (
            f"{inp.cycle_id} is completed: its workflow has ended, so there is nothing to approve or reject")
        assert late_approval.value.http_status == 409
        with pytest.raises(DecisionTooLate):
            await decide_cycle(env.client, settings, inp.cycle_id, BillingCycleWorkflow.reject,
                               Rejection("fin.b", "finance", "too late"))

    await _run_worker(env, FakeActivities(), body)
