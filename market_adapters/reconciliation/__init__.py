"""Shadow settlement: statement runs in, recomputed charges, differences to the ledger, disputes out."""

from market_adapters.reconciliation.charges import quantities_from_metered_hours
from market_adapters.reconciliation.reconcile import ReconciliationResult, reconcile_runs
from market_adapters.reconciliation.statement import StatementRun, parse_statement

__all__ = ["ReconciliationResult", "StatementRun", "parse_statement", "quantities_from_metered_hours",
           "reconcile_runs"]
