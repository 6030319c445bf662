"""The billing cycle's and the correction's application services: the glue between the domain packages that
the activities and the API call. No Temporal here: `workflows/` orchestrates, `activities/` adapts.

- `registration`: receive a period's inbox and record a new cycle (`workflows.billing_cycle_start` then starts it);
- `service`: one function per step of the cycle (ingest, validate, settle, approve or void, invoice, close);
- `iso_step`: the period's document for the campus's ISO;
- `shadow_step`: shadow market participation beside the settlement (memo ledger entry, never billed);
- `corrections`: re-settle a completed cycle as a delta revision and rebill after approval;
- `campus_period`, `periods`, `runs`: what a step works on, the period's bounds, run labels;
- `ledger_entries`: settlement -> ledger legs (pure); `repository`: SQL for cycles and their steps;
- `cycle_states`: the states a cycle is recorded in (started, then the workflow's phases);
- `cycle_summary`: a cycle's status as a bounded summary with links to each step's full result (pure);
- `findings` (pure), `review`, `review_repository`: what finance reviews before a decision, overrides, decisions.
"""

__all__ = [
    "campus_period",
    "corrections",
    "cycle_states",
    "cycle_summary",
    "findings",
    "iso_step",
    "ledger_entries",
    "periods",
    "registration",
    "repository",
    "review",
    "review_repository",
    "runs",
    "service",
    "shadow_step",
]
