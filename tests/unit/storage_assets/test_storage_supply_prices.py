"""The `[[storage]]` section's `supply_prices_usd_per_mwh`: read into the model, a source that is not the grid or a
generation meter refused by field, and absent from the document when not given (the file hashes as before)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text
from campus.model import storage_assets
from tests.unit.storage_assets.campus_text import BASE, STORAGE

KEY_LINE = "losses_key = { alpha = 3, beta = 1 }"


def _with_prices(prices: str) -> str:
    return BASE + STORAGE.format(charge="BESS-CHG").replace(
        KEY_LINE, f"{KEY_LINE}\nsupply_prices_usd_per_mwh = {{ {prices} }}")


def _parse(text: str) -> dict[str, object]:
    return parse_campus_text("campus.toml", text.encode(), None).document


def test_prices_by_source_are_read_into_the_model() -> None:
    asset = storage_assets(_parse(_with_prices('grid_import = "40.50"')))[0]
    assert asset.supply_prices_usd_per_mwh == (("grid_import", Decimal("40.50")),)


def test_without_prices_the_document_has_no_key() -> None:
    document = _parse(BASE + STORAGE.format(charge="BESS-CHG"))
    assert "supply_prices_usd_per_mwh" not in document["storage"][0]  # type: ignore[index]
    assert storage_assets(document)[0].supply_prices_usd_per_mwh is None


@pytest.mark.parametrize("source", ['"generation:A-LOAD"', "grid", '"generation:NOPE"'])
def test_a_source_that_supplies_no_charge_is_refused(source: str) -> None:
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(_with_prices(f'{source} = "40"'))
    assert refused.value.field == "storage[0].supply_prices_usd_per_mwh"
    assert "unknown source" in str(refused.value)
