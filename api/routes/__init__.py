"""One module of routes per resource; `api.app` mounts each module's `router`."""

__all__ = ["campuses", "contracts", "corrections", "cycles", "esg", "esg_rates", "invoices", "ledger", "ledger_verify", "live", "market", "meter_data", "ops", "participation"]
