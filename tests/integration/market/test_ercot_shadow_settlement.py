"""`wattledger market shadow-statement --format ercot-rtm-statement`, end to end through PostgreSQL and the ledger:
ERCOT's Initial and Final RTM statements of 2025-07-15 (synthetic, tests/market_adapters/statements/SOURCES.md)
against our grid-import meter at the campus's settlement point LZ_HOUSTON and ERCOT's 15-minute prices.

Worked by hand (intervals 1..4 = 05:00..06:00 UTC, 00:00 CDT; format v1: MWh delivered, $ paid to us):
- ours: metered 2.5, 2.4, 2.6, 2.5 MWh taken at our RT prices 30.00, 31.20, 29.80, 28.40 $/MWh:
  -75.00 - 74.88 - 77.48 - 71.00 = -298.36 $.
- Initial: ERCOT -75.00 (30.00 x 2.5), -75.00 (31.25 x 2.4: a price we do not have), -68.54 (29.80 x 2.3: 0.3 MWh
  less than we metered), -71.10 (28.40 x 2.5 is 71.00: ERCOT's own arithmetic, flagged at import); total -289.64.
  RTEIAMT difference ERCOT - ours = -0.12 + 8.94 - 0.10 = +8.72 $, all posted.
- Final: interval 3 becomes 2.6 MWh = -77.48 (BILLQTY 0.3, BILLAMT 8.94, as stated); total -298.58; difference
  -0.22 $, posted -0.22 - 8.72 = -8.94 $. Interval 3 is resolved by the later run; the price of interval 2 and
  the amount of interval 4 stay open. The Final also states BILLAMT 0.05 for interval 2, which did not change:
  flagged, line 3.
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
from common.errors import BadInput, Conflict
from market_adapters.prices import PriceRow, price_table, write_prices_parquet
from settings import Settings
from tests.integration.market.iso_step_rows import IsoMeterRow, insert_campus_cycle, write_month
from wattledger_cli.market import app

STATEMENTS = Path(__file__).resolve().parents[2] / "market_adapters" / "statements"
INITIAL = STATEMENTS / "ercot_rtm_statement_QTEST1_20250715_initial.csv"
FINAL = STATEMENTS / "ercot_rtm_statement_QTEST1_20250715_final.csv"
START = datetime(2025, 7, 15, 5, tzinfo=UTC)  # 00:00 CDT
METERED_WH = (2_500_000, 2_400_000, 2_600_000, 2_500_000)  # per 15-minute interval, taken from the grid
RT_PRICES = (Decimal("30.00"), Decimal("31.20"), Decimal("29.80"), Decimal("28.40"))
QUARTER_HOUR = timedelta(minutes=15)
AMT_FLAG = "line 5, field 'AMT': 71.10 is not PRICE x QTY = 28.40 x 2.5 = 71.000 to the cent"


def _campus(engine):  # type: ignore[no-untyped-def]
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-07",
                               [IsoMeterRow("GI1", "grid_import", "10443720001234567")])
    with engine.begin() as conn:
        conn.execute(text("UPDATE campus SET settlement_point = 'LZ_HOUSTON' WHERE campus_id = :c"),
                     {"c": refs.campus_id})
    return refs


def _files(tmp_path: Path) -> tuple[str, str]:
    intervals = write_month(tmp_path / "validated.parquet", (START, START + 4 * QUARTER_HOUR),
                            {"GI1": lambda index: METERED_WH[index]}, {})
    rows = [PriceRow("ERCOT", "RT", "LZ_HOUSTON", START + index * QUARTER_HOUR, 15, RT_PRICES[index], None, None,
                     None, None, 1) for index in range(4)]
    # A day-ahead price at the same point and hour must not be used for a real-time statement.
    rows.append(PriceRow("ERCOT", "DA", "LZ_HOUSTON", START, 60, Decimal(99), None, None, None, None, 1))
    prices = tmp_path / "prices.parquet"
    write_prices_parquet(price_table(rows), str(prices))
    return intervals, str(prices)


def test_ercot_statement_runs_reconcile_and_post(engine, database_url, tmp_path):
    refs = _campus(engine)
    intervals, prices = _files(tmp_path)
    env = {"WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_LEDGER_ORIGIN": "wattledger.test/ercot-shadow"}

    def shadow(statement: Path):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, ["shadow-statement", refs.campus_id, str(statement), "--intervals", intervals,
                                        "--prices", prices, "--format", "ercot-rtm-statement"], env=env)

    first = shadow(INITIAL)
    assert first.exit_code == 0, (first.output, repr(first.exception))
    assert first.stdout.splitlines() == [
        "INITIAL  RTEIAMT          difference_usd_micros=8720000 posted_delta_usd_micros=8720000",
        "dispute open                   price              LZ_HOUSTON 2025-07-15T05:15:00+00:00 -120000",
        "dispute open                   quantity           LZ_HOUSTON 2025-07-15T05:30:00+00:00 8940000",
        "dispute open                   amount             LZ_HOUSTON 2025-07-15T05:45:00+00:00 -100000"]
    assert first.stderr.splitlines() == [f"Flagged: {INITIAL.name}, {AMT_FLAG}"]

    second = shadow(FINAL)
    assert second.exit_code == 0, (second.output, repr(second.exception))
    assert second.stdout.splitlines() == [
        "INITIAL  RTEIAMT          difference_usd_micros=8720000 posted_delta_usd_micros=8720000",
        "FINAL    RTEIAMT          difference_usd_micros=-220000 posted_delta_usd_micros=-8940000",
        "dispute open                   price              LZ_HOUSTON 2025-07-15T05:15:00+00:00 -120000",
        "dispute open                   amount             LZ_HOUSTON 2025-07-15T05:45:00+00:00 -100000",
        "dispute resolved_by_later_run  quantity           LZ_HOUSTON 2025-07-15T05:30:00+00:00 8940000"]
    assert second.stderr.splitlines() == [
        f"Flagged: {FINAL.name}, {AMT_FLAG}",
        (f"Flagged: {FINAL.name}, line 3, field 'BILLAMT': states a change of 0.05 from the previous run; "
         "this run's figure less the previous run's is 0.00")]

    with engine.connect() as conn:
        runs = conn.execute(text("SELECT statement_id, run_type, run_sequence, document_json -> 'source' "
                                 "-> 'ignored_charge_types' FROM market_statement_run WHERE campus_id = :c "
                                 "ORDER BY run_sequence"), {"c": refs.campus_id}).all()
        posted = conn.execute(text("SELECT sum(posted_delta_usd_micros) FROM market_reconciliation"
                                   " WHERE campus_id = :c"), {"c": refs.campus_id}).scalar_one()
        runs_posted = conn.execute(text("SELECT count(*) FROM market_reconciliation WHERE campus_id = :c"
                                       " AND ledger_entry_key IS NOT NULL"), {"c": refs.campus_id}).scalar_one()
    assert [tuple(run) for run in runs] == [
        ("ERCOT-RTM-20250715-INITIAL-20250717T223000Z", "INITIAL", 1, {"LARTRNAMT": 1}),
        ("ERCOT-RTM-20250715-FINAL-20250908T223000Z", "FINAL", 2, {"LARTRNAMT": 1})]
    assert posted == -220_000  # 8.72 - 8.94: the ledger holds the open difference
    assert runs_posted == 2  # one ledger entry per run

    again = shadow(FINAL)  # an imported version again: nothing new stored or posted, its findings shown again
    assert again.exit_code == 0 and again.stdout == second.stdout and again.stderr == second.stderr
    late_initial = tmp_path / "late_initial.csv"  # an Initial published after the Final
    late_initial.write_text(INITIAL.read_text().replace("2025-07-17T17:30:00", "2025-09-09T17:30:00"))
    assert isinstance(shadow(late_initial).exception, Conflict)
    edited = tmp_path / FINAL.name  # the Final's version on other numbers: refused, not taken for the stored one
    edited.write_text(FINAL.read_text().replace(",77.48,", ",77.49,"))
    assert isinstance(shadow(edited).exception, Conflict)


def _caller(request):  # type: ignore[no-untyped-def]
    role = request.headers["Authorization"].split()[-1]  # tests send "Bearer <role>"
    return Principal(role, frozenset({role}))


async def test_ercot_statement_file_over_http(engine, tmp_path):
    """Finance uploads the Initial (201, its AMT finding in the answer); a bad DSTFlag is a 422 naming line and
    field and stores nothing; an auditor may not upload."""
    refs = _campus(engine)
    app_ = create_app(Settings(home=tmp_path, database_url="postgresql://unused"), engine, None, authenticate=_caller)
    url = f"/market/campuses/{refs.campus_id}/statement-files"
    lines = INITIAL.read_text().splitlines(keepends=True)
    bad = "".join(lines[:3]) + lines[3].replace(",3,N,", ",3,Y,") + "".join(lines[4:])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_), base_url="http://t") as client:
        def upload(role: str, text_body: str):  # type: ignore[no-untyped-def]
            return client.post(url, headers={"Authorization": f"Bearer {role}"},
                               data={"format": "ercot-rtm-statement"},
                               files={"file": (INITIAL.name, text_body.encode(), "text/csv")})
        refused = await upload("finance", bad)
        assert refused.status_code == 422
        assert (refused.json()["line"], refused.json()["field"]) == (4, "DSTFlag")
        stored = await upload("finance", INITIAL.read_text())
        assert (stored.status_code, stored.json()) == (201, {
            "imported": ["ERCOT-RTM-20250715-INITIAL-20250717T223000Z"],
            "findings": [{"line": 5, "field": "AMT",
                          "message": "71.10 is not PRICE x QTY = 28.40 x 2.5 = 71.000 to the cent"}]})
        assert (await upload("auditor", INITIAL.read_text())).status_code == 403
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT run_type FROM market_statement_run WHERE campus_id = :c"),
                            {"c": refs.campus_id}).scalars().all()
    assert runs == ["INITIAL"]


def test_a_campus_without_a_settlement_point_stores_nothing(engine, database_url, tmp_path):
    """ERCOT settles the campus's net at its settlement point; a campus that states none is refused naming the
    field, before the statement is stored."""
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-07",
                               [IsoMeterRow("GI1", "grid_import", "10443720001234567")])
    intervals, prices = _files(tmp_path)
    env = {"WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_LEDGER_ORIGIN": "wattledger.test/ercot-shadow"}
    result = CliRunner().invoke(app, ["shadow-statement", refs.campus_id, str(INITIAL), "--intervals", intervals,
                                      "--prices", prices, "--format", "ercot-rtm-statement"], env=env)
    assert isinstance(result.exception, BadInput) and result.exception.field == "campus.settlement_point"
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM market_statement_run WHERE campus_id = :c"),
                              {"c": refs.campus_id}).scalar_one()
    assert stored == 0
