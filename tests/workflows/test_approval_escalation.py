"""The billing workflow's approval logic on Temporal's time-skipping test server.

Activities are replaced by fakes registered under the real activity names, so only orchestration is
under test: escalation after each unanswered timeout, the update validator, four-eyes approval, rework, and that
only decisions signed by a trusted approval key for this cycle and settlement version count.
"""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.binaries import find_bin
from runtime.codec import encrypted_data_converter, generate_keyring
from runtime.temporal import DATA_CONVERTER
from tests.workflows.signing import signed
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.billing_cycle_types import (
    CloseCycleLedgerInput,
    CloseCycleLedgerResult,
    CycleInput,
    CycleResult,
    CycleStatus,
    EscalateApprovalInput,
    IngestMeterFilesInput,
    IngestMeterFilesResult,
    InvoiceRef,
    IssueInvoicesInput,
    IssueInvoicesResult,
    PlanInvoicesInput,
    PlanInvoicesResult,
    PredecessorInput,
    PredecessorResult,
    RecordSettlementApprovalInput,
    RecordStatusInput,
    RemindApproversInput,
    RenderInvoicesInput,
    RenderInvoicesResult,
    RunShadowInput,
    RunShadowResult,
    SettleCycleInput,
    SettleCycleResult,
    SubmitToIsoInput,
    SubmitToIsoResult,
    ValidateIntervalsInput,
    ValidateIntervalsResult,
    VoidRejectedSettlementInput,
)


class FakeActivities:
    """Canned results; records what the workflow asked for."""

    def __init__(self, total_usd_micros: int = 1_000_000, ingest_failures: int = 0) -> None:
        self.calls: list[str] = []
        self.total_usd_micros = total_usd_micros
        self.ingest_failures = ingest_failures
        self.timeouts: list[tuple[timedelta | None, timedelta | None]] = []

    def all(self) -> list:
        calls = self.calls
        total = self.total_usd_micros

        @activity.defn(name="record_status")
        def record_status(update: RecordStatusInput) -> None:
            calls.append(f"status:{update.status}")

        @activity.defn(name="ingest_meter_files")
        def ingest(inp: IngestMeterFilesInput) -> IngestMeterFilesResult:
            calls.append("ingest")
            if calls.count("ingest") <= self.ingest_failures:
                raise ApplicationError("a.csv, line 3, field 'value': not a number", type="BadInput",
                                       non_retryable=True)
            return IngestMeterFilesResult("mem://intervals", 10, ["ab" * 32])

        @activity.defn(name="validate_intervals")
        def validate(inp: ValidateIntervalsInput) -> ValidateIntervalsResult:
            return ValidateIntervalsResult("mem://validated", 10, 0, {"score": 100})

        @activity.defn(name="unsettled_predecessor")
        def predecessor(inp: PredecessorInput) -> PredecessorResult:
            return PredecessorResult(None)  # each test cycle is its campus's first

        @activity.defn(name="settle_cycle")
        def settle(inp: SettleCycleInput) -> SettleCycleResult:
            calls.append(f"settle:v{inp.settlement_version}")
            self.timeouts.append((activity.info().start_to_close_timeout, activity.info().heartbeat_timeout))
            return SettleCycleResult("cd" * 32, total, {"t1": total}, {"generation_wh": 5}, 1, "k")

        @activity.defn(name="record_settlement_approval")
        def post(inp: RecordSettlementApprovalInput) -> None:
            calls.append(f"approved:{','.join(inp.approvers)}")

        @activity.defn(name="void_rejected_settlement")
        def void(inp: VoidRejectedSettlementInput) -> None:
            calls.append(f"void:v{inp.settlement_version}")

        @activity.defn(name="escalate_approval")
        def escalate(inp: EscalateApprovalInput) -> None:
            calls.append(f"escalate:escalation {inp.escalation_number}")

        @activity.defn(name="remind_approvers")
        def remind(inp: RemindApproversInput) -> None:
            calls.append(f"remind:reminder {inp.reminder_number}")

        @activity.defn(name="plan_invoices")
        def plan(inp: PlanInvoicesInput) -> PlanInvoicesResult:
            calls.append("plan")
            return PlanInvoicesResult("mem://plan.json", 3, 250)

        @activity.defn(name="render_invoices")
        def render(inp: RenderInvoicesInput) -> RenderInvoicesResult:
            calls.append(f"render:{inp.batch_index}")
            return RenderInvoicesResult(100)

        @activity.defn(name="issue_invoices")
        def invoices(inp: IssueInvoicesInput) -> IssueInvoicesResult:
            calls.append(f"issue:{inp.plan_uri}")
            return IssueInvoicesResult([InvoiceRef("demo-000001", "t1", 100, "ef" * 32)])

        @activity.defn(name="submit_to_iso")
        def submit(inp: SubmitToIsoInput) -> SubmitToIsoResult:
            return SubmitToIsoResult("key", "written", "/outbox/doc.json")

        @activity.defn(name="close_cycle_ledger")
        def close(inp: CloseCycleLedgerInput) -> CloseCycleLedgerResult:
            return CloseCycleLedgerResult(3, True, 3)

        @activity.defn(name="run_shadow_participation")
        def shadow(inp: RunShadowInput) -> RunShadowResult:
            calls.append(f"shadow:v{inp.settlement_version}")
            return RunShadowResult("not_configured")

        return [record_status, ingest, validate, predecessor, settle, post, void, escalate, remind, plan, render, invoices, submit,
                close, shadow]


@pytest.fixture(scope="module")
async def env():
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_bin("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    yield environment
    await environment.shutdown()


def _input(threshold_usd_micros: int = 0, **timeouts: int) -> CycleInput:
    return CycleInput(cycle_id=f"cycle:test:{uuid.uuid4().hex[:8]}", campus_id="test", period="2026-10",
                      input_uris=["a.csv"], approval_timeout_hours=72, escalations_max=2,
                      approval_threshold_usd_micros=threshold_usd_micros, **timeouts)


async def _run_worker(env: WorkflowEnvironment, fakes: FakeActivities, body) -> None:  # type: ignore[no-untyped-def]
    queue = f"test-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[BillingCycleWorkflow], activities=fakes.all(),
                      activity_executor=ThreadPoolExecutor(4)):
        await body(queue)


async def test_unanswered_approval_escalates_after_each_timeout_then_waits(env: WorkflowEnvironment) -> None:
    """Two 72-hour rounds pass unanswered: a reminder at 36 h and an escalation at 72 h each, then the
    cycle still waits (no more timers) and can be approved."""
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(hours=150))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "awaiting_approval"
        assert status.escalations == 2
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        result = await handle.result()
        assert result.total_usd_micros == 1_000_000

    await _run_worker(env, fakes, body)
    assert [call for call in fakes.calls if call.startswith(("remind", "escalate"))] == [
        "remind:reminder 1", "escalate:escalation 1", "remind:reminder 2", "escalate:escalation 2"]


async def test_steps_run_with_the_timeouts_of_the_input(env: WorkflowEnvironment) -> None:
    """The starter's timeouts (Settings scaled by meters) reach every activity; the status carries the VEE
    summary, not the report."""
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input(activity_timeout_s=1_234, activity_heartbeat_timeout_s=45)
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.vee_summary == {"score": 100, "meter_count": 0,
                                                              "meters_below_full_score_count": 0}
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        await handle.result()

    await _run_worker(env, fakes, body)
    assert fakes.timeouts == [(timedelta(seconds=1_234), timedelta(seconds=45))]


async def test_validator_refuses_non_finance_and_keeps_waiting(env: WorkflowEnvironment) -> None:
    """An operator's approval is refused by the validator; nothing reaches history, the cycle still waits."""
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(BillingCycleWorkflow.approve,
                                        await signed(env, Decision("ops.a", "operator"), handle.id))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "awaiting_approval" and status.approvals == []
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        await handle.result()

    await _run_worker(env, fakes, body)


async def test_four_eyes_needs_two_distinct_finance_approvers(env: WorkflowEnvironment) -> None:
    """Above the threshold one approval is not enough and the same person cannot approve twice."""
    fakes = FakeActivities(total_usd_micros=5_000_000)

    async def body(queue: str) -> None:
        inp = _input(threshold_usd_micros=1_000_000)
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(BillingCycleWorkflow.approve,
                                        await signed(env, Decision("fin.a", "finance"), handle.id))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "awaiting_approval"
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.b", "finance"), handle.id))
        await handle.result()

    await _run_worker(env, fakes, body)
    assert "approved:fin.a,fin.b" in fakes.calls
    # After approval: the invoices are planned, every batch rendered, then the plan issued.
    invoicing = fakes.calls[fakes.calls.index("plan"):fakes.calls.index("issue:mem://plan.json") + 1]
    assert invoicing[0] == "plan" and invoicing[-1] == "issue:mem://plan.json"
    assert sorted(call for call in invoicing if call.startswith("render")) == ["render:0", "render:1", "render:2"]


async def test_rejection_voids_then_resettles_as_a_new_version(env: WorkflowEnvironment) -> None:
    """Reject → the pending settlement is voided, the cycle waits in rework; resettle → the inputs are
    ingested and validated again and settled as v2, which is approved."""
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        await handle.execute_update(BillingCycleWorkflow.reject,
                                    await signed(env, Rejection("fin.a", "finance", "wrong tariff"), handle.id))
        await env.sleep(timedelta(minutes=1))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "rework" and status.detail == "wrong tariff"
        await handle.execute_update(BillingCycleWorkflow.resettle, "ops.a")
        await env.sleep(timedelta(minutes=1))
        with pytest.raises(WorkflowUpdateFailedError):  # signed for the rejected version
            await handle.execute_update(BillingCycleWorkflow.approve,
                                        await signed(env, Decision("fin.a", "finance"), handle.id, version=1))
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id, version=2))
        await handle.result()

    await _run_worker(env, fakes, body)
    assert [c for c in fakes.calls if c.startswith(("ingest", "settle", "void"))] == [
        "ingest", "settle:v1", "void:v1", "ingest", "settle:v2"], "rework reads the corrected inputs again"


async def test_rejection_without_reason_is_refused(env: WorkflowEnvironment) -> None:
    """A blank reason is refused before it reaches history; the cycle stays open and is then cancelled."""
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(BillingCycleWorkflow.reject,
                                        await signed(env, Rejection("fin.a", "finance", "  "), handle.id))
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()

    await _run_worker(env, fakes, body)
    assert "status:cancelled" in fakes.calls


async def test_bad_input_parks_the_cycle_until_an_operator_retries(env: WorkflowEnvironment) -> None:
    """A non-retryable ingest error is tried once, parks the cycle as failed with the error named, and
    `retry` runs the same step again; a retry on a healthy cycle is refused."""
    fakes = FakeActivities(ingest_failures=1)

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "failed"
        assert status.detail == "BadInput: a.csv, line 3, field 'value': not a number"
        await handle.execute_update(BillingCycleWorkflow.retry, "ops.a")
        await env.sleep(timedelta(minutes=1))
        status = await handle.query(BillingCycleWorkflow.status)
        assert status is not None and status.phase == "awaiting_approval"
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(BillingCycleWorkflow.retry, "ops.a")
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        await handle.result()

    await _run_worker(env, fakes, body)
    assert fakes.calls.count("ingest") == 2
    assert "status:failed" in fakes.calls


# --- forged decisions: only a decision signed by a trusted approval key for this cycle and version counts ---

FORGER_KEY = Ed25519PrivateKey.generate()


async def _refused(handle: WorkflowHandle[BillingCycleWorkflow, CycleResult], decision: Decision) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(BillingCycleWorkflow.approve, decision)
    return str(refused.value.cause)


async def _still_waiting(handle: WorkflowHandle[BillingCycleWorkflow, CycleResult]) -> CycleStatus:
    status = await handle.query(BillingCycleWorkflow.status)
    assert status is not None and status.phase == "awaiting_approval" and status.approvals == []
    return status


async def test_forged_decisions_are_refused_and_a_signed_one_completes_the_cycle(env: WorkflowEnvironment) -> None:
    fakes = FakeActivities()

    async def body(queue: str) -> None:
        inp = _input()
        handle = await env.client.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        good = await signed(env, Decision("fin.a", "finance"), handle.id)
        assert "not signed by a trusted approval key" in await _refused(handle, Decision("fin.a", "finance"))
        assert "not signed by a trusted approval key" in await _refused(
            handle, await signed(env, Decision("fin.a", "finance"), handle.id, key=FORGER_KEY))
        # A trusted signature over other words: the approver, the role or the version changed after signing.
        for tampered in (dataclasses.replace(good, approver="fin.z"), dataclasses.replace(good, comment="x"),
                         dataclasses.replace(good, key_id=good.key_id, signature_hex="00" * 64)):
            assert "does not verify" in await _refused(handle, tampered)
        assert "signed for cycle:other" in await _refused(
            handle, await signed(env, Decision("fin.a", "finance"), "cycle:other:2026-10"))
        assert "not cycle" in await _refused(handle, await signed(env, Decision("fin.a", "finance"), handle.id,
                                                                  version=2))
        # The signal path believes no more than the update.
        await handle.signal(BillingCycleWorkflow.approve_signal, Decision("fin.a", "finance"))
        await env.sleep(timedelta(seconds=5))
        await _still_waiting(handle)
        # A signed decision delivered after its lifetime (15 minutes) is refused too.
        await env.sleep(timedelta(minutes=16))
        assert "is valid from" in await _refused(handle, good)
        await _still_waiting(handle)
        await handle.execute_update(BillingCycleWorkflow.approve,
                                    await signed(env, Decision("fin.a", "finance"), handle.id))
        assert (await handle.result()).total_usd_micros == 1_000_000

    await _run_worker(env, fakes, body)
    assert [call for call in fakes.calls if call.startswith("approved")] == ["approved:fin.a"]


async def test_unencrypted_decisions_are_refused_even_when_signed(env: WorkflowEnvironment, tmp_path: Path) -> None:
    """A client without the payload keyring (the Temporal CLI or Web UI pointed at the port) cannot deliver a
    decision, not even a correctly signed one: its update is rejected and its signal dropped before any workflow
    code reads them; the same decision sealed by a client holding the keyring completes the cycle."""
    fakes = FakeActivities()
    sealed = Client(**{**env.client.config(), "data_converter": encrypted_data_converter(
        DATA_CONVERTER, generate_keyring(tmp_path / "ring.json"))})
    queue = f"test-{uuid.uuid4()}"
    async with Worker(sealed, task_queue=queue, workflows=[BillingCycleWorkflow], activities=fakes.all(),
                      activity_executor=ThreadPoolExecutor(4)):
        inp = _input()
        await sealed.start_workflow(BillingCycleWorkflow.run, inp, id=inp.cycle_id, task_queue=queue)
        await env.sleep(timedelta(minutes=1))
        plain_handle = env.client.get_workflow_handle_for(BillingCycleWorkflow.run, inp.cycle_id)
        decision = await signed(env, Decision("fin.a", "finance"), inp.cycle_id)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await plain_handle.execute_update(BillingCycleWorkflow.approve, decision)
        # Rejected, and the reason is sealed as well: the sender without the keyring reads nothing of it.
        assert "Encoded failure" in str(refused.value.cause)
        await plain_handle.signal(BillingCycleWorkflow.approve_signal, decision)
        await env.sleep(timedelta(seconds=5))
        sealed_handle = sealed.get_workflow_handle_for(BillingCycleWorkflow.run, inp.cycle_id)
        await _still_waiting(sealed_handle)
        await sealed_handle.execute_update(BillingCycleWorkflow.approve, decision)
        assert (await sealed_handle.result()).total_usd_micros == 1_000_000
    assert [call for call in fakes.calls if call.startswith("approved")] == ["approved:fin.a"]
