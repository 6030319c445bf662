"""POST /campuses/{id}/prices takes the SPP, MISO, ISO-NE and PJM CSV formats: the SPP fall-back day is stored
(56 prices), and a bad MISO report is a 422 naming the file, line and field with nothing stored."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from api.principal import Principal
from market_adapters.price_files import campus_price_uris
from market_adapters.prices import read_prices_parquet
from settings import Settings

FIXTURES = Path(__file__).parents[2] / "market_adapters" / "fixtures"


def _client(settings: Settings, engine) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app_under_test = create_app(settings, engine, None,
                                authenticate=lambda request: Principal("t", frozenset({"operator"})))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_under_test), base_url="http://test")


async def test_spp_file_is_stored_and_a_bad_miso_report_is_422(engine, nyiso_campus, tmp_path):
    """spp-da: 201 with 56 prices (25 hours x 2 hubs, 3 hours x 2 other locations) in one Parquet file; a MISO report with a text price in
    HE 5 on line 6: 422 with source, line 6 and field "HE 5", and the store still holds one file."""
    settings = Settings(home=tmp_path, database_url="postgresql://unused/none")
    path = f"/campuses/{nyiso_campus.campus_id}/prices"
    spp = (FIXTURES / "spp" / "DA-LMP-SL-202511020100.csv").read_bytes()
    lines = (FIXTURES / "miso" / "20251102_da_expost_lmp.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[3 + 4] = "n/a"
    lines[5] = ",".join(cells)
    bad_miso = ("\n".join(lines) + "\n").encode()
    async with _client(settings, engine) as http:
        stored = await http.post(path, data={"format": "spp-da"},
                                 files={"file": ("DA-LMP-SL-202511020100.csv", spp, "text/csv")})
        refused = await http.post(path, data={"format": "miso-da-expost"},
                                  files={"file": ("20251102_da_expost_lmp.csv", bad_miso, "text/csv")})

    assert stored.status_code == 201, stored.text
    assert stored.json()["price_count"] == 56
    [uri] = campus_price_uris(settings, nyiso_campus.campus_id)
    assert read_prices_parquet(uri).num_rows == 56
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert (body["source"], body["line"], body["field"]) == ("20251102_da_expost_lmp.csv", 6, "HE 5")
