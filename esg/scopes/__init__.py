"""Scope 1, 2 and 3 accounting per campus and tenant for one billing cycle.

Hour by hour, from metered energy: Scope 1 of the fuel burnt on site, location- and market-based Scope 2,
Scope 3 category 3 with its switches, shared services passed on as Scope 3, the hourly CFE score and the
avoided emissions of exports (beside the inventory, never netted), and the grams a battery carries from its
charging hours to whoever takes its energy (`carried_pools`: the closing pools to keep for the next period). Each campus figure is rounded once and split
among tenants to the gram; the result is a `CycleEmissions` and the carbon legs of the settlement entry.
"""

from esg.scopes.avoided import AvoidedEmissions, avoided_emissions_of_exports
from esg.scopes.campus_settings import CampusEmissionSettings, campus_emission_settings, fuel_slug_of
from esg.scopes.cycle import compute_cycle_emissions, emissions_from_hourly
from esg.scopes.cycle_emissions import CycleEmissions, HourFigure
from esg.scopes.fuel_quantity import FuelQuantityEmissions, scope1_from_fuel_quantity
from esg.scopes.hourly_energy import HourlyEnergy, MeterRef, read_hourly_energy
from esg.scopes.ledger_legs import (
    carbon_account_specs,
    carbon_ledger_meta,
    carbon_ledger_postings,
)
from esg.scopes.options import EmissionOptions
from esg.scopes.scope2_market import MarketRate
from esg.scopes.scope3 import Scope3Conventions
from esg.scopes.service import carried_storage_pools, compute_campus_cycle, load_campus_emission_settings
from esg.scopes.shared_load import allocate_shared_load
from esg.scopes.shared_services import SharedServiceSource
from esg.scopes.storage_carry import battery_shares, carried_pools

__all__ = [
    "AvoidedEmissions",
    "CampusEmissionSettings",
    "CycleEmissions",
    "EmissionOptions",
    "FuelQuantityEmissions",
    "HourFigure",
    "HourlyEnergy",
    "MarketRate",
    "MeterRef",
    "Scope3Conventions",
    "SharedServiceSource",
    "allocate_shared_load",
    "avoided_emissions_of_exports",
    "battery_shares",
    "campus_emission_settings",
    "carbon_account_specs",
    "carbon_ledger_meta",
    "carbon_ledger_postings",
    "carried_pools",
    "carried_storage_pools",
    "compute_campus_cycle",
    "compute_cycle_emissions",
    "emissions_from_hourly",
    "fuel_slug_of",
    "load_campus_emission_settings",
    "read_hourly_energy",
    "scope1_from_fuel_quantity",
]
