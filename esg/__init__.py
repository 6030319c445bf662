"""Emissions accounting: factor library, Scope 1/2/3 per tenant, certificates, restatements, reports.

Public interface; everything else in the package is internal.
"""

from esg.certificates.model import CertificateClaim, CertificateLot, CertificateRegistry
from esg.factors.combustion import FactorOverride, mmbtu_hhv_from_quantity
from esg.factors.grid_intensity import parse_electricitymaps_csv, parse_watttime_aoer_json
from esg.factors.library import FactorEdition, FactorLibrary, load_factor_library
from esg.reporting.restatement import EmissionsDelta, delta_ledger_postings, restatement_delta
from esg.reporting.tenant_statement import invoice_emissions_g_co2e, tenant_statement
from esg.scopes.cycle import (
    EmissionOptions,
    HourlyGridIntensity,
    compute_cycle_emissions,
    emissions_from_hourly,
)
from esg.scopes.cycle_emissions import CycleEmissions, HourFigure
from esg.scopes.fuel_quantity import FuelQuantityEmissions, scope1_from_fuel_quantity
from esg.scopes.hourly_energy import MeterRef
from esg.scopes.ledger_legs import (
    ASSET_CODE,
    carbon_account_specs,
    carbon_ledger_meta,
    carbon_ledger_postings,
)
from esg.scopes.scope2_market import MarketRate
from esg.scopes.scope3 import Scope3Conventions

__all__ = [
    "ASSET_CODE",
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
