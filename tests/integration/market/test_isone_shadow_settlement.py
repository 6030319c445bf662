"""`wattledger market shadow-statement` on ISO-NE's real-time location summary (SR_RTLOCSUM), end to end through
PostgreSQL and the ledger: an initial version and a resettlement of 2025-07-15 against our grid-import meter and
the ISO's real-time prices.

Worked by hand (location 4004 .Z.CONNECTICUT, hour-ending 01..03 = 04:00..06:00 UTC, import negative):
- ours: metered -12.5, -12.0, -11.5 MWh at our RT prices 31.10 (a price correction the ISO has not applied),
  28.50, 27.50 $/MWh = -388.75 - 342.00 - 316.25 = -1,047.00 $.
- initial: ISO -12.5 x 31.00 = -387.50, -12.0 x 28.50 = -342.00, -11.0 x 27.50 = -302.50; total -1,032.00.
  Difference ISO - ours = +15.00 (+1.25 price in HE01, +13.75 quantity in HE03), all posted.
- resettlement: HE03 becomes -11.5 MWh = -316.25; total -1,045.75; difference +1.25, posted -13.75.
  HE03 is resolved by the later run; HE01's price stays open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from api.app import create_app
from api.principal import Principal
from common.errors import Conflict
from market_adapters.prices import PriceRow, price_table, write_prices_parquet
from settings import Settings
from tests.integration.market.iso_step_rows import IsoMeterRow, insert_campus_cycle, write_month
from wattledger_cli.market import app

STATEMENTS = Path(__file__).resolve().parents[2] / "market_adapters" / "statements"
INITIAL = STATEMENTS / "SR_RTLOCSUM_000050017_2025071500_20250722140533.CSV"
RESETTLEMENT = STATEMENTS / "SR_RTLOCSUM_000050017_2025071500_20250905093012.CSV"
HOUR = datetime(2025, 7, 15, 4, tzinfo=UTC)  # 00:00 EDT
METERED_WH_PER_QUARTER = (3_125_000, 3_000_000, 2_875_000)  # x 4 = 12.5, 12.0, 11.5 MWh per hour
RT_PRICES = (Decimal("31.10"), Decimal("28.50"), Decimal("27.50"))


def _files(tmp_path: Path) -> tuple[str, str]:
    intervals = write_month(tmp_path / "validated.parquet", (HOUR, HOUR + timedelta(hours=3)),
                            {"GI1": lambda index: METERED_WH_PER_QUARTER[index // 4]}, {})
    rows = [PriceRow("ISONE", "RT", ".Z.CONNECTICUT", HOUR + timedelta(hours=h), 60, RT_PRICES[h], None, None, None,
                     None, 1) for h in range(3)]
    # A day-ahead price at the same node and hour must not be used for a real-time statement.
    rows.append(PriceRow("ISONE", "DA", ".Z.CONNECTICUT", HOUR, 60, Decimal(99), None, None, None, None, 1))
    prices = tmp_path / "prices.parquet"
    write_prices_parquet(price_table(rows), str(prices))
    return intervals, str(prices)


def test_isone_statement_versions_reconcile_and_post(engine, database_url, tmp_path):
    refs = insert_campus_cycle(engine, "ISONE", "America/New_York", "2025-07", [IsoMeterRow("GI1", "grid_import",
                                                                                               "4004")])
    intervals, prices = _files(tmp_path)
    env = {"WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_LEDGER_ORIGIN": "wattledger.test/isone-shadow"}

    def shadow(statement: Path):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, ["shadow-statement", refs.campus_id, str(statement), "--intervals", intervals,
                                        "--prices", prices], env=env)

    first = shadow(INITIAL)
    assert first.exit_code == 0, (first.output, repr(first.exception))
    assert first.output.splitlines() == [
        "INITIAL  RT_ENERGY_TIE    difference_usd_micros=15000000 posted_delta_usd_micros=15000000",
        "dispute open                   price              4004 2025-07-15T04:00:00+00:00 1250000",
        "dispute open                   quantity           4004 2025-07-15T06:00:00+00:00 13750000"]

    second = shadow(RESETTLEMENT)
    assert second.exit_code == 0, (second.output, repr(second.exception))
    assert second.output.splitlines() == [
        "INITIAL  RT_ENERGY_TIE    difference_usd_micros=15000000 posted_delta_usd_micros=15000000",
        "RESETTLEMENT RT_ENERGY_TIE    difference_usd_micros=1250000 posted_delta_usd_micros=-13750000",
        "dispute open                   price              4004 2025-07-15T04:00:00+00:00 1250000",
        "dispute resolved_by_later_run  quantity           4004 2025-07-15T06:00:00+00:00 13750000"]

    with engine.connect() as conn:
        runs = conn.execute(text("SELECT run_type, run_sequence FROM market_statement_run WHERE campus_id = :c"
                                 " ORDER BY run_sequence"), {"c": refs.campus_id}).all()
        posted = conn.execute(text("SELECT sum(posted_delta_usd_micros) FROM market_reconciliation"
                                   " WHERE campus_id = :c"), {"c": refs.campus_id}).scalar_one()
    assert [tuple(run) for run in runs] == [("INITIAL", 1), ("RESETTLEMENT", 2)]
    assert posted == 1_250_000  # 15.00 - 13.75: the ledger holds the open difference

    again = shadow(INITIAL)  # an imported version again: nothing new stored or posted
    assert again.exit_code == 0 and again.output == second.output
    older = tmp_path / "SR_RTLOCSUM_000050017_2025071500_20250801000000.CSV"
    older.write_text(INITIAL.read_text().replace("07/22/2025 14:05:33", "08/01/2025 00:00:00"))
    assert isinstance(shadow(older).exception, Conflict)
    # The resettlement's version stamp on other numbers: refused, not silently taken for the stored one.
    edited = tmp_path / RESETTLEMENT.name
    edited.write_text(RESETTLEMENT.read_text().replace('"-310.50"', '"-310.51"'))
    assert isinstance(shadow(edited).exception, Conflict)


def _caller(request):  # type: ignore[no-untyped-def]
    role = request.headers["Authorization"].split()[-1]  # tests send "Bearer <role>"
    return Principal(role, frozenset({role}))


async def test_statement_file_over_http(engine, tmp_path):
    """Finance uploads the initial version (201, stored as INITIAL); a bad cell is a 422 naming line and field and
    stores nothing; an auditor may not upload."""
    refs = insert_campus_cycle(engine, "ISONE", "America/New_York", "2025-07", [])
    app = create_app(Settings(home=tmp_path, database_url="postgresql://unused"), engine, None, authenticate=_caller)
    url = f"/market/campuses/{refs.campus_id}/statement-files"
    bad = INITIAL.read_text().replace('"-336.00"', '"-336.0O"')
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        def upload(role: str, text_body: str):  # type: ignore[no-untyped-def]
            return client.post(url, headers={"Authorization": f"Bearer {role}"}, data={"format": "isone-rtlocsum"},
                               files={"file": (INITIAL.name, text_body.encode(), "text/csv")})
        refused = await upload("finance", bad)
        assert refused.status_code == 422
        assert (refused.json()["line"], refused.json()["field"]) == (8, "Real Time Energy Charge/Credit")
        stored = await upload("finance", INITIAL.read_text())
        assert (stored.status_code, stored.json()) == (201, {"imported": [
            "ISONE-SR_RTLOCSUM-20250715-20250722T140533Z"], "findings": []})
        assert (await upload("auditor", INITIAL.read_text())).status_code == 403
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT run_type FROM market_statement_run WHERE campus_id = :c"),
                            {"c": refs.campus_id}).scalars().all()
    assert runs == ["INITIAL"]
