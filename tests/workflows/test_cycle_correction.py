"""The correction workflow's orchestration on Temporal's time-skipping test server.

Activities are replaced by fakes registered under the real activity names, so only orchestration is under test:
the `r{n}` attempt label on ingest and validation, "no_change" without a decision, the finance-only validator,
rebilling only the tenants with a non-zero delta after approval, and a rejection that rebills nothing.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.binaries import find_bin
from runtime.temporal import DATA_CONVERTER
from tests.workflows.signing import signed
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle_types import (
    IngestMeterFilesInput,
    IngestMeterFilesResult,
    ValidateIntervalsInput,
    ValidateIntervalsResult,
)
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.cycle_correction_types import (
    CorrectionInput,
    RebillCorrectionInput,
    RebillCorrectionResult,
    RebilledInvoice,
    RecordCorrectionDecisionInput,
    SettleCorrectionInput,
    SettleCorrectionResult,
)


class FakeActivities:
    """Canned results; records what the workflow asked for."""

    def __init__(self, deltas_usd_micros: dict[str, int]) -> None:
        self.calls: list[str] = []
        self.deltas_usd_micros = deltas_usd_micros

    def all(self) -> list:
        calls = self.calls
        deltas = self.deltas_usd_micros

        @activity.defn(name="ingest_meter_files")
        def ingest(inp: IngestMeterFilesInput) -> IngestMeterFilesResult:
            calls.append(f"ingest:{inp.run_label}")
            return IngestMeterFilesResult("mem://intervals", 10, ["ab" * 32])

        @activity.defn(name="validate_intervals")
        def validate(inp: ValidateIntervalsInput) -> ValidateIntervalsResult:
            calls.append(f"validate:{inp.run_label}")
            return ValidateIntervalsResult("mem://validated", 10, 0, {"score": 100})

        @activity.defn(name="settle_correction")
        def settle(inp: SettleCorrectionInput) -> SettleCorrectionResult:
            calls.append(f"settle:r{inp.revision}:{inp.validated_uri}")
            return SettleCorrectionResult(2, deltas, any(delta != 0 for delta in deltas.values()))

        @activity.defn(name="record_correction_decision")
        def decide(decision: RecordCorrectionDecisionInput) -> None:
            calls.append(f"decision:r{decision.revision}:{decision.approved}")

        @activity.defn(name="rebill_correction")
        def rebill(inp: RebillCorrectionInput) -> RebillCorrectionResult:
            calls.append(f"rebill:r{inp.revision}:{','.join(inp.tenant_ids)}")
            return RebillCorrectionResult([RebilledInvoice(tenant_id, f"old-{tenant_id}", 100, f"new-{tenant_id}",
                                                           101, None) for tenant_id in inp.tenant_ids])

        return [ingest, validate, settle, decide, rebill]


@pytest.fixture(scope="module")
async def env():
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_bin("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    yield environment
    await environment.shutdown()


def _input() -> CorrectionInput:
    cycle_id = f"cycle:test:{uuid.uuid4().hex[:8]}"
    return CorrectionInput(f"correction:{cycle_id}:r2", cycle_id, "test", "2026-10", 2, "ops.a")


async def _run_worker(env: WorkflowEnvironment, fakes: FakeActivities, body) -> None:  # type: ignore[no-untyped-def]
    queue = f"test-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[CycleCorrectionWorkflow], activities=fakes.all(),
                      activity_executor=ThreadPoolExecutor(4)):
        await body(queue)


async def test_approved_correction_rebills_only_tenants_with_a_delta(env: WorkflowEnvironment) -> None:
    """Ingest and validate under r2, settle, wait; an operator's approval is refused; finance approves and only
    t1 and t3 (non-zero deltas) are rebilled."""
    fakes = FakeActivities({"t1": 1_500_000, "t2": 0, "t3": -20_000})

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(CycleCorrectionWorkflow.run, inp, id=inp.correction_id,
                                                 task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(CycleCorrectionWorkflow.approve,
                                        await signed(env, Decision("ops.a", "operator"), handle.id, version=2))
        status = await handle.query(CycleCorrectionWorkflow.status)
        assert status is not None and status.phase == "awaiting_approval" and status.approvals == []
        await handle.execute_update(CycleCorrectionWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id, version=2))
        result = await handle.result()
        assert (result.status, result.revision) == ("completed", 2)
        assert [row.invoice_id for row in result.invoices] == ["new-t1", "new-t3"]

    await _run_worker(env, fakes, body)
    assert fakes.calls == ["ingest:r2", "validate:r2", "settle:r2:mem://validated", "decision:r2:True",
                           "rebill:r2:t1,t3"]


async def test_no_change_ends_without_a_decision(env: WorkflowEnvironment) -> None:
    """All deltas zero: the correction ends as no_change at once; approving afterwards is refused."""
    fakes = FakeActivities({"t1": 0})

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(CycleCorrectionWorkflow.run, inp, id=inp.correction_id,
                                                 task_queue=queue)
        result = await handle.result()
        assert (result.status, result.invoices) == ("no_change", [])

    await _run_worker(env, fakes, body)
    assert not any(call.startswith(("decision", "rebill")) for call in fakes.calls)


async def test_rejected_correction_records_the_decision_and_rebills_nothing(env: WorkflowEnvironment) -> None:
    """Finance rejects with a reason: the decision is recorded, the revision stays, nothing is rebilled."""
    fakes = FakeActivities({"t1": 1_500_000})

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(CycleCorrectionWorkflow.run, inp, id=inp.correction_id,
                                                 task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(CycleCorrectionWorkflow.reject,
                                        await signed(env, Rejection("fin.a", "finance", " "), handle.id, version=2))
        await handle.execute_update(CycleCorrectionWorkflow.reject,
                                    await signed(env, Rejection("fin.a", "finance", "wrong file"), handle.id, version=2))
        result = await handle.result()
        assert (result.status, result.revision, result.invoices) == ("rejected", 2, [])

    await _run_worker(env, fakes, body)
    assert "decision:r2:False" in fakes.calls
    assert not any(call.startswith("rebill") for call in fakes.calls)
