"""Effective dating through campus files, settled on PostgreSQL: a later version leaves an old month's settlement
unchanged, and an amendment inside the month prices each day by the version in force.

The ERCOT sample campus is applied, its generated September is ingested and validated (VEE takes the battery's state
of charge out of the energy), and `settle_cycle` runs before and after new versions of the campus file.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import Engine

from campus import load_meters, load_storage_assets
from campus.file import parse_campus_text
from campus.service import apply
from demo.ercot.site_export import write_meter_files, write_price_file
from market_adapters.ercot.parse import parse_np6_905_csv
from market_adapters.prices import price_table, write_prices_parquet
from meterdata import SITE_EXPORT_V1, ingest_files, run_vee
from meterdata.specs import meter_spec_from_campus
from settlement import result_sha256_hex, settle_cycle

ROOT = Path(__file__).resolve().parents[3]
ERCOT_FILE = ROOT / "demo" / "ercot" / "campus.toml"
START_UTC = datetime(2026, 9, 1, 5, tzinfo=UTC)
END_UTC = datetime(2026, 10, 1, 5, tzinfo=UTC)


def _document(campus_id: str, edit=None):  # type: ignore[no-untyped-def]
    raw = tomllib.loads(ERCOT_FILE.read_text(), parse_float=Decimal)
    raw["campus"]["id"] = campus_id
    if edit is not None:
        edit(raw)
    return parse_campus_text(f"{campus_id}.toml", tomli_w.dumps(raw).encode(),
                             lambda name: (ERCOT_FILE.parent / name).read_text())


def _contract(raw: dict, key: str) -> dict:
    return next(c for c in raw["contracts"] if c["key"] == key)


@pytest.fixture(scope="module")
def september(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(validated intervals Parquet, prices Parquet) of the sample's September, ingested with the campus's meter specs
    and batteries, then validated."""
    folder = tmp_path_factory.mktemp("ercot-september")
    apply(engine, _document("versions-ercot"), "tester")
    with engine.connect() as conn:
        specs = {m.meter_id: meter_spec_from_campus(m) for m in load_meters(conn, "versions-ercot")}
        storage = load_storage_assets(conn, "versions-ercot")
    ingested_uri = str(folder / "intervals.parquet")
    ingest_files([str(p) for p in write_meter_files(folder / "export", 2026, 9)], specs, SITE_EXPORT_V1,
                 ingested_uri, START_UTC, END_UTC, storage=storage)
    intervals_uri = run_vee(ingested_uri, specs, START_UTC, END_UTC, str(folder / "validated.parquet"),
                            local_time_zone="America/Chicago", storage=storage).validated_uri
    price_file = write_price_file(folder, 2026, 9)
    rows = parse_np6_905_csv(price_file.read_text(), price_file.name, publish_time_utc=None, version=1)
    prices_uri = str(folder / "prices.parquet")
    write_prices_parquet(price_table(rows), prices_uri)
    return intervals_uri, prices_uri


def _settle(engine: Engine, september: tuple[str, str], campus_id: str = "versions-ercot"
            ):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return settle_cycle(conn, campus_id, f"cycle:{campus_id}:2026-09", START_UTC, END_UTC, september[0],
                            [september[1]])


def test_later_versions_leave_an_old_month_as_it_was_settled(engine: Engine, september: tuple[str, str]) -> None:
    """Version 2 amends a price from October 15, moves a tenant out in December, adds a tenant and a meter from
    November: September settles to the same result, line for line."""
    before = _settle(engine, september)

    def later(raw: dict) -> None:
        _contract(raw, "mesquite-cloud-supply")["versions"].append(
            {"effective_from": "2026-10-15", "terms": {"price_usd_per_mwh": "80.00"}})
        raw["tenants"][0]["move_out"] = "2026-12-01"
        raw["tenants"].append({"id": "pecan-labs", "name": "Pecan Labs", "move_in": "2026-11-01"})
        raw["meters"].append({"id": "PL-HALL5", "role": "tenant_consumption", "tenant": "pecan-labs", "unit": "kWh",
                              "active_from": "2026-11-01T00:00:00-05:00"})
        raw["contracts"].append({"key": "pecan-labs-supply", "kind": "fixed_price", "tenant": "pecan-labs",
                                 "versions": [{"effective_from": "2026-11-01",
                                               "terms": {"price_usd_per_mwh": "70.00"}}]})

    assert apply(engine, _document("versions-ercot", later), "tester").version == 2
    after = _settle(engine, september)
    assert result_sha256_hex(after) == result_sha256_hex(before)
    assert after.tenant_totals_usd_micros == before.tenant_totals_usd_micros


def test_an_amendment_inside_the_month_prices_each_day_by_its_version(engine: Engine,
                                                                     september: tuple[str, str]) -> None:
    """Mesquite's fixed price changes on September 16: the 1st-15th at $71.25, the 16th-30th at $74.00, each
    day's metered energy (its meter in the file, summed here from the same intervals) priced once."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def amend(raw: dict) -> None:
        _contract(raw, "mesquite-cloud-supply")["versions"].append(
            {"effective_from": "2026-09-16", "terms": {"price_usd_per_mwh": "74.00"}})

    apply(engine, _document("amended-ercot"), "tester")  # the same intervals, its own campus
    assert apply(engine, _document("amended-ercot", amend), "tester").version == 2
    result = _settle(engine, september, "amended-ercot")
    lines = [line for line in result.lines if line.tenant_id == "mesquite-cloud" and line.unit == "MWh"
             and line.clause == "v0.supply_price"]
    table = pq.read_table(september[0]).filter(pc.equal(pc.field("meter_id"), "MQ-HALL4"))
    split_utc = datetime(2026, 9, 16, 5, tzinfo=UTC)
    starts = table.column("interval_start_utc").to_pylist()
    energy = table.column("energy_wh").to_pylist()
    first_wh = sum(wh for start, wh in zip(starts, energy, strict=True) if start < split_utc)
    second_wh = sum(energy) - first_wh
    assert [(line.quantity_wh, line.rate_usd_per_mwh) for line in lines] == [
        (first_wh, Decimal("71.25")), (second_wh, Decimal("74.00"))]
    assert [line.amount_usd_micros for line in lines] == [
        int((first_wh * Decimal("71.25")).quantize(Decimal(1))), int((second_wh * Decimal("74.00")).quantize(Decimal(1)))]
    assert "2026-09-01 to 2026-09-15" in lines[0].description and "2026-09-16 to 2026-09-30" in lines[1].description
