"""NYISO body vs a plain-Python reference on random interval data around DST days (hypothesis): same records,
same labels, same 4-decimal MWh; gaps and missing flags drop exactly the hours they touch."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from market_adapters.model import IsoMeterRef
from market_adapters.nyiso import build_power_metering_document
from meterdata.schema import INTERVAL_SCHEMA, QUALITY_MISSING

EASTERN = ZoneInfo("America/New_York")
STARTS = [datetime(2025, 11, 2, 3, tzinfo=UTC), datetime(2025, 3, 9, 4, tzinfo=UTC), datetime(2025, 7, 15, 4, tzinfo=UTC)]
QUARTER = timedelta(minutes=15)

interval = st.tuples(st.integers(0, 99_999_999), st.sampled_from(["keep", "keep", "keep", "drop", "missing"]))


def _reference(start: datetime, cells: list[tuple[int, str]]) -> list[dict]:
    hours: dict[datetime, list[tuple[int, str]]] = {}
    for index, cell in enumerate(cells):
        hour = start + (index // 4) * timedelta(hours=1)
        hours.setdefault(hour, []).append(cell)
    records = []
    for hour, parts in sorted(hours.items()):
        if len(parts) < 4 or any(state != "keep" for _, state in parts):
            continue
        mwh = (Decimal(sum(energy for energy, _ in parts)) / 1_000_000).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
        records.append({"genPtid": 7, "dateHour": hour.astimezone(EASTERN).isoformat(),
                        "meterInjectionEnergyMwh": float(mwh)})
    return records


@settings(max_examples=40, deadline=None)
@given(start=st.sampled_from(STARTS), hours=st.integers(1, 6), data=st.data())
def test_body_matches_plain_python_reference(start, hours, data):
    """For random energies, dropped intervals and missing flags, the builder equals the reference."""
    cells = data.draw(st.lists(interval, min_size=hours * 4, max_size=hours * 4))
    rows = [(start + i * QUARTER, energy, state) for i, (energy, state) in enumerate(cells) if state != "drop"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "i.parquet"
        table = pa.table({"meter_id": ["G"] * len(rows), "channel": ["delivered"] * len(rows),
                          "interval_start_utc": [r[0] for r in rows], "interval_minutes": [15] * len(rows),
                          "energy_wh": [r[1] for r in rows],
                          "quality": [QUALITY_MISSING if r[2] == "missing" else 0 for r in rows],
                          "source_sha256": ["0" * 64] * len(rows), "source_row": list(range(len(rows)))},
                         schema=INTERVAL_SCHEMA)
        pq.write_table(table, path)
        doc = build_power_metering_document(str(path), [IsoMeterRef("G", "7", "generation")], start,
                                            start + timedelta(hours=hours), EASTERN, "prop")
    assert doc.get("generators", []) == _reference(start, cells)
