"""`CycleEmissions`: the integer-gram result of one billing cycle, JSON-serializable and hashable.

Figures are integer grams CO2e (`*_g_co2e`) or integer Wh. Every tenant and retained figure was allocated
from its campus figure by largest remainder, so for each component the parts add up to the campus total.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from common import canonical_json

SCHEMA_VERSION = 1
QUALITY_ORDER = ("measured", "estimated", "default")


def worst_quality(*flags: str) -> str:
    """`default` (a fallback assumption) is worse than `estimated` (filled data), worse than `measured`."""
    return max(flags, key=QUALITY_ORDER.index) if flags else "measured"


@dataclass(frozen=True)
class HourFigure:
    """One UTC hour of the campus: energy and location-based emissions (ints that add up to the totals)."""

    hour_start_utc: str
    load_wh: int
    generation_wh: int
    grid_import_wh: int
    export_wh: int
    scope1_g_co2e: int
    scope2_location_g_co2e: int


@dataclass(frozen=True)
class CycleEmissions:
    """Campus and per-tenant emissions for `[period_start_utc, period_end_utc)`.

    `tenant_g_co2e[tenant][name]` names: `scope2_location`, `scope2_market`, `scope2_market_hourly` (tenant
    Scope 2 = its share of the operator's Scope 1 plus its grid share), their parts `scope2_onsite_generation`,
    `scope2_grid_location`, `scope2_grid_market`, `scope2_grid_market_hourly`, `scope3_cat3`, and the operator's
    Scope 1 without delivered energy passed on as `scope3_cat1_shared_services` / `scope3_cat8_shared_services`.
    `retained_g_co2e[why][name]` holds what stays with the operator (`export`, `shared`, `unallocated`,
    `resold`) under the same names; for each name, tenants + retained = campus.
    """

    period_start_utc: datetime
    period_end_utc: datetime
    campus_egrid_subregion: str
    factor_edition: str
    gwp_set: str
    campus_scope1_g_co2e: int
    campus_scope2_location_g_co2e: int
    campus_scope2_market_g_co2e: int
    campus_scope2_market_hourly_g_co2e: int
    campus_scope3_cat3_g_co2e: int
    campus_scope1_exported_g_co2e: int
    campus_biogenic_co2_g: int
    scope3_cat3_g_co2e: dict[str, int]
    gases_g: dict[str, dict[str, int]]
    energy_wh: dict[str, int]
    tenant_g_co2e: dict[str, dict[str, int]]
    tenant_energy_wh: dict[str, dict[str, int]]
    tenant_cfe_score: dict[str, str]
    retained_g_co2e: dict[str, dict[str, int]]
    hourly: list[HourFigure]
    instruments: list[dict[str, Any]]
    factor_refs: list[str]
    data_quality: dict[str, str]
    conventions: dict[str, str]
    exclusions: list[str]
    disclosures: list[str]
    inputs: dict[str, Any]
    schema_version: int = field(default=SCHEMA_VERSION)
    # Operator Scope 1 without delivered energy (refrigerants, backup-generator tests), passed to tenants as Scope 3.
    campus_scope1_shared_services_g_co2e: int = 0
    # The same per-gas masses in CO2e under each GWP set of the library (figure -> set -> grams), for disclosure.
    co2e_by_gwp_set_g: dict[str, dict[str, int]] = field(default_factory=dict)
    # Market-based Scope 2 method per party (`tenant:<id>`, `retained:<why>`): the rate below the instruments
    # (`supplier`, `residual_mix` or `grid_average`) and its ref, Wh by method under annual and hourly matching,
    # and the hourly method as runs [first hour, hour count, method].
    market_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per battery (asset id): the energy, grams and carbon-free Wh its charge took, what each party took of them in the
    # discharge hours and carries of its losses (`taken`, `losses`: party -> figures), what it opened and closed with,
    # and the closing pool's lots (esg.scopes.storage_carry). The grams are inside the tenant and retained figures
    # already, and the carbon-free Wh taken inside the takers' CFE scores.
    storage: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.storage:
            # A campus without a battery keeps the fingerprint its results were recorded with.
            del data["storage"]
        data["period_start_utc"] = self.period_start_utc.isoformat()
        data["period_end_utc"] = self.period_end_utc.isoformat()
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace, ints and strings only (no floats)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        # The recipe of common.canonical_json: for this ints-and-ASCII-strings value its bytes equal to_json's.
        return canonical_json.sha256_hex(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> CycleEmissions:
        data = json.loads(text)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"emissions schema {data.get('schema_version')}, expected {SCHEMA_VERSION}")
        data["period_start_utc"] = datetime.fromisoformat(data["period_start_utc"])
        data["period_end_utc"] = datetime.fromisoformat(data["period_end_utc"])
        data["hourly"] = [HourFigure(**hour) for hour in data["hourly"]]
        return cls(**data)
