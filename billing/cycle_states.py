"""A billing cycle's recorded states (`billing_cycle.status`): `started` when registered, then the workflow's
phases in the order it runs them. The workflow sets them, the CLI waits on them, the API filters by them.

Plain values with no Temporal, so the CLI reads them without loading the SDK and the workflow sandbox imports them
as they are.
"""

from __future__ import annotations

from enum import StrEnum


class CycleState(StrEnum):
    STARTED = "started"
    INGESTING = "ingesting"
    VALIDATING = "validating"
    SETTLING = "settling"
    AWAITING_APPROVAL = "awaiting_approval"
    REWORK = "rework"
    INVOICING = "invoicing"
    SUBMITTING = "submitting"
    POSTING = "posting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# States that wait for a person (a finance decision, rework after a rejection), and states no step leaves.
STATES_WAITING = frozenset({CycleState.AWAITING_APPROVAL, CycleState.REWORK})
STATES_FINAL = frozenset({CycleState.COMPLETED, CycleState.FAILED, CycleState.CANCELLED})
# The path of a cycle that is approved at the first decision, for progress shown as a fraction.
STATES_IN_ORDER = (CycleState.STARTED, CycleState.INGESTING, CycleState.VALIDATING, CycleState.SETTLING,
                   CycleState.AWAITING_APPROVAL, CycleState.INVOICING, CycleState.SUBMITTING, CycleState.POSTING,
                   CycleState.COMPLETED)
