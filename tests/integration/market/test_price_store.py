"""The per-campus price store, through the CLI and the API: the real NYISO real-time sample becomes one
PRICE_SCHEMA Parquet file named by its sha256 under `<data root>/prices/<campus>/`, the same file twice is
stored once, `campus_price_uris` (what the settle step passes to settlement) returns it, and the API stores
the same bytes for operators only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.app import create_app
from api.principal import Principal
from market_adapters.price_files.store import campus_price_uris
from market_adapters.prices import read_prices_parquet
from settings import Settings
from wattledger_cli.market import app

SAMPLE = "nyiso_realtime_zone_lbmp_sample.csv"


def _cli(database_url: str, home: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_HOME": str(home)}
    return CliRunner().invoke(app, ["prices", *args], env=env)


def test_cli_stores_prices_once_and_the_store_lists_them(database_url, nyiso_campus, shared_dir, tmp_path):
    """45 prices stored by content; again: already stored, still one file; OUT with --campus works too."""
    sample = str(shared_dir / "iso_samples" / SAMPLE)
    settings = Settings(home=tmp_path, database_url=database_url)
    assert campus_price_uris(settings, nyiso_campus.campus_id) == []

    first = _cli(database_url, tmp_path, "nyiso-rt", sample, "--campus", nyiso_campus.campus_id,
                 "--interval-minutes", "15")
    again = _cli(database_url, tmp_path, "nyiso-rt", sample, str(tmp_path / "out.parquet"), "--campus",
                 nyiso_campus.campus_id, "--interval-minutes", "15")

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    [uri] = campus_price_uris(settings, nyiso_campus.campus_id)
    assert uri == f"{settings.data_root_uri}/prices/{nyiso_campus.campus_id}/{Path(uri).stem}.parquet"
    assert Path(uri).stem == hashlib.sha256(Path(uri).read_bytes()).hexdigest()
    assert f"45 prices -> {uri}" in first.output and "(already stored)" in again.output
    assert read_prices_parquet(uri).num_rows == 45
    assert read_prices_parquet(str(tmp_path / "out.parquet")).equals(read_prices_parquet(uri))


def test_cli_refuses_an_unknown_campus_and_a_missing_target(database_url, shared_dir, tmp_path):
    """A campus that is not registered exits 1 naming it; neither OUT nor --campus is a usage error."""
    sample = str(shared_dir / "iso_samples" / SAMPLE)
    unknown = _cli(database_url, tmp_path, "nyiso-rt", sample, "--campus", "no-such-campus")
    neither = _cli(database_url, tmp_path, "nyiso-rt", sample)
    assert unknown.exit_code == 1 and "no-such-campus" in unknown.output
    assert neither.exit_code == 2
    assert not (tmp_path / "data" / "prices").exists()


async def test_api_stores_prices_for_operators(engine, nyiso_campus, shared_dir, tmp_path):
    """201 then 200 for the same file; an unknown format is 422 naming the field; finance gets 403."""
    settings = Settings(home=tmp_path, database_url="postgresql://unused/none")
    content = (shared_dir / "iso_samples" / SAMPLE).read_bytes()
    path = f"/campuses/{nyiso_campus.campus_id}/prices"
    form = {"format": "nyiso-rt", "interval_minutes": "15"}
    async with _client(settings, engine, {"operator"}) as http:
        first = await http.post(path, data=form, files={"file": (SAMPLE, content, "text/csv")})
        again = await http.post(path, data=form, files={"file": (SAMPLE, content, "text/csv")})
        bad = await http.post(path, data={"format": "nyiso-weekly"},
                              files={"file": (SAMPLE, content, "text/csv")})
    async with _client(settings, engine, {"finance"}) as http:
        refused = await http.post(path, data=form, files={"file": (SAMPLE, content, "text/csv")})

    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["price_count"] == 45 and again.json()["already_stored"] is True
    assert campus_price_uris(settings, nyiso_campus.campus_id) == [first.json()["price_uri"]]
    assert bad.status_code == 422 and bad.json()["field"] == "format"
    assert refused.status_code == 403


def _client(settings: Settings, engine, roles: set[str]) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app_under_test = create_app(settings, engine, None,
                                authenticate=lambda request: Principal("t", frozenset(roles)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_under_test), base_url="http://test")
