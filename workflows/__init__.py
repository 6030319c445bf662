"""Temporal workflows (orchestration only), their Input/Result types beside each, and the client side that
starts them.

- `billing_cycle` (`BillingCycleWorkflow`), its types in `billing_cycle_types`, started by `billing_cycle_start`;
- `cycle_correction` (`CycleCorrectionWorkflow`), `cycle_correction_types`, `cycle_correction_start`;
- `monthly_kickoff` (`MonthlyKickoffWorkflow`), `monthly_kickoff_types`, its Temporal Schedules in
  `monthly_schedule`;
- `approvals`: finance's decisions and the rules both waiting workflows apply;
- `activity_options`: the retries every workflow gives its activities, and the timeouts the starters scale with
  the campus's meters and put into the workflow's input.

Import a module by its full path (`from workflows.billing_cycle import BillingCycleWorkflow`): loading a workflow
into the sandbox then never loads the client side.
"""

__all__ = [
    "activity_options",
    "approvals",
    "billing_cycle",
    "billing_cycle_start",
    "billing_cycle_types",
    "cycle_correction",
    "cycle_correction_start",
    "cycle_correction_types",
    "monthly_kickoff",
    "monthly_kickoff_types",
    "monthly_schedule",
]
