"""Optional invoice context read from cycle steps: daily and TOU energy, emissions.

Shapes (written by the settlement and ESG steps when they have the data; absent means "not printed"):
- `cycle_step` step `settle`: `result_json["tenant_usage"][tenant_id] = {"daily_energy_wh": {"YYYY-MM-DD": int},
  "tou_energy_wh": {"<tou period>": int}}`
- emissions: `cycle_step` step `settle`, `result_json["emissions"]` (the ESG area's `CycleEmissions` as a JSON
  string or object), field `tenant_g_co2e[tenant_id] = {"<scope name>": int}`; or, from a separate `esg`
  step, `result_json["tenant_emissions_g_co2e"][tenant_id]` in the same shape.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from common.errors import BadInput
from invoicing.document import TenantUsage


def tenant_usage(
    settle_result: dict[str, Any] | None, esg_result: dict[str, Any] | None, tenant_id: str
) -> TenantUsage:
    usage = ((settle_result or {}).get("tenant_usage") or {}).get(tenant_id) or {}
    daily = _int_map(usage.get("daily_energy_wh") or {}, "daily_energy_wh")
    tou = _int_map(usage.get("tou_energy_wh") or {}, "tou_energy_wh")
    emissions = _settled_emissions(settle_result, tenant_id)
    if emissions is None:
        emissions = ((esg_result or {}).get("tenant_emissions_g_co2e") or {}).get(tenant_id)
    return TenantUsage(
        daily_energy_wh={_day(key): value for key, value in daily.items()},
        tou_energy_wh=tou,
        emissions_g_co2e=None if emissions is None else _int_map(emissions, "tenant_emissions_g_co2e"),
    )


def _int_map(value: Any, field: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(number, int) and not isinstance(number, bool)
        for key, number in value.items()
    ):
        raise BadInput("cycle_step", None, field, "must map names to integers")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise BadInput("cycle_step", None, "daily_energy_wh", f"{text!r} is not a YYYY-MM-DD date") from error


def _settled_emissions(settle_result: dict[str, Any] | None, tenant_id: str) -> Any:
    emissions = (settle_result or {}).get("emissions")
    if isinstance(emissions, str):
        try:
            emissions = json.loads(emissions)
        except ValueError as error:
            raise BadInput("cycle_step", None, "emissions", "is not JSON") from error
    if not isinstance(emissions, dict):
        return None
    return (emissions.get("tenant_g_co2e") or {}).get(tenant_id)
