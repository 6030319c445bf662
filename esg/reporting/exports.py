"""CSV and Parquet exports of a cycle result: one row per tenant/retained party, per hour, per campus figure, per
party and market-based method (`methods`), and per battery and part of its pool (`storage`).

Every figure row carries its data-quality flag. Parquet schemas are explicit (never inferred); values are
integer grams and Wh, so the files hold no floating point.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from esg.reporting.party_methods import fallback_ref, method_rows
from esg.scopes import CycleEmissions

PARTY_FIGURES = (
    "scope2_location",
    "scope2_market",
    "scope2_market_hourly",
    "scope2_onsite_generation",
    "scope2_grid_location",
    "scope2_grid_market",
    "scope2_grid_market_hourly",
    "scope3_cat3",
    "scope3_cat3_upstream_fuels",
    "scope3_cat3_upstream_power",
    "scope3_cat3_td_losses",
    "scope3_cat3_resold_power",
    "scope3_cat1_shared_services",
    "scope3_cat8_shared_services",
)
PARTY_SCHEMA = pa.schema(
    [
        pa.field("party", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("consumption_wh", pa.int64(), nullable=True),
        pa.field("cfe_score", pa.string(), nullable=False),
    ]
    + [pa.field(f"{name}_g_co2e", pa.int64(), nullable=False) for name in PARTY_FIGURES]
    + [
        pa.field("quality_scope2_location", pa.string(), nullable=False),
        pa.field("quality_scope2_market", pa.string(), nullable=False),
        pa.field("quality_scope3_cat3", pa.string(), nullable=False),
    ]
)
HOURLY_SCHEMA = pa.schema(
    [
        pa.field("hour_start_utc", pa.string(), nullable=False),
        pa.field("load_wh", pa.int64(), nullable=False),
        pa.field("generation_wh", pa.int64(), nullable=False),
        pa.field("grid_import_wh", pa.int64(), nullable=False),
        pa.field("export_wh", pa.int64(), nullable=False),
        pa.field("scope1_g_co2e", pa.int64(), nullable=False),
        pa.field("scope2_location_g_co2e", pa.int64(), nullable=False),
        pa.field("quality_scope1", pa.string(), nullable=False),
        pa.field("quality_scope2_location", pa.string(), nullable=False),
    ]
)
CAMPUS_SCHEMA = pa.schema(
    [
        pa.field("figure", pa.string(), nullable=False),
        pa.field("g_co2e", pa.int64(), nullable=False),
        pa.field("quality", pa.string(), nullable=False),
        pa.field("factor_edition", pa.string(), nullable=False),
        pa.field("gwp_set", pa.string(), nullable=False),
    ]
)
METHOD_SCHEMA = pa.schema(
    [
        pa.field("party", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("annual_wh", pa.int64(), nullable=False),
        pa.field("hourly_wh", pa.int64(), nullable=False),
        pa.field("hours", pa.int64(), nullable=False),
        pa.field("fallback_ref", pa.string(), nullable=False),
    ]
)
STORAGE_FIGURES = ("scope2_location", "scope2_market", "scope2_market_hourly", "scope3_cat3")
STORAGE_PARTS = ("opening", "charged", "taken", "losses", "closing")
STORAGE_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("part", pa.string(), nullable=False),
        pa.field("party", pa.string(), nullable=False),
        pa.field("energy_wh", pa.int64(), nullable=False),
        pa.field("certificate_wh", pa.int64(), nullable=False),
    ]
    + [pa.field(f"{name}_g_co2e", pa.int64(), nullable=False) for name in STORAGE_FIGURES]
    # Carbon-free Wh the battery carries into takers' hourly CFE scores; last, so the earlier columns keep their place.
    + [pa.field("carbon_free_wh", pa.int64(), nullable=False)]
)
SCHEMAS = {"parties": PARTY_SCHEMA, "hourly": HOURLY_SCHEMA, "campus": CAMPUS_SCHEMA, "methods": METHOD_SCHEMA,
           "storage": STORAGE_SCHEMA}


def party_rows(emissions: CycleEmissions) -> list[dict[str, Any]]:
    rows = []
    for tenant, figures in sorted(emissions.tenant_g_co2e.items()):
        quality = {
            m: emissions.data_quality[f"tenant:{tenant}:{m}"]
            for m in ("scope2_location", "scope2_market", "scope3_cat3")
        }
        rows.append(
            _party_row(
                tenant,
                "tenant",
                emissions.tenant_energy_wh[tenant]["consumption_wh"],
                emissions.tenant_cfe_score[tenant],
                figures,
                quality,
            )
        )
    campus_quality = {
        m: emissions.data_quality[f"campus_{m}"] for m in ("scope2_location", "scope2_market", "scope3_cat3")
    }
    for why, figures in sorted(emissions.retained_g_co2e.items()):
        rows.append(_party_row(why, "operator_retained", None, "", figures, campus_quality))
    return rows


def _party_row(
    party: str,
    kind: str,
    consumption_wh: int | None,
    cfe: str,
    figures: dict[str, int],
    quality: dict[str, str],
) -> dict[str, Any]:
    return {
        "party": party,
        "kind": kind,
        "consumption_wh": consumption_wh,
        "cfe_score": cfe,
        **{f"{name}_g_co2e": figures.get(name, 0) for name in PARTY_FIGURES},
        **{f"quality_{name}": flag for name, flag in quality.items()},
    }


def hourly_rows(emissions: CycleEmissions) -> list[dict[str, Any]]:
    quality = {
        "quality_scope1": emissions.data_quality["campus_scope1"],
        "quality_scope2_location": emissions.data_quality["campus_scope2_location"],
    }
    return [{**hour.__dict__, **quality} for hour in emissions.hourly]


def campus_rows(emissions: CycleEmissions) -> list[dict[str, Any]]:
    figures = [
        ("scope1", emissions.campus_scope1_g_co2e, "campus_scope1"),
        ("scope2_location", emissions.campus_scope2_location_g_co2e, "campus_scope2_location"),
        ("scope2_market", emissions.campus_scope2_market_g_co2e, "campus_scope2_market"),
        ("scope2_market_hourly", emissions.campus_scope2_market_hourly_g_co2e, "campus_scope2_market_hourly"),
        ("scope3_cat3", emissions.campus_scope3_cat3_g_co2e, "campus_scope3_cat3"),
        *(
            (f"scope3_cat3_{name}", grams, "campus_scope3_cat3")
            for name, grams in emissions.scope3_cat3_g_co2e.items()
        ),
        ("scope1_exported_disclosed", emissions.campus_scope1_exported_g_co2e, "campus_scope1"),
        (
            "scope1_shared_services",
            emissions.campus_scope1_shared_services_g_co2e,
            "campus_scope1_shared_services",
        ),
        ("biogenic_co2_outside_scopes", emissions.campus_biogenic_co2_g, "campus_scope1"),
    ]
    return [
        {
            "figure": name,
            "g_co2e": grams,
            "quality": emissions.data_quality.get(key, "measured"),
            "factor_edition": emissions.factor_edition,
            "gwp_set": emissions.gwp_set,
        }
        for name, grams, key in figures
    ]


def method_export_rows(emissions: CycleEmissions) -> list[dict[str, Any]]:
    """Per party and market-based method: Wh under annual and hourly matching and the hours it priced (the rows
    the statements and the report show, in Wh)."""
    rows = []
    for party in sorted(emissions.market_methods):
        kind, _, name = party.partition(":")
        for row in method_rows(emissions, party):
            rows.append({"party": name, "kind": "tenant" if kind == "tenant" else "operator_retained",
                         "method": row.method, "annual_wh": row.annual_wh, "hourly_wh": row.hourly_wh,
                         "hours": row.hours, "fallback_ref": fallback_ref(emissions, party)})
    return rows


def storage_rows(emissions: CycleEmissions) -> list[dict[str, Any]]:
    """Per battery: what it opened with, what its charge took, what each party took from it and carries of its
    losses (`taken`, `losses`, party as `tenant:<id>` or `retained:<why>`), and what it still stores (`closing`),
    each with its carbon-free Wh (those taken count in the takers' hourly CFE scores);
    opening + charged = taken + losses + closing for every column. The taken and lost grams are inside the
    parties' figures (`parties`) already."""
    rows = []
    for asset_id, entry in sorted(emissions.storage.items()):
        for part in STORAGE_PARTS:
            by_party = entry[part] if part in ("taken", "losses") else {"": entry[part]}
            rows += [{"asset_id": asset_id, "part": part, "party": party, "energy_wh": figures["energy_wh"],
                      "certificate_wh": figures["certificate_wh"],
                      **{f"{name}_g_co2e": figures[name] for name in STORAGE_FIGURES},
                      # A result recorded before batteries carried carbon-free energy has none to list.
                      "carbon_free_wh": figures.get("carbon_free_wh", 0)}
                     for party, figures in sorted(by_party.items())]
    return rows


ROWS = {"parties": party_rows, "hourly": hourly_rows, "campus": campus_rows, "methods": method_export_rows,
        "storage": storage_rows}


def export_csv(emissions: CycleEmissions, kind: str) -> str:
    """CSV text of one export kind (`parties`, `hourly`, `campus`, `methods`, `storage`), columns in schema order."""
    schema = SCHEMAS[kind]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=schema.names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ROWS[kind](emissions))
    return buffer.getvalue()


def export_parquet_bytes(emissions: CycleEmissions, kind: str) -> bytes:
    table = pa.Table.from_pylist(ROWS[kind](emissions), schema=SCHEMAS[kind])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())
