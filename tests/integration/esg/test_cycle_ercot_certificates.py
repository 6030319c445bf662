"""Issue 18's cycle, with the CLI only: the ERCOT sample campus, certificates registered and claimed by one tenant
before the cycle runs, settled through Temporal into PostgreSQL, then restated.

`wattledger` runs as separate processes (campus apply, esg rates add, esg certificates, meterdata receive, market
prices, cycle start/approve/status, esg statement/report/export/restate) against this session's PostgreSQL and a
Temporal dev server with a worker. Expected figures are worked out here from the CSV files the test wrote and the
published eGRID2023 ERCT rates, hour by hour:

- a consumer's grid Wh in an hour = grid import x its metered Wh / all metered Wh of that hour (the solar plants
  are carbon-free and burn nothing, so on-site generation adds no emissions);
- location-based Scope 2 = grid Wh x 740.832 lb CO2e/MWh (CO2 738.038 + CH4 0.043 x 28 + N2O 0.006 x 265, AR5)
  x 453.59237 g/lb;
- market-based: Longhorn's 2,000 MWh of ERCOT RECs (zero-emission wind) cover 2,000 MWh of its own grid supply
  under annual matching; every other grid MWh is priced at the residual mix the campus file names;
- T&D losses (Scope 3 cat. 3 C) = location-based grid emissions x 0.042 / 0.958;
- the shared cooling's figures follow the cooling MWh billed to each tenant (by energy, largest remainder);
- the battery (docs/storage.md, "Emissions"): its charge is a consumer of its hour like the others, and the grid Wh
  it took travel with the energy through a first-in-first-out pool (opening: the declared 1 000 000 Wh, no grid).
  An hour's charge is a lot per source of the hour (`generation:PV1-GEN`, `generation:PV2-GEN`, `grid_import`, in
  that order), split by what each supplied (largest remainder); the hour's grid Wh of the charge go with the grid lot.
  Each discharging hour splits the discharge among the hour's consumers by their consumption (largest remainder,
  ids in order), each drawing the oldest energy first and the same share of its grid Wh. At the end the pool holds
  1 000 000 + charge - discharge; the state of charge reported at the period's end (the file's last level) stays,
  the rest is lost, split by the energy each party took (no losses key) and drawn the same way. A party's grid Wh is its own
  share plus what reached it through the battery; every figure above is a rate times those Wh.

The engine rounds each campus figure once and splits it by largest remainder, then splits the cooling's part by
the billed Wh again, and rounds each piece of a battery lot a party draws once: each tenant figure is within 2 g,
plus 1 g for each piece of battery energy it (or the cooling billed to it) drew, of the exact value worked out here.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from demo.ercot.site_export import write_meter_files, write_price_file
from esg.certificates import retirement_key
from ledger import list_entries
from ledger.balances import balances
from runtime.binaries import find_bin
from runtime.keys import ensure_signing_key
from runtime.temporal import DATA_CONVERTER, connect
from settings import Settings
from tests.integration.test_onboarding_ercot import _energy_wh_by_meter, _largest_remainder
from worker import build_worker

ROOT = Path(__file__).resolve().parents[3]
ERCOT_DIR = ROOT / "demo" / "ercot"
CAMPUS_ID = "it-esg-lonestar"
PERIOD = "2026-09"
CYCLE_ID = f"cycle:{CAMPUS_ID}:{PERIOD}"
WAIT_S_MAX = 240.0
ORIGIN = "test.wattledger/esg-ercot"

# eGRID2023 ERCT total-output rates, lb/MWh (EPA GHG Emission Factors Hub 2025, Table 6), AR5 GWPs.
ERCT_LB_CO2E_PER_MWH = Decimal("738.038") + Decimal("0.043") * 28 + Decimal("0.006") * 265
G_PER_LB = Decimal("453.59237")
LOCATION_G_PER_MWH = ERCT_LB_CO2E_PER_MWH * G_PER_LB
TD_LOSS_RATIO = Decimal("0.042") / (1 - Decimal("0.042"))  # ERCT grid gross loss, ggl / (1 - ggl)
RESIDUAL_G_PER_MWH = Decimal(410_000)  # a test value above the grid average, as residual mixes are
RATE_ZONE = "IT-ESG-ERCOT"  # the rate's own zone: no other ERCT campus of the session picks it up
CLAIM_WH = 2_000_000_000  # 2,000 MWh of RECs for Longhorn
TENANT_METERS = {"longhorn-ai": ("LH-HALL1", "LH-HALL2"), "bluebonnet-compute": ("BB-HALL3",),
                 "mesquite-cloud": ("MQ-HALL4",)}
CONSUMERS = {**TENANT_METERS, "shared": ("COOL-SHARED",)}
BATTERY = "battery"
BATTERY_STORED_WH_INITIAL = 1_000_000
TOLERANCE_G = 2

ESG_SECTION = f"""
[esg]
gwp_set = "AR5"
residual_mix = "it-ercot-residual-2026"
deliverable_zones = ["{RATE_ZONE}"]
"""
RATES = {"rates": [{"rate_id": "it-ercot-residual-2026", "kind": "residual_mix", "zone": RATE_ZONE,
                    "g_co2e_per_mwh": str(RESIDUAL_G_PER_MWH), "source": "integration test residual mix",
                    "edition": "2026", "valid_from": "2026-01-01", "valid_to": "2027-01-01"}]}
LOT = {"lot_id": "it-lonestar-wind-2026-09", "instrument": "REC", "technology": "wind", "zone": "ERCT",
       "vintage_start_utc": "2026-09-01T05:00:00+00:00", "vintage_end_utc": "2026-10-01T05:00:00+00:00",
       "energy_wh": 2_500_000_000, "emission_rate_g_co2e_per_mwh": 0, "registry": "ERCOT REC Program",
       "serial_prefix": "TX-WIND-2026-09", "serial_start": 1, "serial_end": 2500, "location": "US-TX",
       "facility": "Roscoe Wind"}
CLAIM = {"claim_id": "it-longhorn-2026-09", "lot_id": LOT["lot_id"], "beneficiary": "tenant:longhorn-ai",
         "energy_wh": CLAIM_WH, "consumption_start_utc": "2026-09-01T05:00:00+00:00",
         "consumption_end_utc": "2026-10-01T05:00:00+00:00"}


@pytest.fixture(scope="module")
async def server(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[dict[str, str]]:
    """Temporal dev server and a worker; the environment the CLI processes run with."""
    home = tmp_path_factory.mktemp("esg-ercot-home")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                data_converter=DATA_CONVERTER)
    address = env.client.service_client.config.target_host
    settings = Settings(home=home, database_url=database_url, temporal_address=address, ledger_origin=ORIGIN)
    ensure_signing_key(settings)
    cli_env = {**os.environ, "WATTLEDGER_HOME": str(home), "WATTLEDGER_DATABASE_URL": database_url,
               "WATTLEDGER_TEMPORAL_ADDRESS": address, "WATTLEDGER_LEDGER_ORIGIN": ORIGIN}
    cli_env.pop("WATTLEDGER_ISO_BASE_URL", None)
    client = await connect(address, "default", settings)
    try:
        async with build_worker(client, settings, engine):
            yield cli_env
    finally:
        await env.shutdown()


async def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """One CLI process, awaited in a thread so the worker in this event loop keeps running."""
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "wattledger_cli.main", *args], env=env,
                                   cwd=ROOT, capture_output=True, text=True, timeout=300)


async def _cli(env: dict[str, str], *args: str) -> str:
    done = await _run(env, *args)
    assert done.returncode == 0, f"wattledger {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def _status(env: dict[str, str], wanted: set[str]) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + WAIT_S_MAX
    while time.monotonic() < deadline:
        cycle = json.loads(await _cli(env, "cycle", "status", CYCLE_ID, "--json"))
        if cycle["status"] in wanted:
            return cycle  # type: ignore[no-any-return]
        assert cycle["status"] != "failed", cycle.get("status_detail")
        await asyncio.sleep(1.0)
    raise AssertionError(f"{CYCLE_ID} did not reach {wanted}")


def _write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def _entries(engine: Engine) -> dict[str, Any]:
    """Every entry of this test's ledger by idempotency key."""
    found: dict[str, Any] = {}
    after = 0
    with engine.connect() as conn:
        while page := list_entries(conn, ORIGIN, after, 1000):
            found.update({entry.idempotency_key: entry for entry in page})
            after = page[-1].seq
    return found


def _legs(entry: Any, asset: str) -> dict[str, int]:
    return {path: int(amount) for path, leg_asset, amount in entry.document["postings"] if leg_asset == asset}


def _carbon_balances(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {b.path: b.posted_minor for b in balances(conn, ORIGIN) if b.asset_code == "TCO2E/6" and b.posted_minor}


# ---- the figures worked out from the files -----------------------------------------------------------------


SOURCES = {"generation:PV1-GEN": "PV1-GEN", "generation:PV2-GEN": "PV2-GEN", "grid_import": "GRID-IMP"}


def _hours(files: list[Path]) -> tuple[dict[datetime, dict[str, int]], dict[datetime, int], dict[datetime, int]]:
    """Per UTC hour: each consumer's Wh (the battery's charge as `battery`) and each source's (grid import, the
    solar plants, the battery's discharge: by meter id)."""
    energy = _energy_wh_by_meter(files)
    consumers = {**CONSUMERS, BATTERY: ("BESS-CHG",)}
    hours: dict[datetime, dict[str, int]] = {}
    for consumer, meters in consumers.items():
        for meter in meters:
            for start, wh in energy.get(meter, {}).items():
                hour = hours.setdefault(start.replace(minute=0), {})
                hour[consumer] = hour.get(consumer, 0) + wh
    sources: dict[datetime, dict[str, int]] = {}
    for meter in ("GRID-IMP", "PV1-GEN", "PV2-GEN", "BESS-DIS"):
        for start, wh in energy[meter].items():
            hour = sources.setdefault(start.replace(minute=0), {})
            hour[meter] = hour.get(meter, 0) + wh
    grid = {hour: by_meter.get("GRID-IMP", 0) for hour, by_meter in sources.items()}
    return hours, grid, sources


def grid_wh_by_hour(files: list[Path]) -> dict[datetime, dict[str, Decimal]]:
    """Each consumer's exact grid Wh per UTC hour: import x its share of the hour's metered consumption."""
    hours, grid, _ = _hours(files)
    shares: dict[datetime, dict[str, Decimal]] = {}
    with localcontext() as context:
        context.prec = 60
        for hour, by_consumer in hours.items():
            load_wh = sum(by_consumer.values())
            shares[hour] = {c: Decimal(grid.get(hour, 0)) * wh / load_wh for c, wh in by_consumer.items()}
    return shares


def grid_wh_exact(files: list[Path]) -> dict[str, Decimal]:
    """Each consumer's (tenants, `shared`, the battery's charge) exact grid Wh of its own hours."""
    totals = dict.fromkeys([*CONSUMERS, BATTERY], Decimal(0))
    for by_consumer in grid_wh_by_hour(files).values():
        for consumer, wh in by_consumer.items():
            totals[consumer] += wh
    return totals


def _level_at_end_wh(files: list[Path]) -> int:
    """The state of charge the battery reported at the period's end: the last `soc` row of the discharge meter."""
    path = next(path for path in files if path.name.startswith("BESS-DIS"))
    with path.open() as handle:
        levels = [row["value"] for row in csv.DictReader(handle) if row["channel"] == "soc"]
    return int(Decimal(levels[-1]) * 1000)


def battery_grid_wh(files: list[Path]) -> tuple[dict[str, Decimal], dict[str, int]]:
    """(grid Wh that reached each party through the battery, pieces of battery lots each party drew)."""
    hours, _, sources = _hours(files)
    grid_by_hour = grid_wh_by_hour(files)
    pool: list[list[Any]] = [[BATTERY_STORED_WH_INITIAL, Decimal(0)]]  # [Wh, grid Wh], oldest first
    carried: dict[str, Decimal] = {}
    pieces: dict[str, int] = {}
    taken_wh: dict[str, int] = {}

    def draw(party: str, energy_wh: int) -> None:
        while energy_wh:
            lot = pool[0]
            piece_wh = min(energy_wh, lot[0])
            with localcontext() as context:
                context.prec = 60
                piece_grid = lot[1] * piece_wh / lot[0]
            carried[party] = carried.get(party, Decimal(0)) + piece_grid
            pieces[party] = pieces.get(party, 0) + 1
            lot[0] -= piece_wh
            lot[1] -= piece_grid
            energy_wh -= piece_wh
            if lot[0] == 0:
                pool.pop(0)

    for hour in sorted(hours):
        by_consumer, supplied = hours[hour], sources[hour]
        if by_consumer.get(BATTERY):
            supply = {source: supplied.get(meter, 0) for source, meter in SOURCES.items() if supplied.get(meter, 0)}
            for source, lot_wh in sorted(_largest_remainder(by_consumer[BATTERY], supply).items()):
                if lot_wh:
                    grid_wh = grid_by_hour[hour][BATTERY] if source == "grid_import" else Decimal(0)
                    pool.append([lot_wh, grid_wh])
        if supplied.get("BESS-DIS"):
            loads = {party: wh for party, wh in by_consumer.items() if party != BATTERY and wh > 0}
            for party, share_wh in sorted(_largest_remainder(supplied["BESS-DIS"], loads).items()):
                taken_wh[party] = taken_wh.get(party, 0) + share_wh
                draw(party, share_wh)
    lost_wh = sum(lot[0] for lot in pool) - _level_at_end_wh(files)
    for party, share_wh in sorted(_largest_remainder(lost_wh, taken_wh).items()):
        draw(party, share_wh)
    return carried, pieces


def hours_with_grid_supply(files: list[Path], tenant: str) -> int:
    """UTC hours in which the tenant consumed and the campus imported (hours of `none` otherwise)."""
    energy = _energy_wh_by_meter(files)
    grid_hours = {start.replace(minute=0) for start, wh in energy["GRID-IMP"].items() if wh}
    used = {start.replace(minute=0) for meter in TENANT_METERS[tenant] for start, wh in energy[meter].items() if wh}
    return len(grid_hours & used)


def billed_cooling_wh(files: list[Path]) -> dict[str, int]:
    """The cooling Wh billed to each tenant: by its metered energy, largest remainder (the allocation contract)."""
    energy = _energy_wh_by_meter(files)
    tenant_wh = {tenant: sum(sum(energy[m].values()) for m in meters) for tenant, meters in TENANT_METERS.items()}
    return _largest_remainder(sum(energy["COOL-SHARED"].values()), tenant_wh)


def expected_figures(files: list[Path], claimed_wh: dict[str, int]) -> dict[str, dict[str, Decimal]]:
    """Per tenant, exact grams: location- and market-based Scope 2 and T&D losses, its cooling share included."""
    own = grid_wh_exact(files)
    carried, pieces = battery_grid_wh(files)
    grid = {party: own[party] + carried.get(party, Decimal(0)) for party in CONSUMERS}
    billed = billed_cooling_wh(files)
    billed_total = sum(billed.values())
    out: dict[str, dict[str, Decimal]] = {}
    with localcontext() as context:
        context.prec = 60
        for tenant in TENANT_METERS:
            cooling_wh = grid["shared"] * billed[tenant] / billed_total
            location = (grid[tenant] + cooling_wh) * LOCATION_G_PER_MWH / 1_000_000
            market_wh = grid[tenant] - claimed_wh.get(tenant, 0) + cooling_wh
            out[tenant] = {"scope2_location": location,
                           "scope2_market": market_wh * RESIDUAL_G_PER_MWH / 1_000_000,
                           "scope3_cat3_td_losses": location * TD_LOSS_RATIO,
                           "tolerance_g": Decimal(TOLERANCE_G + pieces.get(tenant, 0) + pieces.get("shared", 0))}
    return out


def _close(actual: int, exact: Decimal, what: str, tolerance_g: Decimal) -> None:
    assert abs(Decimal(actual) - exact) <= tolerance_g, \
        f"{what}: {actual} g, worked out {exact:.3f} g (within {tolerance_g} g)"


def _campus_file(folder: Path) -> Path:
    """The sample campus under this test's id with an `[esg]` section; its tariff file beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ERCOT_DIR / "urdb_tariff.json", folder / "urdb_tariff.json")
    text = (ERCOT_DIR / "campus.toml").read_text().replace('id = "lonestar-campus"', f'id = "{CAMPUS_ID}"', 1)
    # Its own invoice series (an issuer's numbers run across campuses), so the onboarding test's stay at 000001.
    text = text.replace('invoice_prefix = "', 'invoice_prefix = "IT')
    path = folder / "campus.toml"
    path.write_text(text + ESG_SECTION)
    return path


def _statement(text: str) -> dict:  # type: ignore[type-arg]
    statement = json.loads(text)
    statement["by_label"] = {line["label"]: line["g_co2e"] for line in statement["lines"]}
    statement["methods"] = {row["method"]: row for row in statement["market_methods"]}
    return statement


def _report_scope2_grams(report: str, name: str) -> tuple[int, int]:
    """The party's location- and market-based Scope 2 grams from the report's Tenants section (its second table,
    the gram figures; the first table shows tonnes)."""
    rows = re.findall(rf"<tr><td>{re.escape(name)}</td>(.*?)</tr>", report)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", rows[1])
    return int(cells[0].replace(",", "")), int(cells[1].replace(",", ""))


async def test_certificates_claimed_before_settlement_lower_market_based_scope2_everywhere(
        server: dict[str, str], engine: Engine, tmp_path: Path) -> None:
    files = write_meter_files(tmp_path / "export", 2026, 9, seed=23)
    prices = write_price_file(tmp_path / "prices", 2026, 9)
    assert "applied as version 1" in await _cli(server, "campus", "apply", str(_campus_file(tmp_path / "campus")),
                                                "--by", "esg-test")
    await _cli(server, "esg", "rates", "add", _write_json(tmp_path / "rates.json", RATES))

    # Before the cycle: the lot is registered with its serials and Longhorn retires 2,000 MWh of it.
    loaded = await _cli(server, "esg", "certificates", _write_json(tmp_path / "certs.json",
                                                                      {"lots": [LOT], "claims": [CLAIM]}),
                        "--campus", CAMPUS_ID)
    assert "lots 1, claims 1 loaded" in loaded
    # The same serials under a new lot id are refused; so is a claim beyond what is left of the lot (500 MWh).
    again = await _run(server, "esg", "certificates", _write_json(tmp_path / "again.json", {"lots": [
        {**LOT, "lot_id": "it-lonestar-wind-copy", "serial_start": 2500, "serial_end": 2600,
         "energy_wh": 101_000_000}]}), "--campus", CAMPUS_ID)
    assert again.returncode == 1 and "nothing was stored" in again.stderr, again.stderr
    too_much = await _run(server, "esg", "certificates", _write_json(tmp_path / "over.json", {"claims": [
        {**CLAIM, "claim_id": "it-mesquite-over", "beneficiary": "tenant:mesquite-cloud",
         "energy_wh": 500_000_001}]}), "--campus", CAMPUS_ID)
    assert too_much.returncode == 1 and "nothing was stored" in too_much.stderr, too_much.stderr
    entries = _entries(engine)
    retirement = entries[retirement_key(CAMPUS_ID, CLAIM["claim_id"])]
    assert _legs(retirement, "MWH/6") == {"tenant:longhorn-ai:certificates:retired": CLAIM_WH,
                                          f"campus:{CAMPUS_ID}:certificates:claimed": -CLAIM_WH}
    assert not any(key.startswith(f"esg:certificate-retirement:{CAMPUS_ID}:") for key in entries
                   if key != retirement_key(CAMPUS_ID, CLAIM["claim_id"])), "refused claims post nothing"

    await _cli(server, "meterdata", "receive", *map(str, files), "--campus", CAMPUS_ID)
    await _cli(server, "market", "prices", "ercot-np6-905", str(prices), "--campus", CAMPUS_ID)
    followed = await _cli(server, "cycle", "start", CAMPUS_ID, PERIOD, "--wait")
    assert followed.rstrip().endswith(f"{CYCLE_ID}: awaiting_approval"), followed

    # The settlement entry: each tenant's market-based Scope 2 beside its location-based one, as worked out.
    settle = json.loads(await _cli(server, "cycle", "status", CYCLE_ID, "--step", "settle"))
    emissions = settle["emissions"]
    assert emissions["inputs"]["shared_load_billed_wh"] == billed_cooling_wh(files)
    expected = expected_figures(files, {"longhorn-ai": CLAIM_WH})
    legs = _legs(_entries(engine)[settle["pending_ledger_key"]], "TCO2E/6")
    assert sum(legs.values()) == 0
    for tenant, figures in expected.items():
        _close(legs[f"tenant:{tenant}:emissions"], figures["scope2_location"], f"{tenant} location, entry",
               figures["tolerance_g"])
        _close(legs[f"tenant:{tenant}:emissions:scope2_market"], figures["scope2_market"], f"{tenant} market, entry",
               figures["tolerance_g"])
    assert legs["tenant:longhorn-ai:emissions:scope2_market"] < legs["tenant:longhorn-ai:emissions"]
    assert [(i["claim_id"], int(i["applied_annual_wh"])) for i in emissions["instruments"]] == [
        (CLAIM["claim_id"], CLAIM_WH)]

    # The tenant's statement, the moment the settlement is recorded: the same grams, the method and the 3.3 split.
    grid = grid_wh_exact(files)
    longhorn = _statement(await _cli(server, "esg", "statement", CYCLE_ID, "longhorn-ai", "--format", "json"))
    assert longhorn["by_label"]["Scope 2, location-based"] == legs["tenant:longhorn-ai:emissions"]
    assert longhorn["by_label"]["Scope 2, market-based (annual matching)"] == legs[
        "tenant:longhorn-ai:emissions:scope2_market"]
    assert longhorn["methods"]["instrument"]["annual_wh"] == CLAIM_WH
    assert longhorn["methods"]["instrument"]["hours"] == 0, "RECs are not granular: hourly matching ignores them"
    assert abs(longhorn["methods"]["residual_mix"]["annual_wh"] - (grid["longhorn-ai"] - CLAIM_WH)) <= 1
    assert longhorn["methods"]["residual_mix"]["hours"] == hours_with_grid_supply(files, "longhorn-ai") > 700
    assert longhorn["market_fallback_ref"] == "market-rate/it-ercot-residual-2026@2026"
    _close(longhorn["by_label"]["  of which T&D losses (C)"], expected["longhorn-ai"]["scope3_cat3_td_losses"],
           "longhorn T&D losses", expected["longhorn-ai"]["tolerance_g"])
    assert longhorn["by_label"]["Scope 3 category 3 (fuel- and energy-related)"] == sum(
        longhorn["by_label"][f"  of which {part}"] for part in (
            "upstream of fuels (A)", "upstream of generation of purchased power (B)", "T&D losses (C)"))
    bluebonnet = _statement(await _cli(server, "esg", "statement", CYCLE_ID, "bluebonnet-compute", "--format",
                                       "json"))
    assert bluebonnet["methods"]["residual_mix"]["hours"] == hours_with_grid_supply(files, "bluebonnet-compute")
    assert bluebonnet["methods"]["residual_mix"]["hours"] <= 15 * 24, "Hall 3 draws power from the 16th"
    assert "instrument" not in bluebonnet["methods"]
    assert bluebonnet["by_label"]["Scope 2, market-based (annual matching)"] > bluebonnet["by_label"][
        "Scope 2, location-based"], "without certificates the residual mix is above the grid average"

    # The report, the moment the settlement is recorded: the same figures, the method per tenant.
    report_path = tmp_path / "report.html"
    await _cli(server, "esg", "report", CYCLE_ID, str(report_path), "--preparer", "Jane Preparer")
    report = report_path.read_text()
    assert _report_scope2_grams(report, "Longhorn AI LLC") == (
        legs["tenant:longhorn-ai:emissions"], legs["tenant:longhorn-ai:emissions:scope2_market"])
    assert "<td>Longhorn AI LLC</td><td>certificates (contractual instruments)</td><td class=\"num\">2,000.000</td>" \
        in report
    assert "ERCOT REC Program TX-WIND-2026-09-1 to TX-WIND-2026-09-2500" in report
    assert "<td>market-rate/it-ercot-residual-2026@2026</td><td>residual_mix</td><td>IT-ESG-ERCOT</td>" \
        "<td class=\"num\">410,000</td><td>integration test residual mix</td>" in report, "the rate and its source"
    await _cli(server, "esg", "report", CYCLE_ID, str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")

    # Approve, then restate: Mesquite retires the lot's remaining 500 MWh after settlement; the restatement posts
    # the delta and ledger, statements, exports and report agree again.
    await _cli(server, "cycle", "approve", CYCLE_ID, "--approver", "finance@lonestar.example")
    assert (await _status(server, {"completed"}))["status"] == "completed"
    late_claim = {**CLAIM, "claim_id": "it-mesquite-2026-09", "beneficiary": "tenant:mesquite-cloud",
                  "energy_wh": 500_000_000}
    await _cli(server, "esg", "certificates", _write_json(tmp_path / "late.json", {"claims": [late_claim]}),
               "--campus", CAMPUS_ID)
    restated = json.loads(await _cli(server, "esg", "restate", CYCLE_ID, "--reason", "Mesquite RECs retired"))
    assert (restated["status"], restated["version"]) == ("restated", 2)
    balances_g = _carbon_balances(engine)
    after = expected_figures(files, {"longhorn-ai": CLAIM_WH, "mesquite-cloud": 500_000_000})
    await _cli(server, "esg", "export", CYCLE_ID, "parties", str(tmp_path / "parties.csv"))
    exported = {row["party"]: row for row in csv.DictReader(io.StringIO((tmp_path / "parties.csv").read_text()))}
    report_path = tmp_path / "report-v2.html"
    await _cli(server, "esg", "report", CYCLE_ID, str(report_path))
    report = report_path.read_text()
    assert "version 2 restates" in report and "Mesquite RECs retired" in report
    names = {"longhorn-ai": "Longhorn AI LLC", "bluebonnet-compute": "Bluebonnet Compute Inc.",
             "mesquite-cloud": "Mesquite Cloud Co."}
    for tenant, figures in after.items():
        location_g = balances_g[f"tenant:{tenant}:emissions"]
        market_g = balances_g[f"tenant:{tenant}:emissions:scope2_market"]
        _close(location_g, figures["scope2_location"], f"{tenant} location, ledger after restatement",
               figures["tolerance_g"])
        _close(market_g, figures["scope2_market"], f"{tenant} market, ledger after restatement", figures["tolerance_g"])
        statement = _statement(await _cli(server, "esg", "statement", CYCLE_ID, tenant, "--format", "json"))
        assert statement["version"] == 2
        assert (statement["by_label"]["Scope 2, location-based"],
                statement["by_label"]["Scope 2, market-based (annual matching)"]) == (location_g, market_g)
        assert (int(exported[tenant]["scope2_location_g_co2e"]),
                int(exported[tenant]["scope2_market_g_co2e"])) == (location_g, market_g)
        assert _report_scope2_grams(report, names[tenant]) == (location_g, market_g)
    assert balances_g["tenant:mesquite-cloud:emissions:scope2_market"] < balances_g["tenant:mesquite-cloud:emissions"]
    assert sum(balances_g.values()) == 0
    assert _entries(engine)[f"{CYCLE_ID}:esg-restatement:v2"].kind == "adjustment"
