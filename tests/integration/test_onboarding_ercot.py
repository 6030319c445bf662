"""A newcomer's onboarding, with the CLI only: the ERCOT sample campus from its file and CSVs to approved invoices.

`wattledger campus apply`, `meterdata receive`, `market prices --campus`, `cycle start`, `cycle approve` and
`cycle status` run as separate processes against this session's PostgreSQL and a Temporal dev server with a
worker (the server side). The invoice totals are then checked against figures this test computes on its own from
the CSV files it wrote and the published tariff numbers: Austin Energy's TOU energy and demand rates, the $2,000
monthly charge prorated for the tenant that moved in on the 16th, the solar PPA, the virtual PPA against the hub
prices, the shared-cooling allocation by energy (largest remainder) and the fixed price.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import mint_token
from demo.ercot.site_export import write_meter_files, write_price_file
from runtime.binaries import find_bin
from runtime.keys import ensure_signing_key
from runtime.temporal import DATA_CONVERTER, connect
from settings import Settings
from tests.pdf_text import pdf_text
from worker import build_worker

ROOT = Path(__file__).resolve().parents[2]
CAMPUS_FILE = ROOT / "demo" / "ercot" / "campus.toml"
CAMPUS_ID = "lonestar-campus"
PERIOD = "2026-09"
CYCLE_ID = f"cycle:{CAMPUS_ID}:{PERIOD}"
CENTRAL = ZoneInfo("America/Chicago")
WAIT_S_MAX = 240.0
HALL2_MULTIPLIERS = {"SEL735-1001": Decimal(80), "SEL735-2002": Decimal(120)}
# Austin Energy, Commercial - Primary Voltage 3 MW to 20 MW (TOU), URDB 577ebfe65457a32f453068f0: rate + adj.
ENERGY_USD_PER_KWH = {0: Decimal("0.01677"), 1: Decimal("0.04151"), 2: Decimal("0.05787")}
DEMAND_USD_PER_KW = {0: Decimal("4.19"), 1: Decimal("15.69"), 2: Decimal("17.09")}
FIXED_USD_PER_MONTH = Decimal(2000)


@pytest.fixture(scope="module")
async def server(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[dict[str, str]]:
    """Temporal dev server and a worker; returns the environment the CLI processes run with."""
    home = tmp_path_factory.mktemp("onboarding-home")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                data_converter=DATA_CONVERTER)
    address = env.client.service_client.config.target_host
    settings = Settings(home=home, database_url=database_url, temporal_address=address,
                        ledger_origin="test.wattledger/onboarding")
    ensure_signing_key(settings)
    cli_env = {**os.environ, "WATTLEDGER_HOME": str(home), "WATTLEDGER_DATABASE_URL": database_url,
               "WATTLEDGER_TEMPORAL_ADDRESS": address, "WATTLEDGER_LEDGER_ORIGIN": settings.ledger_origin}
    cli_env.pop("WATTLEDGER_ISO_BASE_URL", None)
    # The worker decodes what the CLI encodes: the same keyring, under the same home.
    client = await connect(address, "default", settings)
    try:
        async with build_worker(client, settings, engine):
            yield cli_env
    finally:
        await env.shutdown()


async def _cli(env: dict[str, str], *args: str) -> str:
    """One CLI process; awaited in a thread so the worker in this event loop keeps running meanwhile."""
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "wattledger_cli.main", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"wattledger {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def _status(env: dict[str, str], wanted: set[str]) -> dict:
    deadline = time.monotonic() + WAIT_S_MAX
    while time.monotonic() < deadline:
        cycle = json.loads(await _cli(env, "cycle", "status", CYCLE_ID, "--json"))
        if cycle["status"] in wanted:
            return cycle
        assert cycle["status"] != "failed", cycle.get("status_detail")
        await asyncio.sleep(1.0)
    raise AssertionError(f"{CYCLE_ID} did not reach {wanted}")


async def test_the_ercot_sample_campus_onboards_and_bills_with_the_cli_only(
        server: dict[str, str], engine: Engine, tmp_path: Path) -> None:
    """Apply, load data and prices, run the cycle, approve: invoice totals equal the independent figures."""
    files = write_meter_files(tmp_path / "export", 2026, 9)
    prices = write_price_file(tmp_path / "prices", 2026, 9)
    assert "applied as version 1" in await _cli(server, "campus", "apply", str(CAMPUS_FILE), "--by", "newcomer")
    await _cli(server, "meterdata", "receive", *map(str, files), "--campus", CAMPUS_ID)
    await _cli(server, "market", "prices", "ercot-np6-905", str(prices), "--campus", CAMPUS_ID)
    # --wait follows the cycle (a progress display, a line per state) and returns once it awaits approval.
    followed = await _cli(server, "cycle", "start", CAMPUS_ID, PERIOD, "--wait")
    assert followed.rstrip().endswith(f"{CYCLE_ID}: awaiting_approval"), followed
    cycle = await _status(server, {"awaiting_approval"})
    assert cycle["steps"]["validate"]["estimated_count"] == 0
    _check_battery(cycle, files, engine)
    await _cli(server, "cycle", "approve", CYCLE_ID, "--approver", "finance@lonestar.example")
    cycle = await _status(server, {"completed"})
    assert cycle["steps"]["invoice"]["invoice_count"] == 3
    invoices = json.loads(await _cli(server, "cycle", "status", CYCLE_ID, "--step", "invoice"))["invoices"]
    invoiced = {i["tenant_id"]: i["total_usd_cents"] for i in invoices}
    assert invoiced == expected_invoice_cents(files, prices)
    # Each tenant's own number series, from its invoice_prefix in the campus file.
    assert sorted(i["invoice_id"] for i in invoices) == ["BB-000001", "LH-000001", "MQ-000001"]
    assert "ercot" in cycle["steps"]["iso"]["document_uri"].lower()
    # Without --json, `cycle status` is a one-screen summary: state, steps with durations, totals, links.
    summary = await _cli(server, "cycle", "status", CYCLE_ID)
    assert "state: completed" in summary and "since previous step" in summary
    assert f"invoices: 3 for ${sum(invoiced.values()) / 100:,.2f}" in summary, summary
    assert f"/cycles/{CYCLE_ID}/steps/invoice" in summary
    assert len(summary.splitlines()) < 60, summary
    await _check_shadow_participation(server, engine, files, tmp_path)


def _check_battery(cycle: dict[str, Any], files: list[Path], engine: Engine) -> None:
    """The battery in the balance: 30 days of 16 charging intervals of 300.220 kWh (seed 11: 220 Wh more, 144 105 600
    Wh) and 16 discharging ones of 255.187 kWh (122 489 760 Wh), as the files have them, and sources = uses. Its state
    of charge is back at 1 000 kWh at the period's end (the file's last `soc` row), so that is what the pool keeps:
    the estimate from the efficiency range would have kept 1 000 000 + 144 105 600 x 0.87 - 122 489 760 = 3 882 112
    Wh."""
    energy = _energy_wh_by_meter(files)
    balance = cycle["steps"]["settle"]["energy_balance_wh"]
    assert (balance["storage_charge_wh"], balance["storage_discharge_wh"]) == \
        (sum(energy["BESS-CHG"].values()), sum(energy["BESS-DIS"].values())) == (144_105_600, 122_489_760)
    assert (balance["generation_wh"] + balance["grid_import_wh"] + balance["storage_discharge_wh"]
            == balance["export_wh"] + balance["tenant_consumption_wh"] + balance["shared_consumption_wh"]
            + balance["storage_charge_wh"] + balance["losses_wh"])
    with engine.connect() as conn:
        pool = conn.execute(text("SELECT asset_id, energy_wh FROM storage_pool WHERE cycle_id = :c"),
                            {"c": CYCLE_ID}).all()
    assert [tuple(row) for row in pool] == [("bess-south", 1_000_000)]


# ---- shadow market participation (the campus file's [market]) -----------------------------------------------

PEAK_UTC = datetime(2026, 9, 2, 21, 45, tzinfo=UTC)  # the September coincident peak in demo/ercot/campus.toml
MESQUITE_FIRM_KW, MESQUITE_INTERRUPTIBLE_KW = 1000, 500
TRANSMISSION_USD_PER_KW_YEAR = Decimal("75.53")
MESQUITE_CREDIT_USD_PER_MWH = Decimal("150.00")


async def _check_shadow_participation(env: dict[str, str], engine: Engine, files: list[Path], tmp_path: Path) -> None:
    """The recorded shadow step equals the figures worked below from the CSV files; its page and PDF render."""
    pdf_path = tmp_path / "shadow.pdf"
    shadow = json.loads(await _cli(env, "market", "participation", CYCLE_ID, "--json", "--pdf", str(pdf_path)))
    expected = expected_shadow(files)
    programs = {p["program"]: p for p in shadow["programs"]}
    assert programs["coincident_peak"] == expected["coincident_peak"]
    assert programs["export"]["net_usd_micros"] == 0 and programs["economic_dr"]["net_usd_micros"] == 0  # no units
    assert shadow["tenant_bill_effect_usd_micros"] == expected["tenants"]
    assert shadow["bound_intervals"] == [] and shadow["rules_version"] == "lonestar-2026.1"
    text = pdf_text(pdf_path.read_bytes())
    for shown in ("$9,441.25", "-$18.75", "lonestar-2026.1", "mesquite-cloud"):
        assert shown in text, shown
    settings = Settings(home=Path(env["WATTLEDGER_HOME"]), database_url=env["WATTLEDGER_DATABASE_URL"])
    token = mint_token(settings, "auditor@lonestar.example", ["auditor"], None, timedelta(minutes=5))
    transport = httpx.ASGITransport(app=create_app(settings, engine, None))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        page = await http.get(f"/finance/cycles/{CYCLE_ID}/shadow")
        api = await http.get(f"/cycles/{CYCLE_ID}/shadow")
        pdf = await http.get(f"/cycles/{CYCLE_ID}/shadow/report.pdf")
        registration = await http.get(f"/market/campuses/{CAMPUS_ID}/registration",
                                      params={"iso": "ERCOT", "format": "csv"})
    assert page.status_code == 200, page.text
    for shown in ("Coincident-peak charge avoidance", "$9,441.25", "-$18.75", "lonestar-2026.1", "longhorn-ai"):
        assert shown in page.text, shown
    # The API states `counted` on every program; the document only where a battery's alternative is not counted.
    assert api.status_code == 200
    assert api.json()["programs"] == [{**p, "counted": p.get("counted", True)} for p in shadow["programs"]]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The registration package from the same campus file: the grid meter's ESI ID, Mesquite's 0.5 MW, the DUNS.
    assert registration.status_code == 200, registration.text
    rows = {(row["section"], row["field"]): row["value"] for row in csv.DictReader(registration.text.splitlines())}
    assert rows[("meter GRID-IMP", "ESI ID")] == "1008901023808106290"
    assert rows[("tenant mesquite-cloud", "Interruptible Load (MW)")] == "0.500"
    assert rows[("resource", "Offered Capacity (MW)")] == "0.500"  # solar only: nothing dispatchable on site
    assert rows[("resource", "DUNS Number")] == "123456789"
    package = json.loads(await _cli(env, "market", "registration", CAMPUS_ID, "--iso", "ERCOT"))
    assert package["resource"]["interruptible_kw"] == 500 and "Resource Entity" in package["missing"]


def expected_shadow(files: list[Path]) -> dict[str, Any]:
    """In the peak interval Mesquite may be cut by min(its interruptible 500 kW, what it drew above its firm
    1,000 kW, the campus's grid draw); each kW saves a quarter of the year's rate (one of four peaks); Mesquite is
    credited the cut energy (kW x 15 min) at 150 USD/MWh. Every other tenant is firm: zero."""
    energy = _energy_wh_by_meter(files)
    drawn_kw = energy["MQ-HALL4"][PEAK_UTC] * 4 // 1000  # 15-minute Wh -> average kW, rounded down
    grid_kw = energy["GRID-IMP"][PEAK_UTC] * 4 // 1000
    cut_kw = min(MESQUITE_INTERRUPTIBLE_KW, drawn_kw - MESQUITE_FIRM_KW, grid_kw)
    assert cut_kw == 500  # the files give Mesquite about 2 MW at 16:45 on the 2nd
    avoided = _micros(Decimal(cut_kw) * TRANSMISSION_USD_PER_KW_YEAR / 4 * 1_000_000)  # 9,441.25 USD
    credit = _micros(Decimal(cut_kw * 15) / 60_000 * MESQUITE_CREDIT_USD_PER_MWH * 1_000_000)  # 18.75 USD
    assert (avoided, credit) == (9_441_250_000, 18_750_000)
    return {"coincident_peak": {"program": "coincident_peak", "revenue_usd_micros": 0, "avoided_cost_usd_micros": avoided,
                                "cost_usd_micros": credit, "net_usd_micros": avoided - credit,
                                "energy_wh": cut_kw * 15 * 1000 // 60, "emissions_g": 0},
            "tenants": {"bluebonnet-compute": 0, "longhorn-ai": 0, "mesquite-cloud": -credit}}


# ---- the independent figures -------------------------------------------------------------------------------

def expected_invoice_cents(files: list[Path], price_file: Path) -> dict[str, int]:
    energy = _energy_wh_by_meter(files)
    lh = _sum(energy["LH-HALL1"], energy["LH-HALL2"])
    micros = {"longhorn-ai": _tariff_micros(lh, Decimal(1)), "bluebonnet-compute":
              _tariff_micros(energy["BB-HALL3"], Decimal(15) / Decimal(30)),
              "mesquite-cloud": _micros(sum(energy["MQ-HALL4"].values()) * Decimal("71.25"))}
    micros["longhorn-ai"] += _micros(sum(energy["PV1-GEN"].values()) * Decimal("42.50"))
    micros["bluebonnet-compute"] += _vppa_micros(energy["PV2-GEN"], _hub_prices(price_file), Decimal("38.00"))
    tenant_wh = {"bluebonnet-compute": sum(energy["BB-HALL3"].values()), "longhorn-ai": sum(lh.values()),
                 "mesquite-cloud": sum(energy["MQ-HALL4"].values())}
    for tenant_id, share_wh in _largest_remainder(sum(energy["COOL-SHARED"].values()), tenant_wh).items():
        micros[tenant_id] += _micros(share_wh * Decimal("55.00"))
    return {tenant: int((Decimal(amount) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            for tenant, amount in micros.items()}


def _energy_wh_by_meter(files: list[Path]) -> dict[str, dict[datetime, int]]:
    """Raw file value x the device's CT multiplier, kWh -> Wh rounded half-even once; energy channels only (the
    battery's state of charge, channel `soc`, is a level)."""
    energy: dict[str, dict[datetime, int]] = {}
    for path in files:
        with path.open() as handle:
            for row in csv.DictReader(handle):
                if row.get("channel") not in (None, "", "main"):
                    continue
                multiplier = HALL2_MULTIPLIERS.get(row["meter_id"], Decimal(1))
                point = "LH-HALL2" if row["meter_id"] in HALL2_MULTIPLIERS else row["meter_id"]
                start = datetime.fromisoformat(row["interval_start"]).astimezone(UTC)
                wh = (Decimal(row["value"]) * multiplier * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
                energy.setdefault(point, {})[start] = int(wh)
    return energy


def _sum(*series: dict[datetime, int]) -> dict[datetime, int]:
    total: dict[datetime, int] = {}
    for one in series:
        for start, wh in one.items():
            total[start] = total.get(start, 0) + wh
    return total


def _energy_period(local: datetime) -> int:
    """Summer schedule (June-September) of the tariff: off-peak 22-06 daily, on-peak 14-20 on weekdays."""
    if local.hour < 6 or local.hour >= 22:
        return 0
    return 2 if local.weekday() < 5 and 14 <= local.hour < 20 else 1


def _demand_period(local: datetime) -> int:
    return 2 if local.weekday() < 5 and 14 <= local.hour < 20 else 0


def _tariff_micros(load: dict[datetime, int], month_fraction: Decimal) -> int:
    """Energy lines at the period rates; each TOU demand period's highest 15-minute kW at its rate and the
    monthly charge, both prorated by the occupied share of the month; each line rounded once."""
    energy_wh = dict.fromkeys(ENERGY_USD_PER_KWH, 0)
    peak_w = dict.fromkeys(DEMAND_USD_PER_KW, 0)
    for start, wh in load.items():
        local = start.astimezone(CENTRAL)
        energy_wh[_energy_period(local)] += wh
        peak_w[_demand_period(local)] = max(peak_w[_demand_period(local)], wh * 4)
    total = sum(_micros(wh * rate * 1000) for rate, wh in ((ENERGY_USD_PER_KWH[p], energy_wh[p]) for p in energy_wh))
    total += sum(_micros(peak_w[p] * DEMAND_USD_PER_KW[p] * 1000 * month_fraction) for p in peak_w if peak_w[p])
    return total + _micros(FIXED_USD_PER_MONTH * 1_000_000 * month_fraction)


def _hub_prices(path: Path) -> dict[datetime, Decimal]:
    prices = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            day = datetime.strptime(row["DeliveryDate"], "%m/%d/%Y")
            local = day.replace(hour=int(row["DeliveryHour"]) - 1, minute=15 * (int(row["DeliveryInterval"]) - 1),
                                tzinfo=CENTRAL)
            prices[local.astimezone(UTC)] = Decimal(row["SettlementPointPrice"])
    return prices


def _vppa_micros(output: dict[datetime, int], prices: dict[datetime, Decimal], strike: Decimal) -> int:
    """(strike - hub) x MWh each interval, intervals with a negative hub price skipped; rounded once."""
    return _micros(sum(Decimal(wh) * (strike - prices[start]) for start, wh in output.items() if prices[start] >= 0))


def _largest_remainder(total_wh: int, weights: dict[str, int]) -> dict[str, int]:
    names = sorted(weights)
    weight_sum = sum(weights.values())
    floors = {name: total_wh * weights[name] // weight_sum for name in names}
    remainders = sorted(names, key=lambda name: (-(total_wh * weights[name] % weight_sum), name))
    for name in remainders[:total_wh - sum(floors.values())]:
        floors[name] += 1
    return floors


def _micros(exact_usd_micros: Decimal | int) -> int:
    return int(Decimal(exact_usd_micros).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
