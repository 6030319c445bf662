"""Shadow settlement of ISO statements: statement runs in, each line recomputed from our meter data and the
ISO's prices, differences posted to the ledger per run, disputes out.

Pure: `statement` (format v1), `statement_file` (an ISO's statement file -> a v1 run, with findings),
`statement_formats` (the files we read), `isone_statement` (ISO-NE SR_RTLOCSUM), `ercot_statement` (ERCOT RTM
statement), `charges` and `quantities` (our side), `reconcile`, `ledger_entries`.
SQL: `repository`. Unit of work: `service`.
"""

from market_adapters.reconciliation.charges import (
    CHARGE_TYPES,
    MEASURE_SIGNS,
    QuantityKey,
    line_amount_usd_micros,
    quantities_from_metered_hours,
)
from market_adapters.reconciliation.ercot_statement import ercot_statement_file
from market_adapters.reconciliation.isone_statement import (
    LocationSummary,
    parse_rtlocsum,
    rtlocsum_statement_file,
)
from market_adapters.reconciliation.ledger_entries import reconciliation_entries, reconciliation_entry_key
from market_adapters.reconciliation.quantities import quantities_from_intervals
from market_adapters.reconciliation.reconcile import (
    ChargeReconciliation,
    Dispute,
    LineDiscrepancy,
    PriceKey,
    ReconciliationResult,
    RunReconciliation,
    ShadowPriceMissing,
    reconcile_runs,
)
from market_adapters.reconciliation.service import (
    ShadowStatementResult,
    import_iso_statement,
    import_statement_runs,
    list_disputes,
    run_shadow_settlement,
    shadow_settle_day,
    shadow_settle_statement,
)
from market_adapters.reconciliation.statement import FORMAT, StatementLine, StatementRun, parse_statement
from market_adapters.reconciliation.statement_file import (
    Finding,
    StatementFile,
    StatementImport,
    statement_document,
)
from market_adapters.reconciliation.statement_formats import STATEMENT_FORMATS, read_statement_file

__all__ = [
    "CHARGE_TYPES",
    "FORMAT",
    "MEASURE_SIGNS",
    "STATEMENT_FORMATS",
    "ChargeReconciliation",
    "Dispute",
    "Finding",
    "LineDiscrepancy",
    "LocationSummary",
    "PriceKey",
    "QuantityKey",
    "ReconciliationResult",
    "RunReconciliation",
    "ShadowPriceMissing",
    "ShadowStatementResult",
    "StatementFile",
    "StatementImport",
    "StatementLine",
    "StatementRun",
    "ercot_statement_file",
    "import_iso_statement",
    "import_statement_runs",
    "line_amount_usd_micros",
    "list_disputes",
    "parse_rtlocsum",
    "parse_statement",
    "quantities_from_intervals",
    "quantities_from_metered_hours",
    "read_statement_file",
    "reconcile_runs",
    "reconciliation_entries",
    "reconciliation_entry_key",
    "rtlocsum_statement_file",
    "run_shadow_settlement",
    "shadow_settle_day",
    "shadow_settle_statement",
    "statement_document",
]
