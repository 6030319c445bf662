"""SQL for settlement runs: write lines idempotently, read what is settled. No pricing here. Campus facts (the
campus, its meters and tenants) are read through the `campus` package, contracts in `settlement.contracts`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from common.canonical_json import sha256_hex
from common.errors import Conflict
from settlement.engine import AdjustmentLine, LineKey, PositionLine, keyed
from settlement.storage_pool import Pool, make_lot
from settlement.types import SettlementLine, SettlementResult


class SettlementAlreadyRecorded(Conflict):
    """The cycle already has settlement lines that differ from the ones offered now."""

    def __init__(self, cycle_id: str) -> None:
        super().__init__(f"cycle {cycle_id}: a different settlement is already recorded; post a delta instead")


def result_sha256_hex(result: SettlementResult) -> str:
    """Fingerprint of a result's lines and balance: used to tell "already recorded" from "different"."""
    return sha256_hex({
        "lines": [_line_json(line) for line in result.lines],
        "balance": _balance_values(result),
        "intervals": result.intervals_sha256_hex,
    })


def _balance_values(result: SettlementResult) -> list[str]:
    """The balance's figures; storage terms only when a battery moved energy, so a result without storage keeps
    the fingerprint it was recorded with before storage existed."""
    balance = vars(result.energy_balance)
    storage = ("storage_charge_wh", "storage_discharge_wh")
    shown = [key for key in balance if key not in storage or any(balance[name] for name in storage)]
    return [str(balance[key]) for key in shown]


def _line_json(line: SettlementLine) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in vars(line).items()}


def insert_settlement(conn: Connection, cycle_id: str, result: SettlementResult) -> bool:
    """Insert run (revision 0), lines and details; False when a run for the cycle already exists.

    The run row goes first with ON CONFLICT DO NOTHING: a concurrent recorder waits on the unique key, then
    finds the row and inserts nothing, so lines are written by exactly one transaction."""
    balance = result.energy_balance
    inserted = conn.execute(
        text(
            "INSERT INTO settlement_run (cycle_id, revision, intervals_sha256_hex, result_sha256_hex, generation_wh,"
            " grid_import_wh, export_wh, tenant_consumption_wh, shared_consumption_wh, losses_wh, storage_charge_wh,"
            " storage_discharge_wh, contract_versions_json, price_sha256_json) VALUES (:cycle, 0, :ih, :rh, :g, :i,"
            " :e, :t, :s, :l, :sc, :sd,"
            " CAST(:cv AS jsonb), CAST(:ph AS jsonb)) ON CONFLICT DO NOTHING RETURNING cycle_id"
        ),
        {"cycle": cycle_id, "ih": result.intervals_sha256_hex, "rh": result_sha256_hex(result),
         "g": balance.generation_wh, "i": balance.grid_import_wh, "e": balance.export_wh,
         "t": balance.tenant_consumption_wh, "s": balance.shared_consumption_wh, "l": balance.losses_wh,
         "sc": balance.storage_charge_wh, "sd": balance.storage_discharge_wh,
         "cv": json.dumps(result.contract_versions, sort_keys=True),
         "ph": json.dumps(result.price_sha256_hex, sort_keys=True)},
    ).first()
    if inserted is None:
        return False
    _insert_lines(conn, cycle_id, result.lines)
    return True


def _insert_lines(conn: Connection, cycle_id: str, lines: Sequence[SettlementLine]) -> None:
    if not lines:
        return
    conn.execute(
        text(
            "INSERT INTO settlement_line (cycle_id, line_no, tenant_id, description, quantity_wh, rate_usd_per_mwh,"
            " amount_usd_micros, contract_id, inputs_sha256_hex) VALUES (:cycle, :no, :tenant, :descr, :qty, :rate,"
            " :amount, :contract, :inputs)"
        ),
        [{"cycle": cycle_id, "no": line.line_no, "tenant": line.tenant_id, "descr": line.description,
          "qty": line.quantity_wh, "rate": line.rate_usd_per_mwh, "amount": line.amount_usd_micros,
          "contract": line.contract_id, "inputs": line.inputs_sha256_hex} for line in lines],
    )
    conn.execute(
        text("INSERT INTO settlement_line_detail (cycle_id, line_no, clause, unit, contract_version_id)"
             " VALUES (:cycle, :no, :clause, :unit, :cvid)"),
        [{"cycle": cycle_id, "no": line.line_no, "clause": line.clause, "unit": line.unit,
          "cvid": line.contract_version_id} for line in lines],
    )


def recorded_result_sha256_hex(conn: Connection, cycle_id: str) -> str | None:
    """The fingerprint of revision 0 for the cycle, or None when the cycle is not settled yet."""
    row = conn.execute(
        text("SELECT result_sha256_hex FROM settlement_run WHERE cycle_id = :c AND revision = 0"),
        {"c": cycle_id},
    ).first()
    return None if row is None else str(row[0])



def settled_position(conn: Connection, cycle_id: str) -> tuple[int, str | None, dict[LineKey, PositionLine]]:
    """(latest revision, its result fingerprint, what is settled per line key) for a cycle; (-1, None, {}) when the
    cycle has not been settled. Locks the cycle's original run row so concurrent delta recorders take turns."""
    conn.execute(text("SELECT 1 FROM settlement_run WHERE cycle_id = :c AND revision = 0 FOR UPDATE"), {"c": cycle_id})
    latest = conn.execute(text("SELECT revision, result_sha256_hex FROM settlement_run WHERE cycle_id = :c"
                               " ORDER BY revision DESC LIMIT 1"), {"c": cycle_id}).first()
    if latest is None:
        return -1, None, {}
    originals = conn.execute(text(
        "SELECT l.tenant_id, d.clause, l.description, d.unit, l.quantity_wh, l.rate_usd_per_mwh, l.amount_usd_micros,"
        " l.inputs_sha256_hex FROM settlement_line l JOIN settlement_line_detail d USING (cycle_id, line_no)"
        " WHERE l.cycle_id = :c ORDER BY l.line_no"), {"c": cycle_id}).all()
    keys = keyed([(row[0], row[1]) for row in originals])
    position = {key: PositionLine(*row) for key, row in zip(keys, originals, strict=True)}
    adjustments = conn.execute(text(
        "SELECT tenant_id, clause, clause_occurrence, description, unit, quantity_wh_delta, rate_usd_per_mwh,"
        " amount_usd_micros_delta, inputs_sha256_hex FROM settlement_adjustment WHERE cycle_id = :c"
        " ORDER BY revision, line_no"), {"c": cycle_id}).all()
    for tenant_id, clause, occurrence, description, unit, quantity, rate, amount, inputs in adjustments:
        key = (tenant_id, clause, int(occurrence))
        before = position.get(key)
        position[key] = PositionLine(
            tenant_id, clause, before.description if before else description, unit,
            (before.quantity_wh if before else 0) + int(quantity), rate,
            (before.amount_usd_micros if before else 0) + int(amount), inputs)
    return int(latest[0]), str(latest[1]), position


def insert_revision(conn: Connection, cycle_id: str, revision: int, result: SettlementResult,
                    adjustments: Sequence[AdjustmentLine]) -> bool:
    """Insert a delta revision (run row + adjustment lines); False when that revision number already exists."""
    balance = result.energy_balance
    inserted = conn.execute(
        text(
            "INSERT INTO settlement_run (cycle_id, revision, intervals_sha256_hex, result_sha256_hex, generation_wh,"
            " grid_import_wh, export_wh, tenant_consumption_wh, shared_consumption_wh, losses_wh, storage_charge_wh,"
            " storage_discharge_wh, contract_versions_json, price_sha256_json) VALUES (:cycle, :rev, :ih, :rh, :g,"
            " :i, :e, :t, :s, :l, :sc, :sd,"
            " CAST(:cv AS jsonb), CAST(:ph AS jsonb)) ON CONFLICT DO NOTHING RETURNING cycle_id"
        ),
        {"cycle": cycle_id, "rev": revision, "ih": result.intervals_sha256_hex, "rh": result_sha256_hex(result),
         "g": balance.generation_wh, "i": balance.grid_import_wh, "e": balance.export_wh,
         "t": balance.tenant_consumption_wh, "s": balance.shared_consumption_wh, "l": balance.losses_wh,
         "sc": balance.storage_charge_wh, "sd": balance.storage_discharge_wh,
         "cv": json.dumps(result.contract_versions, sort_keys=True),
         "ph": json.dumps(result.price_sha256_hex, sort_keys=True)},
    ).first()
    if inserted is None:
        return False
    if adjustments:
        conn.execute(
            text("INSERT INTO settlement_adjustment (cycle_id, revision, line_no, tenant_id, description, clause,"
                 " clause_occurrence, unit, quantity_wh_delta, rate_usd_per_mwh, amount_usd_micros_delta,"
                 " inputs_sha256_hex) VALUES (:cycle, :rev, :no, :tenant, :descr, :clause, :occ, :unit, :qty, :rate,"
                 " :amount, :inputs)"),
            [{"cycle": cycle_id, "rev": revision, "no": line.line_no, "tenant": line.tenant_id,
              "descr": line.description, "clause": line.clause, "occ": line.clause_occurrence, "unit": line.unit,
              "qty": line.quantity_wh_delta, "rate": line.rate, "amount": line.amount_usd_micros_delta,
              "inputs": line.inputs_sha256_hex} for line in adjustments],
        )
    return True


def annual_counted_wh(conn: Connection, campus_id: str, prefix: str, cycle_id_excluded: str) -> dict[str, int]:
    """Wh recorded toward annual take-or-pay minimums by the campus's settled cycles other than
    `cycle_id_excluded`, per counted clause (those starting with `prefix`): original lines plus every delta
    revision's quantity changes, so a corrected month counts as corrected."""
    params = {"campus": campus_id, "prefix": prefix, "cycle": cycle_id_excluded}
    rows = conn.execute(text(
        "SELECT d.clause, sum(l.quantity_wh) FROM settlement_line l"
        " JOIN settlement_line_detail d USING (cycle_id, line_no) JOIN billing_cycle c USING (cycle_id)"
        " WHERE c.campus_id = :campus AND starts_with(d.clause, :prefix) AND l.cycle_id <> :cycle"
        " GROUP BY d.clause"
        " UNION ALL"
        " SELECT a.clause, sum(a.quantity_wh_delta) FROM settlement_adjustment a JOIN billing_cycle c USING (cycle_id)"
        " WHERE c.campus_id = :campus AND starts_with(a.clause, :prefix) AND a.cycle_id <> :cycle"
        " GROUP BY a.clause"), params).all()
    counted: dict[str, int] = {}
    for clause, energy_wh in rows:
        counted[str(clause)] = counted.get(str(clause), 0) + int(energy_wh)
    return dict(sorted(counted.items()))


def net_metering_year(conn: Connection, campus_id: str, first_period: str, period_excluded: str,
                      cycle_id_excluded: str) -> tuple[int, int, int, int]:
    """(grid import Wh, export Wh, credited Wh, credit micro-USD) the campus's settled cycles of the monthly
    periods `first_period` <= period < `period_excluded` ('YYYY-MM') recorded, other than `cycle_id_excluded`:
    each cycle's balance as of its latest revision, and the export credit lines (clause
    allocation.grid_tariff.export) with every delta revision's changes."""
    params = {"campus": campus_id, "first": first_period, "last": period_excluded, "cycle": cycle_id_excluded}
    within = ("c.campus_id = :campus AND c.period >= :first AND c.period < :last AND c.cycle_id <> :cycle")
    balance = conn.execute(text(
        "SELECT coalesce(sum(r.grid_import_wh), 0), coalesce(sum(r.export_wh), 0) FROM billing_cycle c"
        " JOIN LATERAL (SELECT grid_import_wh, export_wh FROM settlement_run s WHERE s.cycle_id = c.cycle_id"
        " ORDER BY s.revision DESC LIMIT 1) r ON true WHERE " + within), params).one()
    credits = conn.execute(text(
        "SELECT coalesce(sum(q), 0), coalesce(sum(a), 0) FROM ("
        " SELECT l.quantity_wh AS q, l.amount_usd_micros AS a FROM settlement_line l"
        " JOIN settlement_line_detail d USING (cycle_id, line_no) JOIN billing_cycle c USING (cycle_id)"
        " WHERE d.clause = 'allocation.grid_tariff.export' AND " + within +
        " UNION ALL SELECT x.quantity_wh_delta, x.amount_usd_micros_delta FROM settlement_adjustment x"
        " JOIN billing_cycle c USING (cycle_id) WHERE x.clause = 'allocation.grid_tariff.export' AND " + within +
        ") parts"), params).one()
    return int(balance[0]), int(balance[1]), int(credits[0]), int(credits[1])


def insert_storage_pools(conn: Connection, cycle_id: str, revision: int, pools: dict[str, Pool]) -> None:
    """Keep each battery's closing pool with the revision of the cycle that left it (no-op when already kept)."""
    if not pools:
        return
    conn.execute(
        text("INSERT INTO storage_pool (cycle_id, revision, asset_id, pool_method, energy_wh, lots_json)"
             " VALUES (:cycle, :rev, :asset, :method, :wh, CAST(:lots AS jsonb)) ON CONFLICT DO NOTHING"),
        [{"cycle": cycle_id, "rev": revision, "asset": asset_id, "method": pool.method, "wh": pool.energy_wh,
          "lots": json.dumps([{"source": lot.source, "energy_wh": lot.energy_wh, "amounts": dict(lot.amounts)}
                              for lot in pool.lots])} for asset_id, pool in sorted(pools.items())],
    )


def previous_storage_pools(conn: Connection, campus_id: str, period_start_utc: datetime) -> dict[str, Pool]:
    """The pools the campus's settled period ending last at or before `period_start_utc` left, as its latest
    revision recorded them (a re-settle of an earlier period reads its own predecessor's, not the newest)."""
    rows = conn.execute(text(
        "SELECT p.asset_id, p.pool_method, p.lots_json FROM storage_pool p JOIN ("
        " SELECT s.cycle_id, max(s.revision) AS revision FROM settlement_run s JOIN billing_cycle c USING (cycle_id)"
        " WHERE c.cycle_id = (SELECT cycle_id FROM billing_cycle WHERE campus_id = :campus"
        " AND period_end_utc <= :start ORDER BY period_end_utc DESC LIMIT 1)"
        " AND EXISTS (SELECT 1 FROM storage_pool q WHERE q.cycle_id = s.cycle_id AND q.revision = s.revision)"
        " GROUP BY s.cycle_id) latest USING (cycle_id, revision) ORDER BY p.asset_id"),
        {"campus": campus_id, "start": period_start_utc}).all()
    return {str(asset_id): Pool(method, tuple(make_lot(lot["source"], int(lot["energy_wh"]),
                                                       {name: int(value) for name, value in lot["amounts"].items()})
                                              for lot in lots))
            for asset_id, method, lots in rows}
