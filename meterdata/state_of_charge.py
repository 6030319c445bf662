"""A battery's state of charge: the energy stored at each interval end, as its battery management system reports it
in a channel of the discharge meter's files (`state_of_charge_channel` of the `[[storage]]` asset, docs/storage.md).

It is a level, not energy through a register: ingest keeps its readings in the interval Parquet beside the energy
channels (as it keeps the register channel), each checked on the way in (`StateOfChargeSink`: only the asset's
discharge meter reports it, never negative, never above the usable capacity). VEE takes them out of the energy
stream, so they are never summed into a meter's energy nor into the balance, checks them by the storage rules
(meterdata.storage_checks) and writes them beside the validated file (`state_of_charge_uri_for`, in
STATE_OF_CHARGE_SCHEMA), where settlement reads the stored energy at the period's end (`stored_wh_at`).

A reading's `interval_start_utc` names its interval like every reading; its `stored_wh` is the level at that
interval's end, in the meter's unit converted to Wh like the other channels of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from campus import StorageAsset
from common import storage
from common.errors import BadInput
from common.timeutil import require_utc
from meterdata.readings import ReadingSink, micros_from_datetime

STATE_OF_CHARGE_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("meter_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("interval_minutes", pa.int16(), nullable=False),
        pa.field("stored_wh", pa.int64(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),
    ]
)
"""One reported level of one battery: Wh stored at the end of the interval `interval_start_utc` begins, and the file
and line it came from."""


@dataclass(frozen=True)
class ReadingFields:
    """The names a file format gives the value and the channel, for the field an error names."""

    value: str
    channel: str


def state_of_charge_keys(assets: Iterable[StorageAsset]) -> dict[tuple[str, str], StorageAsset]:
    """(discharge meter, channel) -> asset, for the assets that declare a state-of-charge channel."""
    return {(asset.discharge_meter_id, asset.state_of_charge_channel): asset
            for asset in assets if asset.state_of_charge_channel is not None}


def state_of_charge_uri_for(validated_uri: str) -> str:
    """The state-of-charge file VEE writes beside its validated file."""
    return validated_uri.removesuffix(".parquet") + ".state_of_charge.parquet"


class StateOfChargeCheck:
    """Refuses a state-of-charge reading that cannot be one: on a meter other than the asset's discharge meter, below
    zero, or above the asset's usable capacity. Other readings pass unchecked."""

    def __init__(self, assets: Sequence[StorageAsset], source: str, fields: ReadingFields) -> None:
        self.keys = state_of_charge_keys(assets)
        self.by_channel = {channel: asset for (_, channel), asset in self.keys.items()}
        self.source = source
        self.fields = fields

    def check(self, meter_id: str, channel: str, stored_wh: int, line: int) -> None:
        asset = self.keys.get((meter_id, channel))
        if asset is None:
            named = self.by_channel.get(channel)
            if named is not None:
                raise BadInput(self.source, line, self.fields.channel,
                               f"channel {channel!r} is the state of charge of battery {named.asset_id}, which only "
                               f"its discharge meter {named.discharge_meter_id} reports, not meter {meter_id}")
            return
        if stored_wh < 0:
            raise BadInput(self.source, line, self.fields.value,
                           f"state of charge {stored_wh} Wh of battery {asset.asset_id} is negative")
        if stored_wh > asset.capacity_wh_usable:
            raise BadInput(self.source, line, self.fields.value,
                           f"state of charge {stored_wh} Wh of battery {asset.asset_id} is above its usable capacity "
                           f"{asset.capacity_wh_usable} Wh")

    def check_batch(self, batch: pa.Table) -> None:
        """Every reading of `batch` (READING_BATCH_SCHEMA) on a state-of-charge channel, in line order."""
        rows = batch.filter(pc.is_in(batch["channel"], pa.array(sorted(self.by_channel), pa.string())))
        if rows.num_rows == 0:
            return
        rows = rows.sort_by("source_row")
        for meter_id, channel, stored_wh, line in zip(rows["meter_id"].to_pylist(), rows["channel"].to_pylist(),
                                                      rows["energy_wh"].to_pylist(), rows["source_row"].to_pylist(),
                                                      strict=True):
            self.check(meter_id, channel, stored_wh, line)


class StateOfChargeSink:
    """A reading sink that checks state-of-charge readings (`StateOfChargeCheck`) before passing every reading on."""

    def __init__(self, out: ReadingSink, check: StateOfChargeCheck) -> None:
        self.out = out
        self.state_of_charge = check

    def append(self, meter_id: str, channel: str, start_utc: datetime, interval_minutes: int, energy_wh: int,
               quality: int, source_sha256: str, source_row: int, /) -> None:
        if channel in self.state_of_charge.by_channel:
            self.state_of_charge.check(meter_id, channel, energy_wh, source_row)
        self.out.append(meter_id, channel, start_utc, interval_minutes, energy_wh, quality, source_sha256, source_row)

    def extend(self, batch: pa.Table, source_sha256: str, /) -> None:
        self.state_of_charge.check_batch(batch)
        self.out.extend(batch, source_sha256)


def checked_sink(out: ReadingSink, assets: Sequence[StorageAsset], source: str, fields: ReadingFields) -> ReadingSink:
    """`out` behind the state-of-charge check, or `out` itself when no asset declares a channel."""
    if not state_of_charge_keys(assets):
        return out
    return StateOfChargeSink(out, StateOfChargeCheck(assets, source, fields))


def state_of_charge_table(asset_id: str, interval_minutes: int, series: pa.Table) -> pa.Table:
    """One asset's readings (rows of its channel: meter_id, channel, interval_start_utc, energy_wh, source_sha256,
    source_row) in STATE_OF_CHARGE_SCHEMA, one per interval: of two readings for one interval the later line wins (a
    reading corrected further down its file)."""
    series = series.sort_by([("interval_start_utc", "ascending"), ("source_row", "ascending")])
    start_us = series["interval_start_utc"].cast(pa.int64()).to_numpy()
    last = np.ones(start_us.size, dtype=bool)
    last[:-1] = start_us[1:] != start_us[:-1]
    series = series.filter(pa.array(last))
    count = series.num_rows
    return pa.Table.from_arrays(
        [pa.array([asset_id] * count, pa.string()), series["meter_id"].cast(pa.string()),
         series["channel"].cast(pa.string()), series["interval_start_utc"].cast(pa.timestamp("us", tz="UTC")),
         pa.array(np.full(count, interval_minutes, np.int16)), series["energy_wh"].cast(pa.int64()),
         series["source_sha256"].cast(pa.string()), series["source_row"].cast(pa.int32())],
        schema=STATE_OF_CHARGE_SCHEMA)


def write_state_of_charge(uri: str, tables: Sequence[pa.Table]) -> None:
    """The readings of every asset, one file (empty when none were reported), whole or not at all."""
    table = pa.concat_tables(tables) if tables else STATE_OF_CHARGE_SCHEMA.empty_table()
    with storage.atomic_output(uri) as stream:
        pq.write_table(table.sort_by([("asset_id", "ascending"), ("interval_start_utc", "ascending")]), stream,
                       compression="zstd")


def read_state_of_charge(uri: str) -> pa.Table:
    """The file VEE wrote; an empty table when there is none (a validated file from before state of charge was
    read, or one written by hand)."""
    if not storage.exists(uri):
        return STATE_OF_CHARGE_SCHEMA.empty_table()
    return pq.read_table(pa.BufferReader(storage.read_bytes(uri)), schema=STATE_OF_CHARGE_SCHEMA)


def stored_wh_at(table: pa.Table, instant_utc: datetime) -> dict[str, int]:
    """Asset id -> the stored energy reported at `instant_utc`: the reading whose interval ends there."""
    instant_us = micros_from_datetime(require_utc(instant_utc, "instant_utc"))
    start_us = table["interval_start_utc"].cast(pa.int64()).to_numpy()
    end_us = start_us + table["interval_minutes"].to_numpy().astype(np.int64) * 60_000_000
    rows = np.flatnonzero(end_us == instant_us)
    assets = table["asset_id"].to_pylist()
    stored = table["stored_wh"].to_numpy()
    return {assets[row]: int(stored[row]) for row in rows}


def stored_wh_at_period_end(validated_uri: str, period_end_utc: datetime) -> dict[str, int]:
    """Asset id -> the stored energy reported at the period's end, from the state of charge VEE kept beside
    `validated_uri` (assets without a reading there are absent)."""
    return stored_wh_at(read_state_of_charge(state_of_charge_uri_for(validated_uri)), period_end_utc)

