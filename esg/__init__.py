"""Emissions accounting: factor library, Scope 1/2/3 per tenant, certificates, restatements, reports.

Public interface; everything else in the package is internal.
"""

from esg.certificates import CertificateClaim, CertificateLot, CertificateRegistry
from esg.combustion import FactorOverride, mmbtu_hhv_from_quantity
from esg.cycle import EmissionOptions, HourlyGridIntensity, compute_cycle_emissions, emissions_from_hourly
from esg.factors import FactorEdition, FactorLibrary, load_factor_library
from esg.intervals import MeterRef
from esg.ledger_legs import ASSET_CODE, carbon_ledger_meta, carbon_ledger_postings
from esg.market import MarketRate
from esg.result import CycleEmissions, HourFigure
from esg.scope3 import Scope3Conventions

__all__ = [
    "ASSET_CODE",
    "CertificateClaim",
    "CertificateLot",
    "CertificateRegistry",
    "CycleEmissions",
    "EmissionOptions",
    "FactorEdition",
    "FactorLibrary",
    "FactorOverride",
    "HourFigure",
    "HourlyGridIntensity",
    "MarketRate",
    "MeterRef",
    "Scope3Conventions",
    "carbon_ledger_meta",
    "carbon_ledger_postings",
    "compute_cycle_emissions",
    "emissions_from_hourly",
    "load_factor_library",
    "mmbtu_hhv_from_quantity",
]
