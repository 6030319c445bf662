"""Emissions accounting: factor library, Scope 1/2/3 per tenant, certificates, restatements, reports.

Public interface; everything else in the package is internal.
"""

from esg.certificates import CertificateClaim, CertificateLot, CertificateRegistry
from esg.combustion import FactorOverride, mmbtu_hhv_from_quantity
from esg.cycle import EmissionOptions, HourlyGridIntensity, compute_cycle_emissions, emissions_from_hourly
from esg.factors import FactorEdition, FactorLibrary, load_factor_library
from esg.fuel_quantity import FuelQuantityEmissions, scope1_from_fuel_quantity
from esg.grid_intensity import parse_electricitymaps_csv, parse_watttime_aoer_json
from esg.intervals import MeterRef
from esg.ledger_legs import carbon_account_specs, carbon_ledger_meta, carbon_ledger_postings
from esg.market import MarketRate
from esg.restatement import EmissionsDelta, delta_ledger_postings, restatement_delta
from esg.result import CycleEmissions, HourFigure
from esg.scope3 import Scope3Conventions
from esg.statement import invoice_emissions_g_co2e, tenant_statement

__all__ = [
    "CertificateClaim",
    "CertificateLot",
    "CertificateRegistry",
    "CycleEmissions",
    "EmissionOptions",
    "EmissionsDelta",
    "FactorEdition",
    "FactorLibrary",
    "FactorOverride",
    "FuelQuantityEmissions",
    "HourFigure",
    "HourlyGridIntensity",
    "MarketRate",
    "MeterRef",
    "Scope3Conventions",
    "carbon_account_specs",
    "carbon_ledger_meta",
    "carbon_ledger_postings",
    "compute_cycle_emissions",
    "delta_ledger_postings",
    "emissions_from_hourly",
    "invoice_emissions_g_co2e",
    "load_factor_library",
    "mmbtu_hhv_from_quantity",
    "parse_electricitymaps_csv",
    "parse_watttime_aoer_json",
    "restatement_delta",
    "scope1_from_fuel_quantity",
    "tenant_statement",
]
