"""The versioned factor library: publications, tables and named editions, read from `esg/factors/data/`.

Every factor carries a `ref` of the form `<table_id>/<row>` (e.g. `epa-hub-2025/table6/ERCT`) so each result
can name the exact published cell it used. Files are checked against the sha256 in `manifest.json` before a
single value is read; an edition is a bundle of one table per kind and is never edited, only added.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from esg.errors import FactorEditionUnknown, FactorFileAltered, FactorMissing

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST_NAME = "manifest.json"
GWP_COLUMNS = {"AR4": "ar4_gwp100", "AR5": "ar5_gwp100_no_cc_feedback", "AR6": "ar6_gwp100"}


@dataclass(frozen=True)
class CombustionFactor:
    """Table 1 stationary combustion row: per-MMBtu (HHV) factors and the default heat content."""

    ref: str
    fuel_type: str
    heat_content_hhv: Decimal | None
    heat_content_unit: str
    co2_kg_per_mmbtu: Decimal
    ch4_g_per_mmbtu: Decimal
    n2o_g_per_mmbtu: Decimal
    biogenic_co2: bool


@dataclass(frozen=True)
class GridFactor:
    """Total-output grid rates in lb per MWh generated, with the grid gross loss used for T&D losses."""

    ref: str
    subregion: str
    co2_lb_per_mwh: Decimal
    ch4_lb_per_mwh: Decimal
    n2o_lb_per_mwh: Decimal
    loss_ref: str | None
    grid_gross_loss_fraction: Decimal | None
    # Non-baseload rates: for avoided-emission estimates only, never for the inventory (EPA Hub Table 6 note).
    nonbaseload_lb_per_mwh: tuple[Decimal, Decimal, Decimal] | None = None


@dataclass(frozen=True)
class UpstreamFactor:
    """One conversion-factor row (kg CO2e per unit), e.g. well-to-tank natural gas per kWh gross CV."""

    ref: str
    description: str
    unit: str
    kg_co2e_per_unit: Decimal


@dataclass(frozen=True)
class GwpSet:
    """100-year GWPs for one IPCC report; CO2 is 1 by definition."""

    name: str
    ch4: Decimal
    n2o: Decimal
    refs: tuple[str, ...]


@dataclass(frozen=True)
class TableMeta:
    table_id: str
    kind: str
    file: str
    sha256: str
    confidence: str
    note: str
    publication: dict[str, Any]


@dataclass(frozen=True)
class FactorEdition:
    """A named, dated bundle of factor tables (one per kind)."""

    edition_id: str
    valid_from: date
    valid_to: date | None
    description: str
    tables: dict[str, str]
    combustion: dict[str, CombustionFactor] = field(repr=False)
    grid: dict[str, GridFactor] = field(repr=False)
    upstream: dict[str, UpstreamFactor] = field(repr=False)
    gwp: dict[str, GwpSet] = field(repr=False)

    def combustion_factor(self, fuel_slug: str) -> CombustionFactor:
        if fuel_slug not in self.combustion:
            raise FactorMissing(self.tables["stationary_combustion"], fuel_slug)
        return self.combustion[fuel_slug]

    def grid_factor(self, subregion: str) -> GridFactor:
        if subregion not in self.grid:
            raise FactorMissing(self.tables["grid_subregion"], subregion)
        return self.grid[subregion]

    def upstream_factor(self, row_id: str) -> UpstreamFactor:
        if row_id not in self.upstream:
            raise FactorMissing(self.tables["upstream"], row_id)
        return self.upstream[row_id]

    def gwp_set(self, name: str) -> GwpSet:
        if name not in self.gwp:
            raise FactorMissing(self.tables["gwp"], name)
        return self.gwp[name]

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class GasGwp:
    """A gas's AR5 GWP100 from the all-gas table (refrigerants, SF6, NF3, PFCs)."""

    ref: str
    name: str
    formula: str
    gwp100_ar5: Decimal


@dataclass(frozen=True)
class FactorLibrary:
    manifest_sha256: str
    tables: dict[str, TableMeta]
    editions: dict[str, FactorEdition]
    gas_gwps_ar5: dict[str, GasGwp] = field(default_factory=dict, repr=False)

    def edition(self, edition_id: str) -> FactorEdition:
        if edition_id not in self.editions:
            raise FactorEditionUnknown(f"no edition {edition_id!r}; known: {sorted(self.editions)}")
        return self.editions[edition_id]

    def edition_for(self, moment_utc: datetime) -> FactorEdition:
        """The edition valid on the UTC date of `moment_utc` (callers pass a period's midpoint)."""
        day = moment_utc.date()
        matching = [edition for edition in self.editions.values() if edition.covers(day)]
        if len(matching) != 1:
            raise FactorEditionUnknown(f"{len(matching)} editions are valid on {day}; name one explicitly")
        return matching[0]


def fuel_slug(fuel_type: str) -> str:
    """`Natural Gas` -> `natural-gas`; the row key used in refs and lookups."""
    return re.sub(r"[^a-z0-9]+", "-", fuel_type.lower()).strip("-")


@lru_cache(maxsize=4)
def load_factor_library(data_dir: Path = DATA_DIR) -> FactorLibrary:
    """Read and verify the manifest and every table it lists; cached because the files never change."""
    manifest_bytes = (data_dir / MANIFEST_NAME).read_bytes()
    manifest = json.loads(manifest_bytes)
    tables = {
        table_id: _table_meta(data_dir, table_id, spec, manifest)
        for table_id, spec in manifest["tables"].items()
    }
    rows = {table_id: _read_rows(data_dir, meta) for table_id, meta in tables.items()}
    editions = {
        edition_id: _build_edition(edition_id, spec, rows)
        for edition_id, spec in manifest["editions"].items()
    }
    gases = {
        key: gas
        for table_id, meta in tables.items()
        if meta.kind == "gwp_ar5_full"
        for gas in _gas_gwps(table_id, rows[table_id])
        for key in (gas.name, gas.formula)
    }
    return FactorLibrary(hashlib.sha256(manifest_bytes).hexdigest(), tables, editions, gases)


def _gas_gwps(table_id: str, rows: list[dict[str, str]]) -> list[GasGwp]:
    return [
        GasGwp(f"{table_id}/{row['formula']}", row["name"], row["formula"], Decimal(row["gwp100_ar5"]))
        for row in rows
    ]


def _table_meta(data_dir: Path, table_id: str, spec: dict[str, Any], manifest: dict[str, Any]) -> TableMeta:
    actual = hashlib.sha256((data_dir / spec["file"]).read_bytes()).hexdigest()
    if actual != spec["sha256"]:
        raise FactorFileAltered(spec["file"], spec["sha256"], actual)
    publication = manifest["publications"][spec["publication"]]
    return TableMeta(
        table_id, spec["kind"], spec["file"], spec["sha256"], spec["confidence"], spec["note"], publication
    )


def _read_rows(data_dir: Path, meta: TableMeta) -> list[dict[str, str]]:
    text = (data_dir / meta.file).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _build_edition(
    edition_id: str, spec: dict[str, Any], rows: dict[str, list[dict[str, str]]]
) -> FactorEdition:
    tables: dict[str, str] = spec["tables"]
    valid_to = spec["valid_to"]
    return FactorEdition(
        edition_id=edition_id,
        valid_from=date.fromisoformat(spec["valid_from"]),
        valid_to=date.fromisoformat(valid_to) if valid_to else None,
        description=spec["description"],
        tables=tables,
        combustion=_combustion(tables["stationary_combustion"], rows[tables["stationary_combustion"]]),
        grid=_grid(
            tables["grid_subregion"],
            rows[tables["grid_subregion"]],
            tables["grid_loss"],
            rows[tables["grid_loss"]],
        ),
        upstream=_upstream(tables["upstream"], rows[tables["upstream"]]),
        gwp=_gwp(tables["gwp"], rows[tables["gwp"]]),
    )


def _decimal_or_none(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def _combustion(table_id: str, rows: list[dict[str, str]]) -> dict[str, CombustionFactor]:
    result: dict[str, CombustionFactor] = {}
    for row in rows:
        slug = fuel_slug(row["fuel_type"])
        result[slug] = CombustionFactor(
            ref=f"{table_id}/{slug}",
            fuel_type=row["fuel_type"],
            heat_content_hhv=_decimal_or_none(row["heat_content_hhv"]),
            heat_content_unit=row["heat_content_unit"],
            co2_kg_per_mmbtu=Decimal(row["co2_kg_per_mmbtu"]),
            ch4_g_per_mmbtu=Decimal(row["ch4_g_per_mmbtu"]),
            n2o_g_per_mmbtu=Decimal(row["n2o_g_per_mmbtu"]),
            # Biomass CO2 is reported outside the scopes (Corporate Standard); CH4 and N2O stay in Scope 1.
            biogenic_co2=row["fuel_category"].startswith("Biomass"),
        )
    return result


def _grid(
    table_id: str, rows: list[dict[str, str]], loss_table_id: str, loss_rows: list[dict[str, str]]
) -> dict[str, GridFactor]:
    losses = {
        row["egrid_subregion"]: _decimal_or_none(row.get("grid_gross_loss_fraction", "")) for row in loss_rows
    }
    result: dict[str, GridFactor] = {}
    for row in rows:
        subregion = row["egrid_subregion"]
        loss = losses.get(subregion)
        result[subregion] = GridFactor(
            ref=f"{table_id}/{subregion}",
            subregion=subregion,
            co2_lb_per_mwh=Decimal(row["total_output_co2_lb_per_mwh"]),
            ch4_lb_per_mwh=Decimal(row["total_output_ch4_lb_per_mwh"]),
            n2o_lb_per_mwh=Decimal(row["total_output_n2o_lb_per_mwh"]),
            loss_ref=f"{loss_table_id}/{subregion}/grid_gross_loss" if loss is not None else None,
            grid_gross_loss_fraction=loss,
            nonbaseload_lb_per_mwh=_nonbaseload(row),
        )
    return result


def _nonbaseload(row: dict[str, str]) -> tuple[Decimal, Decimal, Decimal] | None:
    columns = ("nonbaseload_co2_lb_per_mwh", "nonbaseload_ch4_lb_per_mwh", "nonbaseload_n2o_lb_per_mwh")
    if not all(row.get(column, "").strip() for column in columns):
        return None
    co2, ch4, n2o = (Decimal(row[column]) for column in columns)
    return co2, ch4, n2o


def _upstream(table_id: str, rows: list[dict[str, str]]) -> dict[str, UpstreamFactor]:
    result: dict[str, UpstreamFactor] = {}
    for row in rows:
        description = " / ".join(part for part in (row["scope"], row["level_1"], row["level_3"]) if part)
        result[row["id"]] = UpstreamFactor(
            ref=f"{table_id}/{row['id']}",
            description=f"{description} ({row['ghg_unit']})",
            unit=row["uom"],
            kg_co2e_per_unit=Decimal(row["factor_2024"]),
        )
    return result


def _gwp(table_id: str, rows: list[dict[str, str]]) -> dict[str, GwpSet]:
    by_gas = {row["gas"]: row for row in rows}
    return {
        name: GwpSet(
            name=name,
            ch4=Decimal(by_gas["CH4"][column]),
            n2o=Decimal(by_gas["N2O"][column]),
            refs=(f"{table_id}/{name}/CH4", f"{table_id}/{name}/N2O"),
        )
        for name, column in GWP_COLUMNS.items()
    }
