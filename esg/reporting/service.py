"""Stored cycle results and restatements: record a result as a new version when it changed, read versions back,
restate a settled billing cycle. Each function takes its connection (unit of work).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection

from common.errors import NotFound
from esg.factors import edition_is_registered, register_factor_library
from esg.reporting import repository
from esg.reporting.restatement import EmissionsDelta, restatement_delta
from esg.scopes import CycleEmissions, EmissionOptions, compute_campus_cycle


@dataclass(frozen=True)
class RecordOutcome:
    """`status`: `recorded` (first version), `unchanged` (same result again), `restated` (new version + delta)."""

    status: str
    version: int
    delta: EmissionsDelta | None


def record_cycle_emissions(
    conn: Connection, campus_id: str, cycle_key: str, emissions: CycleEmissions, reason: str
) -> RecordOutcome:
    """Store the cycle's result as a new version when it differs from the latest; return the restatement delta.

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
        },
    )
    if latest is None:
        return RecordOutcome("recorded", version, None)
    return RecordOutcome(
        "restated", version, restatement_delta(CycleEmissions.from_json(latest[1]), emissions, campus_id)
    )


def cycle_emissions(conn: Connection, cycle_key: str, version: int | None = None) -> CycleEmissions:
    """A stored result: the latest version, or the one named."""
    if version is None:
        latest = repository.latest_result(conn, cycle_key)
        text_json = latest[1] if latest else None
    else:
        text_json = repository.result_json(conn, cycle_key, version)
    if text_json is None:
        raise NotFound(
            f"no emissions recorded for cycle {cycle_key}" + (f" version {version}" if version else "")
        )
    return CycleEmissions.from_json(text_json)


def stored_cycle(conn: Connection, cycle_key: str, version: int | None = None) -> tuple[str, CycleEmissions]:
    """The campus and the stored result (latest version unless one is named)."""
    emissions = cycle_emissions(conn, cycle_key, version)
    campus_id = repository.result_campus_id(conn, cycle_key)
    assert campus_id is not None, "a stored result has a campus"
    return campus_id, emissions


def cycle_versions(conn: Connection, cycle_key: str) -> list[dict[str, object]]:
    versions = repository.result_versions(conn, cycle_key)
    if not versions:
        raise NotFound(f"no emissions recorded for cycle {cycle_key}")
    return versions


def restate_billing_cycle(
    conn: Connection,
    cycle_id: str,
    factor_edition: str | None,
    reason: str,
    options: EmissionOptions | None = None,
) -> RecordOutcome:
    """Recompute a settled billing cycle's emissions (new edition, new claims, corrected meters) and record it.

    Reads the cycle's period and validated intervals from the core `billing_cycle` / `cycle_step` rows. If the
    cycle's emissions were only kept in its `settle` step, that result is recorded first as version 1, so the
    delta returned is against what was settled and posted. Post `outcome.delta.ledger_legs` as a ledger
    adjustment of the settlement entry.
    """
    cycle = repository.billing_cycle(conn, cycle_id)
    validated = repository.cycle_step_result(conn, cycle_id, "validate")
    if cycle is None or not validated or "validated_uri" not in validated:
        raise NotFound(f"billing cycle {cycle_id} has no validated intervals")
    settled = _settled_emissions(conn, cycle_id)
    if repository.latest_result(conn, cycle_id) is None and settled is not None:
        record_cycle_emissions(conn, cycle["campus_id"], cycle_id, settled, "as settled")
    subregion = settled.campus_egrid_subregion if settled is not None else None
    emissions = compute_campus_cycle(
        conn,
        cycle["campus_id"],
        validated["validated_uri"],
        subregion,
        cycle["period_start_utc"],
        cycle["period_end_utc"],
        factor_edition,
        options,
    )
    return record_cycle_emissions(conn, cycle["campus_id"], cycle_id, emissions, reason)


def _settled_emissions(conn: Connection, cycle_id: str) -> CycleEmissions | None:
    settle = repository.cycle_step_result(conn, cycle_id, "settle") or {}
    stored = settle.get("emissions")
    if stored is None:
        return None
    return CycleEmissions.from_json(stored if isinstance(stored, str) else json.dumps(stored))

