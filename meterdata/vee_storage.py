"""VEE's part for batteries: the state-of-charge readings taken out of the energy stream, kept beside the validated
file, and the storage rules run on the period's hours with them (docs/storage.md).

A level is never validated as energy (no gap filling, no spike rule, no hourly sum): `VeeTally` keeps each asset's
readings as they came (meterdata.state_of_charge), this module writes them out and turns them into the storage
rules' counts and findings for the VEE report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from campus import StorageAsset
from meterdata.state_of_charge import state_of_charge_uri_for, write_state_of_charge
from meterdata.storage_checks import (
    StateOfChargeSeries,
    StorageCheckLimits,
    StorageFinding,
    storage_checks,
)

FINDINGS_PER_RULE_MAX = 50
"""Findings the VEE report lists per rule and meter (the counts count them all): enough to see the pattern of a
month of bad readings without a report of megabytes."""
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def state_of_charge_series(table: pa.Table) -> StateOfChargeSeries:
    """One asset's readings (STATE_OF_CHARGE_SCHEMA, in time order) as the storage rules take them."""
    minutes = table["interval_minutes"].to_numpy()
    return StateOfChargeSeries(table["interval_start_utc"].cast(pa.int64()).to_numpy(),
                               int(minutes[0]) if minutes.size else 60,
                               table["stored_wh"].to_numpy().astype(np.int64))


def finish_storage(tables: Mapping[str, pa.Table], assets: Sequence[StorageAsset], hourly_wh: Mapping[str, np.ndarray],
                   period_start_us: int, out_uri: str, roles: Mapping[str, str] | None = None,
                   stored_wh_start_by_asset: Mapping[str, int] | None = None,
                   ) -> tuple[dict[str, dict[str, int]], list[dict[str, object]]]:
    """Write the readings beside `out_uri` (the validated file) and run the storage rules: (counts by rule and
    meter, findings for the report). `roles`: meter id -> role (the rules against the campus's uses and supply);
    `stored_wh_start_by_asset`: the stored energy at the period's start where known."""
    write_state_of_charge(state_of_charge_uri_for(out_uri), [tables[asset_id] for asset_id in sorted(tables)])
    if not assets:
        return {}, []
    series = {asset_id: state_of_charge_series(table) for asset_id, table in tables.items()}
    result = storage_checks(hourly_wh, assets, StorageCheckLimits(), period_start_us, series,
                            stored_wh_start_by_asset, roles)
    return result.counts, findings_report(result.findings)


def findings_report(findings: Sequence[StorageFinding]) -> list[dict[str, object]]:
    """The first FINDINGS_PER_RULE_MAX findings of each rule and meter, as JSON values."""
    shown: dict[tuple[str, str], int] = {}
    listed: list[dict[str, object]] = []
    for finding in findings:
        key = (finding.rule, finding.meter_id)
        shown[key] = shown.get(key, 0) + 1
        if shown[key] > FINDINGS_PER_RULE_MAX:
            continue
        start_utc = EPOCH_UTC + timedelta(microseconds=finding.interval_start_us)
        listed.append({"rule": finding.rule, "meter_id": finding.meter_id,
                       "interval_start_utc": start_utc.isoformat(), "interval_minutes": finding.interval_minutes,
                       "value_wh": finding.value_wh, "reason": finding.reason})
    return listed
