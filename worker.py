"""The worker: the production entry point that runs billing-cycle workflows and activities.

`python worker.py` (or `wattledger worker`) connects to WATTLEDGER_TEMPORAL_ADDRESS and the database at
WATTLEDGER_DATABASE_URL (embedded defaults when unset) and polls the cycle task queue until stopped.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import start_http_server
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.correction import CorrectionActivities
from activities.cycle import CycleActivities
from activities.schedule import ScheduleActivities
from db import make_engine, resolve_database_url, upgrade_schema
from observability import ActivityObserver, configure_logging, configure_tracing
from runtime.keys import ensure_signing_key, trusted_approval_key
from runtime.memory import MemoryReleaser
from runtime.private_files import keep_new_files_private
from runtime.process_exit import run_then_exit
from runtime.signals import wait_for_stop_signal
from runtime.temporal import connect, temporal_address
from settings import TASK_QUEUE, Settings
from workflows.approvals import trust_decision_keys
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.monthly_kickoff import MonthlyKickoffWorkflow

ACTIVITY_THREADS_MAX = 8


def build_worker(client: Client, settings: Settings, engine: Engine, task_queue: str = TASK_QUEUE) -> Worker:
    # The workflows believe finance decisions signed by this key only (workflows/approvals.py).
    trust_decision_keys([trusted_approval_key(settings)])
    activities = (CycleActivities(settings, engine).all() + CorrectionActivities(settings, engine).all()
                  + ScheduleActivities(settings, engine, client).all())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BillingCycleWorkflow, CycleCorrectionWorkflow, MonthlyKickoffWorkflow],
        activities=activities,
        # Sync activities run here; numba kernels and pyarrow release the GIL, so threads really overlap.
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS_MAX),
        max_concurrent_activities=ACTIVITY_THREADS_MAX,
        # Metrics and log context per activity attempt; tracing comes with the client (runtime.temporal.connect);
        # each activity's freed memory goes back to the OS when it ends (runtime.memory).
        interceptors=[ActivityObserver(), MemoryReleaser()],
    )


async def main() -> None:
    keep_new_files_private()
    settings = Settings()
    configure_logging(settings)
    configure_tracing(settings)
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    ensure_signing_key(settings)
    database_url = resolve_database_url(settings)
    upgrade_schema(database_url)
    engine = make_engine(database_url)
    address, embedded = temporal_address(settings)
    try:
        client = await connect(address, settings.temporal_namespace, settings)
        # Leave the worker's context on SIGTERM/Ctrl-C: it stops polling and drains running activities.
        async with build_worker(client, settings, engine):
            await wait_for_stop_signal()
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    run_then_exit(lambda: asyncio.run(main()))
