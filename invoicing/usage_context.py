"""Gather, once per issuing call, the context an invoice prints besides its lines.

Sources, in order: the settle step's `tenant_usage` when the settlement recorded it; otherwise the daily
energy summed from the validated interval file the validate step names (`validated_uri`), for the tenants'
own meters; emissions from the settle step (or an `esg` step). Missing sources leave the sections empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from campus import MeterRole, load_campus, load_meters
from invoicing import repository
from invoicing.document import TenantUsage
from invoicing.repository import CycleRow
from invoicing.usage import tenant_usage
from invoicing.usage_intervals import tenant_daily_usage_from_file


@dataclass(frozen=True)
class UsageContext:
    settle_result: dict[str, Any]
    esg_result: dict[str, Any] | None

    def for_tenant(self, tenant_id: str) -> TenantUsage:
        return tenant_usage(self.settle_result, self.esg_result, tenant_id)


def load_usage_context(conn: Connection, cycle: CycleRow) -> UsageContext:
    settle_result = dict(repository.load_step_result(conn, cycle.cycle_id, "settle") or {})
    if "tenant_usage" not in settle_result:
        interval_usage = _usage_from_validated_intervals(conn, cycle)
        if interval_usage:
            settle_result["tenant_usage"] = interval_usage
    return UsageContext(settle_result, repository.load_step_result(conn, cycle.cycle_id, "esg"))


def _usage_from_validated_intervals(conn: Connection, cycle: CycleRow) -> dict[str, dict[str, Any]]:
    validate_result = repository.load_step_result(conn, cycle.cycle_id, "validate") or {}
    validated_uri = validate_result.get("validated_uri")
    if not isinstance(validated_uri, str) or not Path(validated_uri).is_file():
        return {}
    tenant_of = {meter.meter_id: meter.tenant_id for meter in load_meters(conn, cycle.campus_id)
                 if meter.role == MeterRole.TENANT}
    return tenant_daily_usage_from_file(validated_uri, tenant_of, load_campus(conn, cycle.campus_id).time_zone)
