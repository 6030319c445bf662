"""Emission factors: the versioned factor library (`data/`), fuel combustion, hourly grid intensity, units.

Everything a Scope rule multiplies by comes from here, with the `ref` of the published cell it used.
"""

from esg.factors.combustion import (
    EffectiveFactor,
    FactorOverride,
    GasMassesG,
    co2e_g,
    effective_factor,
    gas_masses_g,
    mmbtu_from_wh_thermal,
    mmbtu_hhv_from_quantity,
)
from esg.factors.grid_intensity import (
    HourlyGridIntensity,
    parse_electricitymaps_csv,
    parse_watttime_aoer_json,
)
from esg.factors.library import (
    DATA_DIR,
    MANIFEST_NAME,
    CombustionFactor,
    FactorEdition,
    FactorLibrary,
    GridFactor,
    UpstreamFactor,
    load_factor_library,
)
from esg.factors.market_rates import (
    MarketRateConflict,
    MarketRateRow,
    market_rate_from_json,
    select_rate,
)
from esg.factors.service import (
    edition_content_sha256,
    edition_is_registered,
    list_factor_editions,
    market_rates,
    overrides_for_campus,
    record_factor_override,
    register_factor_library,
    register_market_rate,
)
from esg.factors.units import G_PER_KG, G_PER_LB, MICROGRAMS_PER_G, WH_PER_KWH, WH_PER_MMBTU, WH_PER_MWH

__all__ = [
    "DATA_DIR",
    "G_PER_KG",
    "G_PER_LB",
    "MANIFEST_NAME",
    "MICROGRAMS_PER_G",
    "WH_PER_KWH",
    "WH_PER_MMBTU",
    "WH_PER_MWH",
    "CombustionFactor",
    "EffectiveFactor",
    "FactorEdition",
    "FactorLibrary",
    "FactorOverride",
    "GasMassesG",
    "GridFactor",
    "HourlyGridIntensity",
    "MarketRateConflict",
    "MarketRateRow",
    "UpstreamFactor",
    "co2e_g",
    "edition_content_sha256",
    "edition_is_registered",
    "effective_factor",
    "gas_masses_g",
    "list_factor_editions",
    "load_factor_library",
    "market_rate_from_json",
    "market_rates",
    "mmbtu_from_wh_thermal",
    "mmbtu_hhv_from_quantity",
    "overrides_for_campus",
    "parse_electricitymaps_csv",
    "parse_watttime_aoer_json",
    "record_factor_override",
    "register_factor_library",
    "register_market_rate",
    "select_rate",
]
