"""Attacks on `POST /meter-data` and the manual edits, through the API over the real PostgreSQL (issue 16).

Proves: a file or request beyond its format's limit, and a CSV header or XML text run of megabytes, are refused
with 413 while streaming, the error echoes none of the bytes and nothing is stored (no raw-file row, no file
left in the raw store); a principal gets at most its number of uploads at once (429 with Retry-After); an
entity declaration in XML is refused; far-future and far-past times, epoch 1e20, NaN, inf, empty files and
files of blank lines each get a 4xx naming file, line and field, never a 500; a refused file sent again is
checked again (accepted once the registry is fixed), while an accepted file sent again stays a duplicate; edits
far in the past or future are refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

HEADER = b"meter_id,interval_start,value,unit\n"
LIMITS = {"upload_csv_bytes_max": 3 << 20, "upload_xml_bytes_max": 2 << 20, "upload_request_bytes_max": 4 << 20,
          "upload_line_bytes_max": 64 << 10, "uploads_per_principal_max": 1, "upload_retry_after_s": 7}


@pytest.fixture
async def limited(engine: Engine, data_root: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API with small upload limits (the defaults take hundreds of MB) and one upload per principal."""
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home", **LIMITS)

    def authenticate(request: httpx.Request) -> Principal:
        return Principal(request.headers.get("x-test-subject", "alice"), frozenset({"ingest", "operator"}))

    app = create_app(settings, engine, None, authenticate=authenticate)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def _stored(engine: Engine, campus_id: str, data_root: str) -> tuple[int, list[str]]:
    """(raw-file rows of the campus, files in the raw store including staging)."""
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT count(*) FROM raw_file WHERE campus_id = :c"), {"c": campus_id}).scalar_one()
    raw = Path(data_root) / "raw"
    files = [str(path.relative_to(raw)) for path in raw.rglob("*") if path.is_file()] if raw.exists() else []
    return rows, files


def _line(value: str, stamp: str = "2026-10-01T00:00:00-04:00", meter: str = "GT1-GEN") -> bytes:
    return f"{meter},{stamp},{value},kWh\n".encode()


async def _chunks(data: bytes, size: int = 256 << 10) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_declared_body_over_the_format_limit_is_refused_before_reading(limited, engine, campus_id,
                                                                             data_root) -> None:
    """A Content-Length over the XML limit: 413 naming the limit, no row and no file."""
    body = b"<" + b"x" * ((2 << 20) + 10)
    response = await limited.post("/meter-data", params={"campus_id": campus_id, "name": "big.xml"}, content=body)
    assert response.status_code == 413, response.text
    assert response.json()["type"] == "UploadTooLarge" and str(2 << 20) in response.json()["detail"]
    assert _stored(engine, campus_id, data_root) == (0, [])


async def test_streamed_body_over_the_format_limit_is_refused_and_nothing_stored(limited, engine, campus_id,
                                                                                 data_root) -> None:
    """A chunked CSV body (no declared length) passing the 3 MiB CSV limit: 413, the staging file removed."""
    line = _line("1.5")
    body = HEADER + line * ((3 << 20) // len(line) + 10)
    response = await limited.post("/meter-data", params={"campus_id": campus_id, "name": "big.csv"},
                                  content=_chunks(body))
    assert response.status_code == 413, response.text
    assert "limit for its format" in response.json()["detail"]
    assert _stored(engine, campus_id, data_root) == (0, [])
    # Under the limit a file passes.
    small = HEADER + line
    assert (await limited.post("/meter-data", params={"campus_id": campus_id, "name": "ok.csv"},
                               content=_chunks(small))).status_code == 201


async def test_header_bomb_and_line_bomb_are_refused_without_echo_or_storage(limited, engine, campus_id,
                                                                             data_root) -> None:
    """A 2 MB CSV header line, a 2 MB data line and 2 MB of XML text without markup: 413 naming the line, an
    answer of a few hundred bytes, nothing stored."""
    header_bomb = b"meter_id," + b"A" * (2 << 20) + b"\n" + _line("1")
    line_bomb = HEADER + _line("1") + b"GT1-GEN," + b"9" * (2 << 20) + b"\n"
    text_bomb = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<title>' + b"B" * (1 << 20)
    for name, body, line in (("header.csv", header_bomb, 1), ("line.csv", line_bomb, 3), ("text.xml", text_bomb, 3)):
        response = await limited.post("/meter-data", params={"campus_id": campus_id, "name": name},
                                      content=_chunks(body))
        assert response.status_code == 413, (name, response.text[:300])
        assert len(response.content) < 1000, name
        assert (response.json()["source"], response.json()["line"]) == (name, line)
    assert _stored(engine, campus_id, data_root) == (0, [])


async def test_a_principal_gets_one_upload_at_a_time_and_429_with_retry_after(limited, campus_id) -> None:
    """While alice's first upload streams, her second is refused with 429 and Retry-After; bob's is served;
    once the first ends, alice can upload again."""
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield HEADER
        await release.wait()
        yield _line("2.5")

    params = {"campus_id": campus_id, "name": "slow.csv"}
    first = asyncio.create_task(limited.post("/meter-data", params=params, content=slow_body()))
    for _ in range(100):
        await asyncio.sleep(0.01)
    second = await limited.post("/meter-data", params={**params, "name": "second.csv"}, content=HEADER + _line("3"))
    assert second.status_code == 429, second.text
    assert second.headers["retry-after"] == "7"
    other = await limited.post("/meter-data", params={**params, "name": "bob.csv"}, content=HEADER + _line("4"),
                               headers={"x-test-subject": "bob"})
    assert other.status_code == 201, other.text
    release.set()
    assert (await first).status_code == 201
    again = await limited.post("/meter-data", params={**params, "name": "again.csv"}, content=HEADER + _line("5"))
    assert again.status_code == 201, again.text


ESPI_HEAD = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">\n'
             '<entry><link rel="self" href="/u/UsagePoint/GT1-GEN"/><title>gen</title>'
             '<content><UsagePoint xmlns="http://naesb.org/espi"/></content></entry>\n'
             '<entry><link rel="self" href="/u/UsagePoint/GT1-GEN/MeterReading/1"/><content>'
             '<MeterReading xmlns="http://naesb.org/espi"><ReadingType><uom>72</uom>'
             '<intervalLength>900</intervalLength></ReadingType></MeterReading></content></entry>\n')


def _espi(start_s: str, value: str = "5") -> bytes:
    return (ESPI_HEAD + '<entry><link rel="self" href="/u/UsagePoint/GT1-GEN/MeterReading/1/IntervalBlock/1"/>'
            '<content><IntervalBlock xmlns="http://naesb.org/espi"><interval><start>1790000000</start>'
            '<duration>900</duration></interval>\n<IntervalReading><timePeriod>'
            f'<start>{start_s}</start><duration>900</duration></timePeriod><value>{value}</value>'
            '</IntervalReading></IntervalBlock></content></entry></feed>\n').encode()


BAD_FILES = [
    ("far-future.csv", HEADER + _line("1", "9999-12-31T23:45:00-05:00"), 2, "interval_start"),
    ("far-future-utc.csv", HEADER + _line("1", "9999-12-31T23:45:00+00:00"), 2, "interval_start"),
    ("far-past.csv", HEADER + _line("1", "0001-01-01T00:00:00+05:00"), 2, "interval_start"),
    ("year-one.csv", HEADER + _line("1", "0001-01-01T00:00:00+00:00"), 2, "interval_start"),
    ("nan.csv", HEADER + _line("NaN"), 2, "value"),
    ("inf.csv", HEADER + _line("-inf"), 2, "value"),
    ("huge.csv", HEADER + _line("1e309"), 2, "value"),
    ("blank-lines.csv", b"\n" * 50, 1, "meter_id"),
    ("header-and-blank-lines.csv", HEADER + b"\n" * 50, None, None),
    ("blank-lines.xml", b"\n\n", 3, None),
    ("epoch-1e20.xml", _espi("100000000000000000000"), 5, "timePeriod/start"),
    ("epoch-far-past.xml", _espi("-62135596900"), 5, "timePeriod/start"),
    ("year-9999.xml", _espi("253402300000"), 5, "timePeriod/start"),
    ("nan.xml", _espi("1790000000", "NaN"), 5, "value"),
    ("entity-bomb.xml", (b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                         b'<feed xmlns="http://www.w3.org/2005/Atom">&b;</feed>'), 1, None),
]


@pytest.mark.parametrize(("name", "body", "line", "field"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
async def test_bad_input_is_a_4xx_naming_file_line_and_field(client, campus_id, name, body, line, field) -> None:
    """Each bad file is quarantined (422) with its file, line and field; none answers 500."""
    response = await client.post("/meter-data", params={"campus_id": campus_id, "name": name}, content=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["source"], error["line"], error["field"]) == (name, line, field), error


async def test_a_refused_file_sent_again_is_checked_again_not_taken_for_a_duplicate(client, engine, campus_id) -> None:
    """An unknown meter refuses the file (422); sent again unchanged it is refused again (422, not a 200
    duplicate); once the meter is registered the same bytes are accepted (201) and leave the quarantine; sent
    once more they are a duplicate of the stored, accepted file (200)."""
    body = HEADER + _line("12.5", meter="NEW-METER")
    params = {"campus_id": campus_id, "name": "new-meter.csv"}
    first = await client.post("/meter-data", params=params, content=body)
    assert (first.status_code, first.json()["error"]["field"]) == (422, "meter_id")
    again = await client.post("/meter-data", params=params, content=body)
    assert (again.status_code, again.json()["status"]) == (422, "quarantined")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes) VALUES "
                          "(:c, 'NEW-METER', 'shared_consumption', 'kWh', 15)"), {"c": campus_id})
    fixed = await client.post("/meter-data", params=params, content=body)
    assert (fixed.status_code, fixed.json()["status"], fixed.json()["reading_count"]) == (201, "accepted", 1)
    assert (await client.get("/meter-data/quarantine", params={"campus_id": campus_id})).json() == []
    status = (await client.get(f"/meter-data/files/{fixed.json()['sha256_hex']}")).json()
    assert status["status"] == "accepted"
    duplicate = await client.post("/meter-data", params=params, content=body)
    assert (duplicate.status_code, duplicate.json()["status"]) == (200, "duplicate")


async def test_an_empty_body_is_refused_and_not_stored(client, engine, campus_id, data_root) -> None:
    """An empty body (the same sha256 for every campus) is refused with 422 naming the file; nothing stored."""
    for name in ("empty.csv", "empty.xml", "empty.parquet"):
        response = await client.post("/meter-data", params={"campus_id": campus_id, "name": name}, content=b"")
        assert response.status_code == 422, response.text
        assert (response.json()["source"], response.json()["line"]) == (name, 1)
    assert _stored(engine, campus_id, data_root) == (0, [])


@pytest.mark.parametrize("stamp", ["9999-12-31T23:45:00-05:00", "0001-01-01T00:00:00+05:00",
                                   "9999-12-31T23:45:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:45:00Z"])
async def test_edits_far_in_the_past_or_future_are_refused(client, engine, campus_id, stamp) -> None:
    """A manual edit of an interval no reading can have: 422 naming interval_start_utc, nothing stored."""
    body = {"campus_id": campus_id, "meter_id": "SHARED", "interval_start_utc": stamp, "energy_wh": 5,
            "reason": "meter swap"}
    response = await client.post("/meter-data/edits", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "interval_start_utc"
    with engine.begin() as conn:
        count = conn.execute(text("SELECT count(*) FROM meter_data_edit WHERE campus_id = :c"),
                             {"c": campus_id}).scalar_one()
    assert count == 0


async def test_listing_edits_over_extreme_ranges_is_not_a_500(client, campus_id) -> None:
    """The widest ranges a caller can write: an empty list or a 4xx, never a 500."""
    for start, end in (("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"),
                       ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")):
        response = await client.get("/meter-data/edits", params={"campus_id": campus_id, "start_utc": start,
                                                                  "end_utc": end})
        assert response.status_code in (200, 400, 422), response.text
        if response.status_code == 200:
            assert response.json() == []


def test_watched_folder_moves_a_line_bomb_and_a_stray_file_aside_unstored(engine, campus_id, data_root,
                                                                          tmp_path) -> None:
    """The watched folder applies the same limits: a CSV with a 2 MB line and a file of unknown type go to
    quarantine/ with their reason, nothing of them stored; the good file beside them is accepted."""
    from meterdata.watch import WatchState, watch_pass

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bomb.csv").write_bytes(HEADER + b"GT1-GEN," + b"7" * (2 << 20) + b"\n")
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    (inbox / "good.csv").write_bytes(HEADER + _line("33.5"))
    state = WatchState({})
    assert watch_pass(engine, data_root, campus_id, inbox, state) == []
    taken = dict(watch_pass(engine, data_root, campus_id, inbox, state))
    assert {name: outcome.status for name, outcome in taken.items()} == {
        "bomb.csv": "refused", "notes.pdf": "refused", "good.csv": "accepted"}
    assert taken["bomb.csv"].error["line"] == 2
    assert "longer than" in (inbox / "quarantine" / "bomb.csv.reason.txt").read_text()
    assert "unknown file type" in (inbox / "quarantine" / "notes.pdf.reason.txt").read_text()
    rows, files = _stored(engine, campus_id, data_root)
    assert (rows, files) == (1, [taken["good.csv"].sha256_hex])


def test_cli_receive_applies_the_configured_limits(database_url, campus_id, tmp_path, monkeypatch) -> None:
    """`wattledger meterdata receive` takes its limits from the same settings as the API: with a 2 KiB line
    limit a 4 KiB line is refused unstored (exit code 2, status refused), a plain file beside it accepted."""
    from typer.testing import CliRunner

    from wattledger_cli.meterdata import app

    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", str(tmp_path / "data"))
    monkeypatch.setenv("WATTLEDGER_UPLOAD_LINE_BYTES_MAX", "2048")
    long_line = tmp_path / "long-line.csv"
    long_line.write_bytes(HEADER + b"SHARED," + b"5" * 4096 + b"\n")
    plain = tmp_path / "plain.csv"
    plain.write_bytes(HEADER + _line("44.5", meter="SHARED"))
    received = CliRunner().invoke(app, ["receive", str(long_line), str(plain), "--campus", campus_id])
    assert received.exit_code == 2, received.output
    lines = received.output.splitlines()
    assert lines[0].startswith("refused") and "longer than 2048 bytes" in lines[0] and "5555" not in lines[0]
    assert lines[1].startswith("accepted"), received.output
