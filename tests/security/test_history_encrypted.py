"""With the codec on, the Temporal server stores only ciphertext: a billing-cycle-shaped workflow's whole
history (input, activity arguments and results, the update, the result) has no plaintext meter id, amount
or invoice id, and every payload is `binary/encrypted`; the same client reads its results back exactly.

The real cycle's histories get the same check in the kill -9 fault scenario (tests/faults/scenarios.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.binaries import find_bin
from runtime.temporal import connect
from settings import Settings
from tests.security.history import stored_history_report

METER_ID = "GT1-GEN-SECRET-METER"
INVOICE_ID = "WLSEC-2026-000777"
AMOUNT_USD_MICROS = 424_242_424_242


@dataclass
class MeterTotal:
    meter_id: str
    energy_wh: int


@dataclass
class InvoiceOut:
    invoice_id: str
    amount_usd_micros: int


@activity.defn(name="price_meter_total")
def price_meter_total(total: MeterTotal) -> InvoiceOut:
    return InvoiceOut(INVOICE_ID, AMOUNT_USD_MICROS)


@workflow.defn(sandboxed=False)
class SecretCycleWorkflow:
    def __init__(self) -> None:
        self.approved_by = ""

    @workflow.run
    async def run(self, total: MeterTotal) -> InvoiceOut:
        result = await workflow.execute_activity(price_meter_total, total, start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: bool(self.approved_by))
        return result

    @workflow.update
    async def approve(self, approver: str) -> str:
        self.approved_by = approver
        return approver


async def test_stored_history_holds_only_ciphertext(tmp_path: Path) -> None:
    """Input, activity result, update and result are all encrypted at rest; the client decodes them exactly."""
    from concurrent.futures import ThreadPoolExecutor

    settings = Settings(home=tmp_path / "home")
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal")) as env:
        address = env.client.service_client.config.target_host
        client = await connect(address, "default", settings)
        task_queue = f"secret-{uuid.uuid4()}"
        async with Worker(client, task_queue=task_queue, workflows=[SecretCycleWorkflow],
                          activities=[price_meter_total], activity_executor=ThreadPoolExecutor(2)):
            handle = await client.start_workflow(SecretCycleWorkflow.run, MeterTotal(METER_ID, 123_456_789),
                                                 id=f"cycle:secret:{uuid.uuid4().hex[:6]}", task_queue=task_queue)
            assert await handle.execute_update(SecretCycleWorkflow.approve, "finance.secret") == "finance.secret"
            assert await handle.result() == InvoiceOut(INVOICE_ID, AMOUNT_USD_MICROS)
        markers = [METER_ID.encode(), INVOICE_ID.encode(), b"424242424242", b"123456789", b"finance.secret"]
        count, encrypted, found = await stored_history_report(address, handle.id, markers)
    assert count >= 4 and encrypted == count, f"{encrypted} of {count} payloads encrypted"
    assert found == [], f"plaintext in stored history: {found}"
