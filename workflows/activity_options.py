"""How every workflow runs its activities: one timeout, retry policy and heartbeat timeout for all of them."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(minutes=10)
# Transient faults (database restarts, network) retry with capped backoff; domain errors arrive as
# non-retryable ApplicationErrors and stop at once.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=8,
)
# The worker heartbeats every running step (observability.interceptor); a worker killed mid-step is noticed
# after this long instead of after ACTIVITY_TIMEOUT, and the step is retried on a live worker.
ACTIVITY_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
