"""The campus's battery in the shadow run: its three programs from the campus file's asset, the most valuable one
counted, the others listed and left out of the net, the memo entry and the report total (hand-worked figures of
tests/unit/storage_assets/test_storage_market_value.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from campus import StorageAsset
from campus.model import StorageService
from participation.document import memo_entry, shadow_document
from participation.guardrails import SiteLimits
from participation.report import shadow_report
from participation.shadow import MarketRules, MeteredPeriod, shadow_period
from participation.storage_programs import storage_resource, with_storage

START = datetime(2026, 1, 5, 6, tzinfo=UTC)  # midnight in Chicago: one local day
STARTS = tuple(START + timedelta(hours=n) for n in range(6))
# 2 000 000 Wh usable, 200 000 floor, 200 000 reserved for alpha's backup: 1 600 000 Wh of market range; efficiency
# 780-820 permille, 800 in the middle; 1 000 kW.
ASSET = StorageAsset("bess1", "BESS-CHG", "BESS-DIS", 2_000_000, 1_000, 780, 820, state_of_charge_wh_min=200_000,
                     services=(StorageService("alpha-backup", "alpha", 200_000, Decimal(100)),))
RULES = MarketRules("v1", (), (), SiteLimits(0, None, Decimal(0), Decimal(0), "v1"),
                    coincident_peak_starts_utc=(STARTS[2],), transmission_rate_usd_per_kw_year=Decimal(50),
                    demand_rate_usd_per_kw=Decimal(15))
METERED = MeteredPeriod(timedelta(hours=1), STARTS, (500_000, 900_000, 1_400_000, 1_200_000, 600_000, 500_000), {},
                        {}, "America/Chicago")
PRICES = dict(zip(STARTS, (Decimal(p) for p in (20, 10, 50, 100, 90, 30)), strict=True))


def test_the_asset_as_a_storage_resource() -> None:
    resource = storage_resource(ASSET, cycles_per_day_max=2)
    assert (resource.round_trip_efficiency_permille, resource.stored_wh_floor, resource.reserved_wh,
            resource.market_wh, resource.cycles_per_day_max) == (800, 200_000, 200_000, 1_600_000, 2)


def test_three_programs_the_most_valuable_counted() -> None:
    """Arbitrage $122 (charge at $20 and $10, discharge 800 000 Wh at $100 and $90); peak shaving 1 400 -> 634 kW
    at $15/kW, $11 490; the 1 400 kW peak cut by the 1 000 kW rating, one of four at $50/kW-year, $12 500: counted."""
    result = with_storage(shadow_period(METERED, PRICES, RULES), METERED, PRICES, RULES, [storage_resource(ASSET)])
    storage = {p.program: (p.revenue_usd_micros, p.avoided_cost_usd_micros, p.energy_wh, p.counted)
               for p in result.programs if p.program.startswith("storage_")}
    assert storage == {"storage_arbitrage": (122_000_000, 0, 1_600_000, False),
                       "storage_peak_shaving": (0, 11_490_000_000, 0, False),
                       "storage_coincident_peak": (0, 12_500_000_000, 0, True)}
    assert result.net_usd_micros == 12_500_000_000

    document = shadow_document(result, campus_id="c1", cycle_id="cycle:c1:2026-01", node="HB_HOUSTON",
                               period_start_utc=START, period_end_utc=START + timedelta(hours=6), interval_minutes=60)
    assert [p.get("counted", True) for p in document["programs"]][-3:] == [False, False, True]
    entry = memo_entry(document, 0, START + timedelta(hours=6))
    assert entry is not None
    assert sorted((leg.account_path, leg.amount_minor) for leg in entry.postings) == [
        ("campus:c1:shadow:forgone", 12_500_000_000), ("campus:c1:shadow:storage_coincident_peak", -12_500_000_000)]

    report = shadow_report("cycle:c1:2026-01", {"status": "computed", **document})
    names = [row[0] for row in report.program_rows]
    assert names[-3:] == ["Battery energy arbitrage (alternative use, not counted)",
                          "Battery peak shaving (alternative use, not counted)", "Battery coincident-peak discharge"]
    assert report.total_row[4] == "$12,500.00"


def test_without_batteries_nothing_changes() -> None:
    result = shadow_period(METERED, PRICES, RULES)
    assert with_storage(result, METERED, PRICES, RULES, []) == result
    document = shadow_document(result, campus_id="c1", cycle_id="x", node=None, period_start_utc=START,
                               period_end_utc=START + timedelta(hours=6), interval_minutes=60)
    assert all("counted" not in program for program in document["programs"])
