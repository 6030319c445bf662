"""A battery that discharges partly into export, through the real cycle (HTTP API -> Temporal dev server -> worker
-> PostgreSQL): the cycle settles and balances, the tenants are billed only their share of the battery's energy, the
export's share and its losses stay the campus's (the settle step's storage figures), and the grams are conserved;
and, on a second campus, a discharge nothing metered used settles as losses with the finding visible to finance.

Campus `it-battery-export` (New York, NYUP): alpha ($60/MWh) and beta ($55/MWh), an export meter, battery bess1
(FIFO, empty at the start, floor 0, 820-920 permille, losses key alpha 3 : beta 1, charging energy priced
grid_import $40/MWh). October 2026, 744 hours (EDT throughout); every local day is the same, in kWh per 15-minute
interval:
- hours 00-11 local: grid 1 000, alpha 600, beta 300, charge 90 (10 lost in cables);
- hours 12-23 local: discharge 80, export 30, grid 860, alpha 600, beta 300 (10 lost).
Each discharging hour: 320 000 Wh out, 120 000 Wh exported with no generation, so the export takes 120 000 first;
the other 200 000 go to alpha 2 400 000 : beta 1 200 000, 133 333.3 and 66 666.7, largest remainder 133 333 and
66 667. Over the 372 discharging hours: export 44 640 000, alpha 49 599 876, beta 24 800 124 Wh. Everything charged
is grid at $40 (40 micro-USD per Wh), so every split is exact:
- charge 372 x 360 000 = 133 920 000 Wh ($5 356.80); discharge 119 040 000 Wh;
- stored at the end: 133 920 000 x 0.87 - 119 040 000 < 0, kept at the floor 0; the pool's 14 880 000 Wh are lost;
  the export took 44 640 000 of 119 040 000 (37.5 %): 5 580 000 Wh of them; the other 9 300 000 Wh by 3:1: alpha
  6 975 000, beta 2 325 000;
- alpha: supply $1 983.99504, losses $279, credit 49 599 876 Wh x $60 = $2 975.99256; beta: supply $992.00496,
  losses $93, credit 24 800 124 x $55 = $1 364.00682; the export: $1 785.60 supply and $223.20 losses, no tenant's;
- balance: grid 2 767 680 000 + discharge 119 040 000 = export 44 640 000 + tenants 2 678 400 000 + charge
  133 920 000 + losses 29 760 000.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from campus.file import parse_campus_text
from campus.service import apply
from devtools.fake_iso.pki import TestPki as IsoPki
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-battery-export"
UNMETERED_ID = "it-battery-unmetered"
PERIOD = "2026-10"
START_UTC = datetime(2026, 10, 1, 4, tzinfo=UTC)  # local midnight, EDT
HOURS = 744
CAMPUS = f'''
[campus]
id = "{CAMPUS_ID}"
name = "Battery export campus"
time_zone = "America/New_York"
iso = "NYISO"
settlement_point = "HUD VL"
egrid_subregion = "NYUP"

[[tenants]]
id = "alpha"
name = "Alpha"

[[tenants]]
id = "beta"
name = "Beta"

[[meters]]
id = "GRID-IMP"
role = "grid_import"
unit = "kWh"

[[meters]]
id = "EXPORT"
role = "export"
unit = "kWh"

[[meters]]
id = "A-LOAD"
role = "tenant_consumption"
unit = "kWh"
tenant = "alpha"

[[meters]]
id = "B-LOAD"
role = "tenant_consumption"
unit = "kWh"
tenant = "beta"

[[meters]]
id = "BESS-CHG"
role = "storage_charge"
unit = "kWh"
rated_kw = 2000

[[meters]]
id = "BESS-DIS"
role = "storage_discharge"
unit = "kWh"
rated_kw = 2000

[[storage]]
id = "bess1"
charge_meter = "BESS-CHG"
discharge_meter = "BESS-DIS"
capacity_wh_usable = 8000000
power_kw_rated = 2000
round_trip_efficiency_permille_min = 820
round_trip_efficiency_permille_max = 920
pool_method = "fifo"
losses_key = {{ alpha = 3, beta = 1 }}
supply_prices_usd_per_mwh = {{ grid_import = "40.00" }}

[[contracts]]
key = "alpha-supply"
kind = "fixed_price"
tenant = "alpha"
versions = [{{ effective_from = 2026-01-01, terms = {{ price_usd_per_mwh = "60.00" }} }}]

[[contracts]]
key = "beta-supply"
kind = "fixed_price"
tenant = "beta"
versions = [{{ effective_from = 2026-01-01, terms = {{ price_usd_per_mwh = "55.00" }} }}]
'''


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   "it-battery-export-demo", "test.wattledger/battery-export") as stack:
        for campus_id in (CAMPUS_ID, UNMETERED_ID):
            text_ = CAMPUS.replace(f'id = "{CAMPUS_ID}"', f'id = "{campus_id}"')
            apply(engine, parse_campus_text("campus.toml", text_.encode(), None), "tester")
        yield stack


def _exporting(local_hour: int) -> dict[str, int]:
    charging = local_hour < 12
    return {"GRID-IMP": 1000 if charging else 860, "EXPORT": 0 if charging else 30, "A-LOAD": 600, "B-LOAD": 300,
            "BESS-CHG": 90 if charging else 0, "BESS-DIS": 0 if charging else 80}


def _site_export(settings: Settings, campus_id: str = CAMPUS_ID,
                 readings_of: Callable[[int], dict[str, int]] = _exporting) -> None:
    """kWh per 15-minute interval by the hour of the local day (EDT: the period starts at local midnight)."""
    rows = ["meter_id,interval_start,value,unit"]
    for index in range(HOURS * 4):
        start = START_UTC + timedelta(minutes=15 * index)
        rows += [f"{meter},{start.isoformat()},{value},kWh" for meter, value in readings_of(index // 4 % 24).items()]
    inbox = inbox_folder(settings, campus_id, PERIOD)
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "site_2026-10.csv").write_text("\n".join(rows) + "\n")


async def test_a_battery_discharging_into_export_settles_and_bills_tenants_only_their_share(
        api: tuple[httpx.AsyncClient, Settings, Client], engine: Engine) -> None:
    http, settings, _ = api
    _site_export(settings)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    validate = await http.get(f"/cycles/{cycle_id}/steps/validate")
    assert validate.status_code == 200, validate.text
    rules = validate.json()["report"]["rules"]
    for rule in ("storage_discharge_without_use", "storage_discharge_exceeds_stored", "storage_round_trip_efficiency"):
        assert rules[rule] == {"BESS-DIS": 0}, rule
    assert rules["storage_charge_without_supply"] == {"BESS-CHG": 0}

    settled = await http.get(f"/cycles/{cycle_id}/steps/settle")
    assert settled.status_code == 200, settled.text
    settle = settled.json()
    balance = settle["energy_balance_wh"]
    assert (balance["grid_import_wh"], balance["storage_discharge_wh"], balance["export_wh"],
            balance["tenant_consumption_wh"], balance["storage_charge_wh"], balance["losses_wh"]) == \
        (2_767_680_000, 119_040_000, 44_640_000, 2_678_400_000, 133_920_000, 29_760_000)
    figures = settle["storage"]["bess1"]
    assert (figures["discharge_wh"], figures["exported_wh"], figures["exported_cost_usd_micros"],
            figures["exported_losses_wh"], figures["exported_losses_cost_usd_micros"], figures["losses_wh"],
            figures["unmetered_discharge_wh"], figures["closing_wh"]) == \
        (119_040_000, 44_640_000, 1_785_600_000, 5_580_000, 223_200_000, 14_880_000, 0, 0)

    with engine.connect() as conn:
        lines = conn.execute(text(
            "SELECT l.tenant_id, d.clause, sum(l.quantity_wh), sum(l.amount_usd_micros) FROM settlement_line l"
            " JOIN settlement_line_detail d USING (cycle_id, line_no) WHERE l.cycle_id = :c AND d.clause LIKE"
            " 'storage.%' GROUP BY l.tenant_id, d.clause ORDER BY l.tenant_id, d.clause"), {"c": cycle_id}).all()
    assert [(tenant, clause, int(wh), int(usd)) for tenant, clause, wh, usd in lines] == [
        ("alpha", "storage.losses", 6_975_000, 279_000_000),
        ("alpha", "storage.supply", 49_599_876, 1_983_995_040),
        ("alpha", "storage.supply_replaced", -49_599_876, -2_975_992_560),
        ("beta", "storage.losses", 2_325_000, 93_000_000),
        ("beta", "storage.supply", 24_800_124, 992_004_960),
        ("beta", "storage.supply_replaced", -24_800_124, -1_364_006_820),
    ]
    # Each tenant took from the battery no more than it metered; what the pool cost is split exactly between the
    # tenants, the export and the losses: 133 920 000 Wh x 40.
    assert 1_983_995_040 + 279_000_000 + 992_004_960 + 93_000_000 + 1_785_600_000 + 223_200_000 == 133_920_000 * 40
    assert settle["tenant_totals_usd_micros"] == {
        "alpha": 1_785_600_000 * 60 + 1_983_995_040 + 279_000_000 - 2_975_992_560,
        "beta": 892_800_000 * 55 + 992_004_960 + 93_000_000 - 1_364_006_820}

    # Finance sees the export's share as the campus's, without blocking approval.
    review = await http.get(f"/cycles/{cycle_id}/review")
    assert review.status_code == 200, review.text
    storage = [f for f in review.json()["findings"] if f["code"].startswith("storage_")]
    assert [(f["code"], f["blocking"]) for f in storage] == [("storage_export:bess1", False)]
    assert "$2,008.80" in storage[0]["message"]

    # Grams: the export's share leaves with the export (retained:export), the tenants carry theirs, and what the
    # battery charged is handed on to the gram.
    section = settle["emissions"]["storage"]["bess1"]
    assert {party: part["energy_wh"] for party, part in section["taken"].items()} == \
        {"retained:export": 44_640_000, "tenant:alpha": 49_599_876, "tenant:beta": 24_800_124}
    assert {party: part["energy_wh"] for party, part in section["losses"].items()} == \
        {"retained:export": 5_580_000, "tenant:alpha": 6_975_000, "tenant:beta": 2_325_000}
    charged = section["charged"]
    assert charged["scope2_grid_location"] > 0
    for figure in ("scope2_grid_location", "scope2_grid_market", "scope3_cat3"):
        handed = sum(part[figure] for kind in ("taken", "losses") for part in section[kind].values())
        assert charged[figure] == handed + section["closing"][figure] - section["opening"][figure], figure


def _unmetered(local_hour: int) -> dict[str, int]:
    """As `_exporting`, without export, and at 23:00 local the battery discharges while nothing is metered using it."""
    if local_hour == 23:
        return {"GRID-IMP": 0, "EXPORT": 0, "A-LOAD": 0, "B-LOAD": 0, "BESS-CHG": 0, "BESS-DIS": 80}
    readings = _exporting(local_hour)
    return readings if local_hour < 12 else {**readings, "GRID-IMP": 830, "EXPORT": 0}


async def test_discharge_nothing_metered_used_settles_as_losses_with_the_finding_visible(
        api: tuple[httpx.AsyncClient, Settings, Client], engine: Engine) -> None:
    """Campus it-battery-unmetered: the same month, no export; hours 12-22 local discharge 320 000 Wh to alpha
    213 333 and beta 106 667 (2:1, largest remainder); at 23:00 local 320 000 Wh go out with nothing metered using
    them. Charge 133 920 000 Wh; taken 341 x 320 000 = 109 120 000 (alpha 72 746 553, beta 36 373 447); unmetered
    31 x 320 000 = 9 920 000. Stored at the end: 0 (the estimate is below the floor), so the pool's 24 800 000 Wh
    are lost, unmetered discharge included, 3:1: alpha 18 600 000 ($744), beta 6 200 000 ($248)."""
    http, settings, _ = api
    _site_export(settings, UNMETERED_ID, _unmetered)
    started = await http.post("/cycles", json={"campus_id": UNMETERED_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]

    report = (await http.get(f"/cycles/{cycle_id}/steps/validate")).json()["report"]
    assert report["rules"]["storage_discharge_without_use"] == {"BESS-DIS": 31}
    unused = [f for f in report["storage_findings"] if f["rule"] == "storage_discharge_without_use"]
    assert (len(unused), unused[0]["meter_id"], unused[0]["interval_start_utc"], unused[0]["value_wh"]) == \
        (31, "BESS-DIS", "2026-10-02T03:00:00+00:00", 320_000)

    settle = (await http.get(f"/cycles/{cycle_id}/steps/settle")).json()
    figures = settle["storage"]["bess1"]
    assert (figures["discharge_wh"], figures["unmetered_discharge_wh"], figures["losses_wh"],
            figures["exported_wh"]) == (119_040_000, 9_920_000, 24_800_000, 0)
    with engine.connect() as conn:
        lines = conn.execute(text(
            "SELECT l.tenant_id, d.clause, sum(l.quantity_wh), sum(l.amount_usd_micros) FROM settlement_line l"
            " JOIN settlement_line_detail d USING (cycle_id, line_no) WHERE l.cycle_id = :c AND d.clause IN"
            " ('storage.supply', 'storage.losses') GROUP BY l.tenant_id, d.clause ORDER BY l.tenant_id, d.clause"),
            {"c": cycle_id}).all()
    assert [(tenant, clause, int(wh), int(usd)) for tenant, clause, wh, usd in lines] == [
        ("alpha", "storage.losses", 18_600_000, 744_000_000),
        ("alpha", "storage.supply", 72_746_553, 2_909_862_120),
        ("beta", "storage.losses", 6_200_000, 248_000_000),
        ("beta", "storage.supply", 36_373_447, 1_454_937_880),
    ]
    assert 744_000_000 + 2_909_862_120 + 248_000_000 + 1_454_937_880 == 133_920_000 * 40

    review = (await http.get(f"/cycles/{cycle_id}/review")).json()
    storage = [f for f in review["findings"] if f["code"].startswith("storage_")]
    assert [(f["code"], f["blocking"]) for f in storage] == [("storage_unmetered:bess1", True)]
    assert storage[0]["message"].startswith("bess1: 9.920 MWh discharged with no metered use")
