"""Record a BillingCycleWorkflow history for the replay test (run by hand after a deliberate change).

    .venv/bin/python tests/workflows/record_history.py NAME

It drives the workflow with the fake activities of the approval tests through retry, escalation,
rejection, rework and approval, and writes `tests/workflows/histories/NAME.json`.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent)]

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.binaries import find_bin
from runtime.temporal import DATA_CONVERTER
from tests.workflows.test_approval_escalation import FakeActivities, _input
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle import BillingCycleWorkflow


async def record(name: str) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_bin("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    fakes = FakeActivities(ingest_failures=1)
    async with Worker(env.client, task_queue="history", workflows=[BillingCycleWorkflow],
                      activities=fakes.all(), activity_executor=ThreadPoolExecutor(4)):
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, _input(), id=f"cycle:history:{name}",
                                                 task_queue="history")
        await env.sleep(timedelta(minutes=1))
        await handle.execute_update(BillingCycleWorkflow.retry, "ops.a")
        await env.sleep(timedelta(hours=80))
        await handle.execute_update(BillingCycleWorkflow.reject, Rejection("fin.a", "finance", "wrong tariff"))
        await env.sleep(timedelta(minutes=1))
        await handle.execute_update(BillingCycleWorkflow.resettle, "ops.a")
        await env.sleep(timedelta(minutes=1))
        await handle.execute_update(BillingCycleWorkflow.approve, Decision("fin.a", "finance"))
        await handle.result()
        path = HERE / "histories" / f"{name}.json"
        path.write_text((await handle.fetch_history()).to_json())
    await env.shutdown()
    return path


if __name__ == "__main__":
    print(asyncio.run(record(sys.argv[1])))
