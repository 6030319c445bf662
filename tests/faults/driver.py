"""Drive billing cycles to completion while faults happen: start them, approve them as finance, wait.

Calls that reach Temporal while a server or the worker is down fail or time out; the driver retries them
on its next pass (every call has a deadline), exactly as an operator or the API would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from temporalio.client import Client, WorkflowUpdateFailedError

from runtime.decisions import decide_cycle
from settings import Settings
from tests.faults.harness import cycle_statuses
from workflows.approvals import Decision
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.billing_cycle_start import start_cycle

CALL_TIMEOUT_S = 20.0
POLL_INTERVAL_S = 0.5
APPROVER = "fault.finance"


@dataclass
class CycleDriver:
    client_holder: list[Client]  # the current client; a test swaps it after a server restart
    engine: Engine
    settings: Settings
    cycle_ids: list[str] = field(default_factory=list)
    approvals_sent: int = 0
    call_failures: int = 0
    # Finance holds its approvals until this says yes, so a set number of faults lands before cycles can finish.
    approvals_allowed: Callable[[], bool] = lambda: True

    @property
    def client(self) -> Client:
        return self.client_holder[0]

    async def start(self, campus_id: str, periods: list[str]) -> None:
        for period in periods:
            started = await asyncio.wait_for(
                start_cycle(self.client, self.engine, self.settings, campus_id, period), CALL_TIMEOUT_S)
            self.cycle_ids.append(started.cycle_id)

    async def run_until_completed(self, deadline_s: float) -> dict[str, str]:
        """Approve every cycle that waits for finance; return when all are completed or the deadline passes."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                statuses = await asyncio.to_thread(cycle_statuses, self.engine, self.cycle_ids)
            except OperationalError:  # PostgreSQL is restarting (a fault under test); look again shortly
                self.call_failures += 1
                await asyncio.sleep(POLL_INTERVAL_S)
                continue
            if all(status == "completed" for status in statuses.values()) and len(statuses) == len(self.cycle_ids):
                return statuses
            for cycle_id, status in statuses.items():
                if status == "awaiting_approval" and self.approvals_allowed():
                    await self._approve(cycle_id)
            await asyncio.sleep(POLL_INTERVAL_S)
        return await asyncio.to_thread(cycle_statuses, self.engine, self.cycle_ids)

    async def _approve(self, cycle_id: str) -> None:
        # Signed and sent as the API does, for the settlement version the cycle reports.
        decision = Decision(approver=APPROVER, role="finance", comment="fault run")
        try:
            await asyncio.wait_for(decide_cycle(self.client, self.settings, cycle_id, BillingCycleWorkflow.approve,
                                                decision), CALL_TIMEOUT_S)
            self.approvals_sent += 1
        except WorkflowUpdateFailedError:
            pass  # already approved (the first update got through before a crash): the validator says so
        except Exception:  # noqa: BLE001 - server or worker down; retried on the next pass
            self.call_failures += 1
