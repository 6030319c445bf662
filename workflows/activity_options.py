"""How every workflow runs its activities: the retry policy, and the timeouts the starter chose for the run.

Workflows must stay deterministic and read no Settings, so the starter (`billing_cycle_start`,
`cycle_correction_start`) puts the timeouts into the workflow's input: the start-to-close timeout scaled with the
campus's meter count (`activity_timeout_s_for`) and the heartbeat timeout, both from Settings. The defaults are
the values every run had before they were configurable, so older histories replay unchanged.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT_S_DEFAULT = 600
# The worker heartbeats every running step (observability.interceptor, every 3 s); a worker killed mid-step is
# noticed after this long instead of after the start-to-close timeout, and the step is retried on a live worker.
ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT = 20
# Transient faults (database restarts, network) retry with capped backoff; domain errors arrive as
# non-retryable ApplicationErrors and stop at once.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=8,
)


def activity_timeout_s_for(meter_count: int, timeout_s_min: int, timeout_ms_per_meter: int) -> int:
    """A step's start-to-close timeout: the floor, or the per-meter allowance times the meters when larger.

    Each heavy step (ingest, VEE, settlement, invoices) grows with the meters (and the tenants they carry); a
    hung step is still bounded, and a large campus is not cut off at a fixed 10 minutes."""
    if meter_count < 0 or timeout_s_min <= 0 or timeout_ms_per_meter < 0:
        raise ValueError(f"meter_count {meter_count}, timeout_s_min {timeout_s_min} and timeout_ms_per_meter "
                         f"{timeout_ms_per_meter} must be non-negative (the floor positive)")
    scaled_s = -(-meter_count * timeout_ms_per_meter // 1000)  # rounded up to whole seconds
    return max(timeout_s_min, scaled_s)
