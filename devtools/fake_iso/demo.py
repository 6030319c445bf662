"""A ready-made fake ISO for the demo and the CLI: the demo campus's NYISO PTIDs (demo/campus.py: generators
323701-323702, ties 323703-323704) plus the ones the tests use, PJM/ERCOT accounts, and made-up hourly prices
with the two planted corrections. The password is a dev placeholder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from devtools.fake_iso.state import FakeIsoState, PlantedCorrections
from devtools.fake_iso.statements import plant_price_correction
from market_adapters.prices import PriceRow

EASTERN = ZoneInfo("America/New_York")
DEMO_USER = "wl-operator"
DEMO_PASSWORD = "dev-only-password"


def demo_state(first_day: date, days: int) -> FakeIsoState:
    """Prices for `days` Eastern days from `first_day`: hour h of a day costs 20.25 + h USD/MWh at N.Y.C.;
    the first day's hour 10 is corrected later and its hour 14 of PTID 323701 is re-metered (+0.5 MWh)."""
    start_utc = datetime.combine(first_day, datetime.min.time(), EASTERN).astimezone(UTC)
    end_utc = datetime.combine(first_day + timedelta(days=days), datetime.min.time(), EASTERN).astimezone(UTC)
    hours = int((end_utc - start_utc).total_seconds() // 3600)
    prices = [PriceRow("NYISO", "DA", "N.Y.C.", start_utc + timedelta(hours=h), 60,
                       Decimal("20.25") + (start_utc + timedelta(hours=h)).astimezone(EASTERN).hour,
                       None, None, None, None, 1) for h in range(hours)]
    planted = PlantedCorrections(start_utc + timedelta(hours=10), Decimal("99.50"), 323701,
                                 start_utc + timedelta(hours=14), Decimal("0.5"))
    generators, ties, subzones = {323701, 323702, 323999}, {323703, 323704, 55001}, {61761}
    state = FakeIsoState(users={DEMO_USER: DEMO_PASSWORD}, metering_users={DEMO_USER}, generator_ptids=generators,
                         tie_ptids=ties, subzone_ptids=subzones,
                         ptid_nodes={ptid: "N.Y.C." for ptid in generators | ties | subzones},
                         pjm_subscription_keys={"demo-key"}, pjm_meter_accounts={"PM-778812"},
                         ercot_esi_ids={"10443720001234567"}, prices=prices, planted=planted)
    plant_price_correction(state)
    return state
