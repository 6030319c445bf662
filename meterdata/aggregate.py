"""Aggregation of validated intervals to 15-minute, hourly or an ISO's settlement interval, per meter,
tenant or campus, streaming over a pyarrow dataset partitioned by campus and month.

Memory is bounded by one record batch plus the (small) partial sums: each batch is grouped on its own and
the partial sums are grouped once more at the end. Energy stays integer Wh throughout.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from common.errors import BadInput
from common.uri import resolve
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MISSING
from meterdata.series import open_parquet
from meterdata.specs import MeterSpec

ISO_SETTLEMENT_MINUTES = {"ERCOT": 15, "CAISO": 5, "PJM": 5, "MISO": 5, "ISONE": 5, "NYISO": 5, "SPP": 5}
"""Real-time settlement interval by ISO (ERCOT settles 15-minute intervals; the others five-minute)."""
LEVELS = ("meter", "tenant", "campus")
BATCH_ROWS = 1 << 20
MICROS_PER_MINUTE = 60_000_000
AGGREGATE_SCHEMA = pa.schema([
    pa.field("key", pa.string(), nullable=False),
    pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("interval_minutes", pa.int16(), nullable=False),
    pa.field("energy_wh", pa.int64(), nullable=False),
    pa.field("estimated_intervals", pa.int64(), nullable=False),
    pa.field("missing_intervals", pa.int64(), nullable=False),
])


def write_partitioned(validated_uri: str, campus_id: str, dataset_root_uri: str) -> None:
    """Append a validated file to the dataset under campus_id=<id>/month=<YYYY-MM> (UTC month)."""
    parquet = open_parquet(validated_uri)

    def batches() -> Iterator[pa.RecordBatch]:
        for index in range(parquet.num_row_groups):
            group = parquet.read_row_group(index)
            table = group.cast(_plain_strings(group.schema))
            month = pc.strftime(table["interval_start_utc"], format="%Y-%m")
            table = table.append_column("campus_id", pa.array([campus_id] * table.num_rows, pa.string()))
            yield from table.append_column("month", month).to_batches()

    schema = _plain_strings(parquet.schema_arrow).append(pa.field("campus_id", pa.string())).append(
        pa.field("month", pa.string()))
    filesystem, root = resolve(dataset_root_uri)
    ds.write_dataset(
        pa.RecordBatchReader.from_batches(schema, batches()),
        root, filesystem=filesystem, format="parquet", partitioning=["campus_id", "month"],
        partitioning_flavor="hive", existing_data_behavior="overwrite_or_ignore",
        basename_template=f"{resolve(validated_uri)[1].rsplit('/', 1)[-1]}-{{i}}.parquet",
    )


def _plain_strings(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.string(), f.nullable) if pa.types.is_dictionary(f.type) else f for f in schema])


def aggregate(
    dataset_root_uri: str, campus_id: str, meters: Mapping[str, MeterSpec], level: str, resolution_minutes: int,
    months: list[str] | None = None,
) -> pa.Table:
    """Sum energy per (key, interval of `resolution_minutes`) for one campus; key = meter, tenant or campus.

    Tenant level sums tenant_consumption meters per tenant; campus level sums each role (key = role).
    """
    if level not in LEVELS:
        raise BadInput("aggregate", None, "level", f"{level!r} is not one of {LEVELS}")
    finest = max((spec.interval_minutes for spec in meters.values()), default=resolution_minutes)
    if resolution_minutes < finest or resolution_minutes % finest:
        raise BadInput("aggregate", None, "resolution_minutes",
                       f"{resolution_minutes} min cannot be built from {finest}-minute intervals")
    key_of = _keys(meters, level)
    filesystem, root = resolve(dataset_root_uri)
    dataset = ds.dataset(root, filesystem=filesystem, format="parquet", partitioning="hive")
    condition = ds.field("campus_id") == campus_id
    if months:
        condition &= ds.field("month").isin(months)
    partials = [_partial(batch, key_of, resolution_minutes) for batch in dataset.to_batches(
        columns=["meter_id", "channel", "interval_start_utc", "energy_wh", "quality"], filter=condition,
        batch_size=BATCH_ROWS)]
    return _combine([p for p in partials if p.num_rows], resolution_minutes)


def _keys(meters: Mapping[str, MeterSpec], level: str) -> dict[str, str]:
    if level == "meter":
        return {m: m for m in meters}
    if level == "tenant":
        return {m: spec.tenant_id for m, spec in meters.items() if spec.tenant_id is not None}
    # Sub-meters are inside their main meter already.
    return {m: spec.role for m, spec in meters.items() if spec.parent_meter_id is None}


def _partial(batch: pa.RecordBatch, key_of: dict[str, str], resolution_minutes: int) -> pa.Table:
    table = pa.Table.from_batches([batch])
    table = table.filter(pc.not_equal(table["channel"], "register"))
    # Map meter -> key once per distinct meter, not once per row.
    encoded = table["meter_id"].combine_chunks()
    if not pa.types.is_dictionary(encoded.type):
        encoded = encoded.dictionary_encode()
    key_names = pa.array([key_of.get(m) for m in encoded.dictionary.to_pylist()], pa.string())
    keys = key_names.take(encoded.indices)
    bucket_us = resolution_minutes * MICROS_PER_MINUTE
    start_us = table["interval_start_utc"].cast(pa.int64()).to_numpy()
    quality = table["quality"].to_numpy()
    frame = pa.table({
        "key": keys,
        "bucket_us": pa.array(start_us - start_us % bucket_us, pa.int64()),
        "energy_wh": table["energy_wh"],
        "estimated": pa.array(((quality & QUALITY_ESTIMATED) != 0).astype(np.int64)),
        "missing": pa.array(((quality & QUALITY_MISSING) != 0).astype(np.int64)),
    }).filter(pc.is_valid(keys))
    return frame.group_by(["key", "bucket_us"]).aggregate(
        [("energy_wh", "sum"), ("estimated", "sum"), ("missing", "sum")]
    ).rename_columns(["key", "bucket_us", "energy_wh", "estimated", "missing"])


def _combine(partials: list[pa.Table], resolution_minutes: int) -> pa.Table:
    if not partials:
        return AGGREGATE_SCHEMA.empty_table()
    merged = pa.concat_tables(partials).group_by(["key", "bucket_us"]).aggregate(
        [("energy_wh", "sum"), ("estimated", "sum"), ("missing", "sum")]
    ).sort_by([("key", "ascending"), ("bucket_us", "ascending")])
    return pa.Table.from_arrays([
        merged["key"],
        merged["bucket_us"].cast(pa.timestamp("us", tz="UTC")),
        pa.array(np.full(merged.num_rows, resolution_minutes, np.int16)),
        merged["energy_wh_sum"],
        merged["estimated_sum"],
        merged["missing_sum"],
    ], schema=AGGREGATE_SCHEMA)
