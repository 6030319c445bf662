"""Writes ercot_np4190_hb_south_202507.csv (NP4-190-CD layout) from ercot_dam_hb_south_202507_values.txt.

The values file is the `HB_SOUTH_DAM` column of the July 2025 rows of ThibaudCambronne/MPC-BESS-ERCOT @ b738361
`data/All_2025_with_AS_sample_3m.csv` (ERCOT day-ahead settlement point prices, one row per `MM/DD/YYYY HE` key),
copied value by value: one line per delivery day, the day then its 24 hour-ending prices. That repository keeps the
prices in a wide, derived table; this rewrites them in the layout ERCOT publishes NP4-190-CD in, so the project's
own `ercot-np4-190` reader reads them. July has no DST change, so every row is DSTFlag N.
Run: .venv/bin/python tests/unit/participation/prices/make_ercot_np4190_hb_south_202507.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
HOURS_PER_DAY = 24


def main() -> None:
    lines = ["DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag"]
    for row in (HERE / "ercot_dam_hb_south_202507_values.txt").read_text().splitlines():
        day, *prices = row.split()
        assert len(prices) == HOURS_PER_DAY, f"{day}: {len(prices)} prices"
        lines += [f"{day},{hour:02d}:00,HB_SOUTH,{price},N" for hour, price in enumerate(prices, start=1)]
    (HERE / "ercot_np4190_hb_south_202507.csv").write_text("\r\n".join(lines) + "\r\n")


if __name__ == "__main__":
    main()
