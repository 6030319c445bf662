"""`wattledger meterdata vee` reads the campus's batteries as the cycle's validate step does (one service function,
`meterdata.service.storage_for_vee`), on a real PostgreSQL: the state-of-charge channel is a level run through the
storage rules, never energy, and the rules start from the level the previous period's VEE run kept at its end.

Campus with bess1 (`state_of_charge_channel = "soc"` on BESS-DIS, capacity 8 000 000, floor 400 000, 820-920
permille). Hour 1 (05:00-06:00 UTC) reports 5 000 000 Wh at each quarter-hour's end. Hour 2 (06:00-07:00) moves
nothing in or out and its last reading (ending 07:00) is 3 000 000 Wh: a change of -2 000 000 Wh with nothing
discharged, beyond the margin of 1 % x 8 000 000 + 1 000 = 81 000 Wh. Only the carried start level shows it: hour
2's own first hour end is its only one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from campus.file import parse_campus_text
from campus.service import apply
from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_MEASURED
from tests.unit.storage_assets.campus_text import BASE, STORAGE
from wattledger_cli.meterdata import app

HOUR_1 = datetime(2026, 1, 5, 5, tzinfo=UTC)
HOUR_2 = HOUR_1 + timedelta(hours=1)


def _intervals(path: Path, start: datetime, levels_wh: list[int]) -> str:
    columns = ReadingColumns()
    for quarter, stored_wh in enumerate(levels_wh):
        at = start + timedelta(minutes=15 * quarter)
        for meter, energy_wh in (("GRID-IMP", 900_000), ("A-LOAD", 600_000), ("B-LOAD", 290_000),
                                 ("BESS-CHG", 0), ("BESS-DIS", 0)):
            columns.append(meter, "main", at, 15, energy_wh, QUALITY_MEASURED, "ab" * 32, quarter + 2)
        columns.append("BESS-DIS", "soc", at, 15, stored_wh, QUALITY_MEASURED, "cd" * 32, quarter + 2)
    write_intervals(columns, str(path))
    return str(path)


def test_cli_vee_checks_the_state_of_charge_from_the_previous_periods_level(
        engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", str(tmp_path / "data"))
    campus_id = f"store-{uuid.uuid4().hex[:8]}"
    text_ = (BASE + STORAGE.format(charge="BESS-CHG")).replace('id = "store"', f'id = "{campus_id}"')
    apply(engine, parse_campus_text("campus.toml", text_.encode(), None), "tester")
    runner = CliRunner()

    def vee(start: datetime, levels_wh: list[int], name: str) -> dict[str, object]:
        intervals = _intervals(tmp_path / f"{name}.parquet", start, levels_wh)
        ran = runner.invoke(app, ["vee", intervals, "--campus", campus_id, start.isoformat(),
                                  (start + timedelta(hours=1)).isoformat(), str(tmp_path / f"{name}-validated.parquet"),
                                  "--as-json"])
        assert ran.exit_code == 0, ran.output
        return json.loads(ran.output)  # type: ignore[no-any-return]

    first = vee(HOUR_1, [5_000_000] * 4, "hour-1")
    rules = first["rules"]
    assert isinstance(rules, dict)
    # The level is no energy: 5 000 000 Wh a quarter-hour would be far over the meter's 2 000 kW (500 000 Wh), and
    # the storage rules ran on it as a level.
    assert rules["over_capacity"]["BESS-DIS"] == 0
    assert rules["storage_state_of_charge_change"] == {"BESS-DIS": 0}
    assert rules["storage_state_of_charge_bounds"] == {"BESS-DIS": 0}
    second = vee(HOUR_2, [5_000_000, 5_000_000, 5_000_000, 3_000_000], "hour-2")
    rules = second["rules"]
    assert isinstance(rules, dict)
    assert rules["storage_state_of_charge_change"] == {"BESS-DIS": 1}
    findings = second["storage_findings"]
    assert isinstance(findings, list)
    assert [(f["rule"], f["meter_id"], f["interval_start_utc"], f["value_wh"]) for f in findings] == \
        [("storage_state_of_charge_change", "BESS-DIS", "2026-01-05T06:00:00+00:00", -2_000_000)]
