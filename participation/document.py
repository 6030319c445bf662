"""A shadow result as a plain JSON document (exact: money in micro-USD, energy in Wh, emissions in g, all integers),
its sha256, and the memo ledger entry that records it (asset USD_SHADOW/6, never billed money)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.canonical_json import sha256_hex
from ledger import EntryRequest, PostingRequest
from ledger.accounts import ASSET_SHADOW_USD, campus_shadow
from participation.shadow import ShadowResult

DOCUMENT_VERSION = 1


def shadow_document(result: ShadowResult, *, campus_id: str, cycle_id: str, node: str | None,
                    period_start_utc: datetime, period_end_utc: datetime, interval_minutes: int) -> dict[str, Any]:
    programs = [{"program": p.program, "revenue_usd_micros": p.revenue_usd_micros,
                 "avoided_cost_usd_micros": p.avoided_cost_usd_micros, "cost_usd_micros": p.cost_usd_micros,
                 "net_usd_micros": p.net_usd_micros, "energy_wh": p.energy_wh, "emissions_g": p.emissions_g,
                 # Only an alternative use says so: documents without batteries read as before.
                 **({} if p.counted else {"counted": False})}
                for p in result.programs]
    bound = [{"interval_start_utc": hour.interval_start_utc.isoformat(), "program": hour.program,
              "rules": list(hour.rules), "reasons": list(hour.reasons)} for hour in result.bound]
    dispatches = [{"interval_start_utc": start.isoformat(), "program": program, "executed": plan.executed,
                   "delivered_kw": plan.delivered_kw, "net_usd_micros": plan.net_usd_micros,
                   "verdicts": [{"candidate": v.candidate, "outcome": v.outcome, "kw": v.kw, "rule": v.rule,
                                 "reason": v.reason} for v in plan.verdicts]}
                  for start, program, plan in result.dispatches]
    return {
        "document_version": DOCUMENT_VERSION, "campus_id": campus_id, "cycle_id": cycle_id, "node": node,
        "period_start_utc": period_start_utc.isoformat(), "period_end_utc": period_end_utc.isoformat(),
        "interval_minutes": interval_minutes, "rules_version": result.rules_version, "programs": programs,
        "net_usd_micros": result.net_usd_micros,
        "tenant_bill_effect_usd_micros": dict(sorted(result.tenant_credit_usd_micros.items())),
        "bound_intervals": bound, "dispatches": dispatches,
    }


def memo_entry(document: dict[str, Any], settlement_version: int, effective_at_utc: datetime) -> EntryRequest | None:
    """Each program's net credited to its shadow account, the total debited to `forgone`; None when all are zero."""
    campus_id = document["campus_id"]
    legs = [PostingRequest(campus_shadow(campus_id, p["program"]), ASSET_SHADOW_USD, -p["net_usd_micros"])
            for p in document["programs"] if p["net_usd_micros"] and p.get("counted", True)]
    if not legs:
        return None
    legs.append(PostingRequest(campus_shadow(campus_id, "forgone"), ASSET_SHADOW_USD, document["net_usd_micros"]))
    if document["net_usd_micros"] == 0:
        legs.pop()
    return EntryRequest(
        idempotency_key=f"shadow:{document['cycle_id']}:v{settlement_version}",
        kind="posting",
        effective_at_utc=effective_at_utc,
        postings=legs,
        meta={"reason_code": "shadow_participation", "campus_id": campus_id, "cycle_id": document["cycle_id"],
              "rules_version": document["rules_version"], "document_sha256": sha256_hex(document)},
    )
