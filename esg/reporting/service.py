"""Stored cycle results and restatements: record a result as a new version when it changed, read versions back,
restate a settled billing cycle and post its delta to the ledger. Each function takes its connection (unit of
work).

A billing cycle's emissions exist from the moment its settlement is posted: the settle step keeps the result it
posted (`cycle_step` 'settle', `emissions`), and every read here falls back to it as version 1 ("as settled")
until a restatement stores versions of its own. So tenant statements, the campus report and the exports never
wait for a restatement, and they show exactly what the settlement entry carries.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from campus import campus_exists, load_campus, load_tenants
from common.errors import Conflict, NotFound
from common.uri import read_uri_bytes
from esg.certificates import certificate_lots, retirement_key
from esg.factors import edition_is_registered, market_rates, register_factor_library
from esg.reporting import repository
from esg.reporting.evidence import write_evidence_package
from esg.reporting.report_model import ReportContext
from esg.reporting.restatement import EmissionsDelta, restatement_delta
from esg.reporting.tenant_statement import TenantStatement, tenant_statement
from esg.scopes import (
    CycleEmissions,
    EmissionOptions,
    carbon_account_specs,
    carbon_ledger_meta,
    compute_campus_cycle,
)
from ledger import (
    EntryRequest,
    PostingRequest,
    append_checkpointed,
    ensure_ledger,
    entry_seqs_by_key,
    open_accounts,
    prove_inclusion,
)

AS_SETTLED = "as settled"
RESTATEMENT_REASON_CODE = "esg_restatement"


@dataclass(frozen=True)
class RecordOutcome:
    """`status`: `recorded` (first version), `unchanged` (same result again), `restated` (new version + delta).

    `ledger_idempotency_key`: the ledger entry carrying this version's figures, when there is one (the settlement
    for the version as settled, the restatement adjustment for later versions of a billing cycle)."""

    status: str
    version: int
    delta: EmissionsDelta | None
    ledger_idempotency_key: str | None = None


class SettlementNotPosted(Conflict):
    """A restatement adjusts the posted settlement entry; a settlement still pending approval has none yet."""

    def __init__(self, cycle_id: str, posted_key: str) -> None:
        super().__init__(
            f"billing cycle {cycle_id}: its settlement is not posted yet (no ledger entry {posted_key!r}); "
            "restate after finance approved it"
        )


class BillingCycleNeedsRestatement(Conflict):
    """A billing cycle's figures are in the ledger: a new version of them is a restatement, which posts its delta."""

    def __init__(self, cycle_key: str) -> None:
        super().__init__(
            f"{cycle_key} is a settled billing cycle: record a new version with `wattledger esg restate` "
            "(POST /esg/cycles/{cycle_id}/restate), which posts the change to the ledger"
        )


def record_cycle_emissions(
    conn: Connection, campus_id: str, cycle_key: str, emissions: CycleEmissions, reason: str
) -> RecordOutcome:
    """Store a result computed outside a billing cycle as a new version when it differs from the latest; return
    the restatement delta. A settled billing cycle's key is refused: its versions come from
    `restate_billing_cycle`, which posts each change to the ledger, so ledger and versions never disagree."""
    if settled_cycle(conn, cycle_key) is not None:
        raise BillingCycleNeedsRestatement(cycle_key)
    return _record(conn, campus_id, cycle_key, emissions, reason, None)


def _record(
    conn: Connection, campus_id: str, cycle_key: str, emissions: CycleEmissions, reason: str,
    ledger_idempotency_key: str | None,
) -> RecordOutcome:
    """Store the result as a new version when it differs from the latest.

    The factor library is registered first (a no-op when it already is), so the stored result always points at a
    stored edition.
    """
    if not edition_is_registered(conn, emissions.factor_edition):
        register_factor_library(conn)
    latest = repository.latest_result(conn, cycle_key)
    if latest is not None and latest[2] == emissions.sha256():
        return RecordOutcome("unchanged", latest[0], None)
    version = 1 if latest is None else latest[0] + 1
    repository.insert_result(
        conn,
        {
            "cycle_key": cycle_key,
            "version": version,
            "campus_id": campus_id,
            "factor_edition": emissions.factor_edition,
            "gwp_set": emissions.gwp_set,
            "period_start_utc": emissions.period_start_utc,
            "period_end_utc": emissions.period_end_utc,
            "result_json": emissions.to_json(),
            "result_sha256": emissions.sha256(),
            "intervals_file_sha256": emissions.inputs["intervals_file_sha256"],
            "reason": reason,
            "ledger_idempotency_key": ledger_idempotency_key,
        },
    )
    if latest is None:
        return RecordOutcome("recorded", version, None, ledger_idempotency_key)
    delta = restatement_delta(CycleEmissions.from_json(latest[1]), emissions, campus_id)
    return RecordOutcome("restated", version, delta, ledger_idempotency_key)


def cycle_emissions(conn: Connection, cycle_key: str, version: int | None = None) -> CycleEmissions:
    """A stored result: the latest version, or the one named (a settled cycle's own result is version 1)."""
    return stored_cycle(conn, cycle_key, version)[1]


def stored_cycle(conn: Connection, cycle_key: str, version: int | None = None) -> tuple[str, CycleEmissions]:
    """The campus and the result (latest version unless one is named).

    A billing cycle with no stored version yet reads the result its settlement posted, as version 1.
    """
    if version is None:
        latest = repository.latest_result(conn, cycle_key)
        text_json = latest[1] if latest else None
    else:
        text_json = repository.result_json(conn, cycle_key, version)
    if text_json is not None:
        campus_id = repository.result_campus_id(conn, cycle_key)
        assert campus_id is not None, "a stored result has a campus"
        return campus_id, CycleEmissions.from_json(text_json)
    settled = settled_cycle(conn, cycle_key) if version in (None, 1) else None
    if settled is None:
        raise NotFound(
            f"no emissions recorded for cycle {cycle_key}" + (f" version {version}" if version else "")
        )
    return settled[0], settled[1]


def settled_cycle(conn: Connection, cycle_id: str) -> tuple[str, CycleEmissions, str | None] | None:
    """(campus, result, settlement ledger key) a billing cycle's settle step posted, or None."""
    cycle = repository.billing_cycle(conn, cycle_id)
    if cycle is None:
        return None
    settle = repository.cycle_step_result(conn, cycle_id, "settle") or {}
    stored = settle.get("emissions")
    if stored is None:
        return None
    emissions = CycleEmissions.from_json(stored if isinstance(stored, str) else json.dumps(stored))
    return cycle["campus_id"], emissions, settle.get("pending_ledger_key")


def report_for_cycle(
    conn: Connection, cycle_key: str, preparer: str, issue_date: date, base_year: int | None = None
) -> tuple[CycleEmissions, ReportContext]:
    """The latest result of a cycle with what its report names: campus and tenant names, legal entity, versions
    and their ledger entries, and the registered lots of the instruments claimed."""
    campus_id, emissions = stored_cycle(conn, cycle_key)
    versions = cycle_versions(conn, cycle_key)
    campus = load_campus(conn, campus_id) if campus_exists(conn, campus_id) else None
    tenants = {tenant.tenant_id: tenant.legal_name or tenant.name for tenant in load_tenants(conn, campus_id)}
    lots = certificate_lots(conn, [str(item["lot_id"]) for item in emissions.instruments])
    context = ReportContext(
        campus_id=campus_id,
        campus_name=campus.name if campus else campus_id,
        legal_entity=(campus.legal_entity or campus.name) if campus else campus_id,
        tenant_names=tenants,
        preparer=preparer,
        issue_date=issue_date,
        version=int(versions[-1]["version"]),
        versions=versions,
        base_year=base_year,
        lots=lots,
        ledger_entries={int(v["version"]): str(v["ledger_idempotency_key"]) for v in versions
                        if v.get("ledger_idempotency_key")},
        market_rates=[row for row in market_rates(conn) if row.ref in emissions.factor_refs],
    )
    return emissions, context


def evidence_for_cycle(
    conn: Connection, cycle_key: str, ledger_origin: str, directory: Path, preparer: str, issue_date: date,
    base_year: int | None = None,
) -> list[str]:
    """Write a cycle's evidence package: the report model rendered twice, the exports, the interval data of a
    billing cycle, the factor files and rows, and an inclusion proof for every ledger entry carrying the figures
    (the settlement and its posting, each restatement adjustment, each certificate retirement)."""
    emissions, context = report_for_cycle(conn, cycle_key, preparer, issue_date, base_year)
    validated = repository.cycle_step_result(conn, cycle_key, "validate") or {}
    intervals = read_uri_bytes(validated["validated_uri"]) if "validated_uri" in validated else None
    keys = list(context.ledger_entries.values())
    settled = settled_cycle(conn, cycle_key)
    if settled is not None and settled[2]:
        keys.append(f"{settled[2]}:post_pending")
    keys += [retirement_key(context.campus_id, str(item["claim_id"])) for item in emissions.instruments]
    proofs = []
    seqs = entry_seqs_by_key(conn, ledger_origin, keys) if keys else {}  # a result recorded outside a cycle has none
    for key, seq in sorted(seqs.items(), key=lambda pair: pair[1]):
        proofs.append({"idempotency_key": key, **asdict(prove_inclusion(conn, ledger_origin, seq))})
    return write_evidence_package(emissions, context, directory, intervals, proofs)


def statement_for_cycle(conn: Connection, cycle_key: str, tenant_id: str) -> TenantStatement:
    """A tenant's statement of the cycle's latest version (the settled result until restated), with the tenant's
    name and the version's reason."""
    campus_id, emissions = stored_cycle(conn, cycle_key)
    latest = cycle_versions(conn, cycle_key)[-1]
    names = {tenant.tenant_id: tenant.legal_name or tenant.name for tenant in load_tenants(conn, campus_id)}
    return tenant_statement(emissions, tenant_id, names.get(tenant_id, tenant_id), int(latest["version"]),
                            str(latest["reason"]))


def cycle_versions(conn: Connection, cycle_key: str) -> list[dict[str, Any]]:
    versions = repository.result_versions(conn, cycle_key)
    if versions:
        return versions
    settled = settled_cycle(conn, cycle_key)
    if settled is None:
        raise NotFound(f"no emissions recorded for cycle {cycle_key}")
    _, emissions, ledger_key = settled
    return [{
        "version": 1, "factor_edition": emissions.factor_edition, "gwp_set": emissions.gwp_set,
        "result_sha256": emissions.sha256(), "intervals_file_sha256": emissions.inputs["intervals_file_sha256"],
        "reason": AS_SETTLED, "recorded_at_utc": None, "ledger_idempotency_key": ledger_key,
    }]


def restate_billing_cycle(
    conn: Connection,
    cycle_id: str,
    factor_edition: str | None,
    reason: str,
    ledger_origin: str,
    signing_key_path: Path,
    options: EmissionOptions | None = None,
) -> RecordOutcome:
    """Recompute a settled billing cycle's emissions (new edition, new claims, corrected meters), record it, and
    post the delta legs to the ledger, all in the caller's transaction.

    Reads the cycle's period and validated intervals from the core `billing_cycle` / `cycle_step` rows. If the
    cycle's emissions were only kept in its `settle` step, that result is recorded first as version 1, so the
    delta is against what was settled and posted. The delta is an `adjustment` of the settlement's posted entry
    (`<settlement key>:post_pending`), reason code `esg_restatement`, with the new result's provenance in its
    meta; a settlement still pending approval cannot be adjusted (`SettlementNotPosted`), and nothing is stored.
    """
    cycle = repository.billing_cycle(conn, cycle_id)
    validated = repository.cycle_step_result(conn, cycle_id, "validate")
    if cycle is None or not validated or "validated_uri" not in validated:
        raise NotFound(f"billing cycle {cycle_id} has no validated intervals")
    repository.lock_cycle_versions(conn, cycle_id)  # a concurrent restatement waits, then sees this version
    settled = settled_cycle(conn, cycle_id)
    settlement_key = settled[2] if settled is not None else None
    if repository.latest_result(conn, cycle_id) is None and settled is not None:
        _record(conn, cycle["campus_id"], cycle_id, settled[1], AS_SETTLED, settlement_key)
    subregion = settled[1].campus_egrid_subregion if settled is not None else None
    # Shared loads keep following the MWh the settlement billed: without the settled key a restatement would
    # hand them back to the operator and post that move as a false delta.
    billed_shared_wh = settled[1].inputs.get("shared_load_billed_wh") if settled is not None else None
    emissions = compute_campus_cycle(
        conn,
        cycle["campus_id"],
        validated["validated_uri"],
        subregion,
        cycle["period_start_utc"],
        cycle["period_end_utc"],
        factor_edition,
        options,
        shared_load_billed_wh=billed_shared_wh,
    )
    version = _next_version(conn, cycle_id)
    adjustment_key = f"{cycle_id}:esg-restatement:v{version}"
    outcome = _record(conn, cycle["campus_id"], cycle_id, emissions, reason, adjustment_key)
    if outcome.status != "restated" or outcome.delta is None:
        return outcome
    if settlement_key is None:
        raise NotFound(f"billing cycle {cycle_id} has no settlement entry to adjust")
    _post_restatement(conn, cycle_id, emissions, outcome, reason, f"{settlement_key}:post_pending",
                      ledger_origin, signing_key_path)
    return outcome


def _next_version(conn: Connection, cycle_key: str) -> int:
    latest = repository.latest_result(conn, cycle_key)
    return 1 if latest is None else latest[0] + 1


def _post_restatement(
    conn: Connection, cycle_id: str, emissions: CycleEmissions, outcome: RecordOutcome, reason: str,
    posted_key: str, ledger_origin: str, signing_key_path: Path,
) -> None:
    assert outcome.delta is not None and outcome.ledger_idempotency_key is not None
    legs = outcome.delta.ledger_legs
    if not legs:
        return  # a change only in figures the ledger does not carry (e.g. market-based) posts nothing
    entry = EntryRequest(
        idempotency_key=outcome.ledger_idempotency_key,
        kind="adjustment",
        effective_at_utc=emissions.period_end_utc,
        postings=[PostingRequest(path, asset, amount) for path, asset, amount in legs],
        meta={"cycle_id": cycle_id, "reason_code": RESTATEMENT_REASON_CODE, "reason": reason[:500],
              "esg_version": str(outcome.version), **carbon_ledger_meta(emissions)},
        ref_idempotency_key=posted_key,
    )
    ensure_ledger(conn, ledger_origin)
    open_accounts(conn, ledger_origin, carbon_account_specs(list(legs)))
    try:
        append_checkpointed(conn, ledger_origin, [entry], signing_key_path)
    except NotFound as error:
        raise SettlementNotPosted(cycle_id, posted_key) from error
