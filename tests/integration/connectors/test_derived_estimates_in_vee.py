"""Intervals a connector derived as estimated (a boundary split from a register step across a gap) stay estimated
through the billing cycle's real path: derived into the campus meter-data store, read by the cycle's ingest,
validated by VEE — counted in the report's estimated intervals and the cycle's validation summary, left out of the
meter's valid intervals, and counted in the tenant's estimated energy (the estimated share). Real PostgreSQL; the
Temporal client is replaced by a recorder of the workflow input, the steps run their real service functions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Engine

from billing import service as cycles_service
from billing.cycle_summary import vee_report_summary
from billing.tenant_intervals import tenant_interval_figures
from connectors.derive import derive_window
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.store import commit_batch
from meterdata.schema import QUALITY_ESTIMATED
from settings import Settings
from tests.integration.connectors.conftest import apply_live_campus, channel_text
from tests.integration.temporal_recorder import TemporalRecorder
from workflows.billing_cycle_start import start_cycle

DAY = datetime(2026, 10, 31, tzinfo=UTC)  # the period's last (local) day: nothing after it in the period
METER = "ACME-A"


def delivery(at: datetime, register_wh: int) -> Delivery:
    reading = RegisterReading(METER, "main", at, at + timedelta(milliseconds=20), register_wh, ReadingQuality.GOOD,
                              str(register_wh))
    return Delivery(f"mqtt:test/{METER}", json.dumps({"ts": at.isoformat(), "wh": register_wh}).encode(), (reading,))


async def test_register_estimated_intervals_are_estimated_in_vee_and_the_cycle_summary(engine: Engine,
                                                                                        data_root: str) -> None:
    """Readings every minute 14:00–14:30 and 15:00–15:30 UTC on 31 Oct, 100 Wh a minute (200,000 Wh at 14:00).
    14:00, 14:15, 15:00 and 15:15 have both boundaries on readings: measured, 1,500 Wh each. 14:30–14:45 and
    14:45–15:00 take the 14:45 boundary split from the 14:30 → 15:00 step (3,000 Wh over 30 min, 1,500 each):
    estimated. VEE keeps those marks: its estimated count is its own estimates (like-day copies onto earlier days)
    plus these 2, in the report and the cycle's summary; ACME-A has 4 valid intervals; on 31 Oct tenant
    acme-ai's estimated energy is 2 × 1,500 = 3,000 Wh of 6 × 1,500 = 9,000 Wh."""
    campus_id = apply_live_campus(engine, channel_text(METER, 1883, f"plant/{METER}"))  # no broker: derivation only
    minutes = [m for m in range(91) if m <= 30 or m >= 60]
    commit_batch(engine, data_root, campus_id,
                 [delivery(DAY.replace(hour=14) + timedelta(minutes=m), 200_000 + 100 * m) for m in minutes])
    derived = derive_window(engine, data_root, campus_id, DAY, DAY + timedelta(days=1), datetime.now(UTC))
    assert (derived.interval_count, derived.estimated_count) == (6, 2)

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home")
    temporal = TemporalRecorder()
    started = await start_cycle(temporal, engine, settings, campus_id, "2026-10")  # type: ignore[arg-type]
    ingested = cycles_service.ingest(engine, settings, started.cycle_id, campus_id, "2026-10", "v1")
    result = cycles_service.validate(engine, settings, started.cycle_id, campus_id, "2026-10", "v1",
                                     ingested.intervals_uri)

    table = pq.read_table(result.validated_uri)
    last_day = table.filter(pc.greater_equal(table["interval_start_utc"], pa.scalar(DAY, table["interval_start_utc"].type)))
    mine = [row for row in last_day.to_pylist() if row["meter_id"] == METER and row["energy_wh"]]
    assert [(row["interval_start_utc"].strftime("%H:%M"), row["energy_wh"], row["quality"] & QUALITY_ESTIMATED)
            for row in mine] == [("14:00", 1_500, 0), ("14:15", 1_500, 0), ("14:30", 1_500, QUALITY_ESTIMATED),
                                 ("14:45", 1_500, QUALITY_ESTIMATED), ("15:00", 1_500, 0), ("15:15", 1_500, 0)]
    # VEE's own estimates (like-day copies of these values onto the earlier days) plus the connector's two.
    estimation: dict[str, dict[str, int]] = result.report["estimation"]  # type: ignore[assignment]
    own = sum(sum(estimation[method].values()) for method in ("linear", "like_day"))
    assert result.estimated_count == result.report["intervals_estimated"] == own + 2
    assert vee_report_summary(result.report)["intervals_estimated"] == own + 2
    meters: dict[str, dict[str, Any]] = result.report["meters"]  # type: ignore[assignment]
    assert meters[METER]["intervals_valid"] == 4

    tenants = {meter: None for meter in set(table["meter_id"].to_pylist())} | {METER: "acme-ai"}
    figures = tenant_interval_figures(last_day, tenants)
    assert (figures["acme-ai"]["energy_wh"], figures["acme-ai"]["energy_wh_estimated"]) == (9_000, 3_000)
