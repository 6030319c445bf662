"""Errors raised by the settlement engine; each names the broken fact and carries the values that explain it."""

from __future__ import annotations

from common.errors import BadInput, DomainError, NotFound


class AllocationWeightsInvalid(BadInput):
    """Weights that cannot define shares: empty, negative, or all zero."""

    def __init__(self, reason: str) -> None:
        super().__init__("allocation", None, "weights", reason)


class ContractMissing(NotFound):
    """No contract version is effective for a tenant at the start of the period."""

    def __init__(self, campus_id: str, tenant_id: str, period_start: str) -> None:
        self.campus_id = campus_id
        self.tenant_id = tenant_id
        super().__init__(f"campus {campus_id}: no contract for tenant {tenant_id} effective at {period_start}")


class MeterUnknown(BadInput):
    """The interval file names a meter the campus does not have."""

    def __init__(self, source: str, meter_id: str) -> None:
        super().__init__(source, None, "meter_id", f"meter {meter_id!r} is not a meter of this campus")


class PriceMissing(DomainError):
    """An index-priced interval has no price; a later publication could supply it."""

    retryable = True

    def __init__(self, node: str, interval_start_utc: str) -> None:
        super().__init__(f"no price for node {node} at {interval_start_utc}")
