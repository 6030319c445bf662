"""Emissions carried through a battery (docs/storage.md): discharged energy has the carbon intensity of the energy
that charged it, location- and market-based, and round-trip losses carry their own grams.

The battery's charging-source pool (settlement.storage_pool) carries grams beside cost: each charging lot holds its
Wh times the source's intensity of that hour (hourly where the factors are hourly), and the Wh of it covered by
hourly-matched certificates. A party that takes discharged energy takes the lots' grams and certificate Wh; the
losses take theirs by the asset's losses key; what is still stored keeps the rest for the next period. Nothing is
created or lost: charged grams = taken + losses + still stored, to the gram.

Certificates follow the energy under hourly matching: a certificate matched to charging energy in its own hour
travels with that energy and may be claimed by whoever takes it at discharge, in the discharge hour; the
certificate Wh of losses are spent on energy nobody uses and are claimed by no one.

This module makes lots from an hour's intensities (an estimate outside a cycle, or a source with its own rate); the
cycle's result carries the grams the hour rules gave the battery's charge instead (esg.scopes.storage_carry), with
the same certificate amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from settlement.storage_pool import Lot, StoragePeriod, charge_lots

AMOUNT_LOCATION_G = "co2e_g_location"
AMOUNT_MARKET_G = "co2e_g_market"
AMOUNT_CERTIFICATE_WH = "certificate_wh"
WH_PER_KWH = Decimal(1000)


@dataclass(frozen=True)
class SourceHour:
    """One source's intensity in one hour, and the share of its energy covered by certificates matched in it."""

    location_g_per_kwh: Decimal
    market_g_per_kwh: Decimal
    certificate_share: Decimal = Decimal(0)


def emission_charge_lots(charge_wh: int, supply_wh_by_source: Mapping[str, int],
                         source_hours: Mapping[str, SourceHour],
                         cost_rates_usd_per_mwh: Mapping[str, Decimal] | None = None) -> tuple[Lot, ...]:
    """The lots of one hour's charge with their grams (and cost, when prices are given, so one pool serves
    settlement and emissions); a source without an intensity (on-site solar) carries zero grams."""
    rates: dict[str, dict[str, Decimal]] = {}
    for source in supply_wh_by_source:
        hour = source_hours.get(source, SourceHour(Decimal(0), Decimal(0)))
        assert 0 <= hour.certificate_share <= 1, f"{source}: certificate share {hour.certificate_share}"
        rates[source] = {AMOUNT_LOCATION_G: hour.location_g_per_kwh / WH_PER_KWH,
                         AMOUNT_MARKET_G: hour.market_g_per_kwh / WH_PER_KWH,
                         AMOUNT_CERTIFICATE_WH: hour.certificate_share}
        if cost_rates_usd_per_mwh is not None and source in cost_rates_usd_per_mwh:
            # micro-USD per Wh is USD per MWh.
            rates[source]["cost_usd_micros"] = cost_rates_usd_per_mwh[source]
    return charge_lots(charge_wh, supply_wh_by_source, rates)


@dataclass(frozen=True)
class CarriedEmissions:
    """What one party received from a battery over the period."""

    energy_wh: int
    location_g: int
    market_g: int
    certificate_wh: int
    losses_wh: int
    losses_location_g: int
    losses_market_g: int

    def intensity_g_per_kwh(self) -> tuple[Decimal, Decimal] | None:
        """(location, market) g/kWh of the energy taken: those of the energy that charged it."""
        if self.energy_wh == 0:
            return None
        return (Decimal(self.location_g) * WH_PER_KWH / self.energy_wh,
                Decimal(self.market_g) * WH_PER_KWH / self.energy_wh)


def carried_emissions(period: StoragePeriod) -> dict[str, CarriedEmissions]:
    """Per party: the energy and grams taken from the battery and its share of the losses with their grams."""
    parties = sorted(set(period.taken_by_party) | set(period.losses_by_party))
    carried: dict[str, CarriedEmissions] = {}
    for party in parties:
        taken = period.taken_by_party.get(party, ())
        lost = period.losses_by_party.get(party, ())
        carried[party] = CarriedEmissions(
            energy_wh=sum(lot.energy_wh for lot in taken),
            location_g=sum(lot.amount(AMOUNT_LOCATION_G) for lot in taken),
            market_g=sum(lot.amount(AMOUNT_MARKET_G) for lot in taken),
            certificate_wh=sum(lot.amount(AMOUNT_CERTIFICATE_WH) for lot in taken),
            losses_wh=sum(lot.energy_wh for lot in lost),
            losses_location_g=sum(lot.amount(AMOUNT_LOCATION_G) for lot in lost),
            losses_market_g=sum(lot.amount(AMOUNT_MARKET_G) for lot in lost),
        )
    return carried
