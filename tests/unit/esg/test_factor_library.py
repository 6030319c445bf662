"""The factor library: values read exactly as published, editions chosen by date, altered files refused."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from esg.errors import FactorEditionUnknown, FactorFileAltered, FactorMissing
from esg.factors import DATA_DIR, load_factor_library


def test_published_cells_are_read_as_exact_decimals():
    """Table 1 natural gas, Table 6 ERCT and RFCW, DESNZ WTT natural gas and the AR6 GWPs, cell for cell."""
    edition = load_factor_library().edition("wl-2025.1")
    gas = edition.combustion_factor("natural-gas")
    assert (gas.heat_content_hhv, gas.co2_kg_per_mmbtu, gas.ch4_g_per_mmbtu, gas.n2o_g_per_mmbtu) == (
        Decimal("0.001026"),
        Decimal("53.06"),
        Decimal(1),
        Decimal("0.1"),
    )
    rfcw = edition.grid_factor("RFCW")
    assert (rfcw.co2_lb_per_mwh, rfcw.ch4_lb_per_mwh, rfcw.n2o_lb_per_mwh) == (
        Decimal("911.321"),
        Decimal("0.071"),
        Decimal("0.01"),
    )
    assert edition.grid_factor("ERCT").grid_gross_loss_fraction == Decimal("0.042")
    assert edition.upstream_factor("11_100_1004_6_1").kg_co2e_per_unit == Decimal("0.03021")
    ar6 = edition.gwp_set("AR6")
    assert (ar6.ch4, ar6.n2o) == (Decimal("29.8"), Decimal(273))


def test_puerto_rico_has_no_grid_loss_and_the_2022_edition_lists_nine_zones():
    """PRMS has no grid gross loss in the workbook; eGRID2022 (transcribed) covers nine rows only."""
    library = load_factor_library()
    assert library.edition("wl-2025.1").grid_factor("PRMS").grid_gross_loss_fraction is None
    old = library.edition("wl-2024.1")
    assert old.grid_factor("ERCT").co2_lb_per_mwh == Decimal("771.083")
    assert library.tables["epa-hub-2024/table6"].confidence == "M"
    with pytest.raises(FactorMissing, match="AZNM"):
        old.grid_factor("AZNM")


def test_the_edition_is_chosen_by_the_period_start():
    """2024 periods get wl-2024.1, 2025 and later wl-2025.1, 2023 none."""
    library = load_factor_library()
    assert library.edition_for(datetime(2024, 12, 31, 23, tzinfo=UTC)).edition_id == "wl-2024.1"
    assert library.edition_for(datetime(2025, 1, 1, tzinfo=UTC)).edition_id == "wl-2025.1"
    assert library.edition_for(datetime(2026, 11, 1, tzinfo=UTC)).edition_id == "wl-2025.1"
    with pytest.raises(FactorEditionUnknown):
        library.edition_for(datetime(2023, 6, 1, tzinfo=UTC))
    with pytest.raises(FactorEditionUnknown, match="wl-1999"):
        library.edition("wl-1999")


def test_a_factor_file_whose_bytes_changed_is_refused(tmp_path: Path):
    """Editing one digit of a copied table makes the library refuse to load (sha256 against the manifest)."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    table = copy / "epa_ghg_hub_2025_table6_egrid2023_subregions.csv"
    table.write_text(table.read_text().replace("738.038", "638.038"))
    with pytest.raises(FactorFileAltered, match="epa_ghg_hub_2025_table6"):
        load_factor_library(copy)


def test_data_files_match_the_shared_reference_tables(shared_dir: Path):
    """The project's copies are byte-identical to the reference CSVs they were taken from."""
    for reference in sorted((shared_dir / "esg_factors").glob("*.csv")):
        assert (DATA_DIR / reference.name).read_bytes() == reference.read_bytes(), reference.name
