"""A campus's own CSV layout through the real path: declared in the applied campus file, files received with it by
the CLI and the API (an unknown layout refused before anything is stored), recorded with each file, and read with
it by the billing cycle's ingest. Real PostgreSQL; the Temporal client is replaced by a recorder of the workflow
input, the ingest step runs its real service function.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from billing import service as cycles_service
from billing.registration import inbox_folder
from campus import service as campus_service
from campus.file import parse_campus_text
from meterdata import service as meterdata_service
from settings import Settings
from tests.integration.temporal_recorder import TemporalRecorder
from wattledger_cli.main import app as main_app
from wattledger_cli.meterdata import app
from workflows.billing_cycle_start import start_cycle

DEMO_CAMPUS = Path(__file__).resolve().parents[3] / "demo" / "campus.toml"
PERIOD_START_UTC = datetime(2026, 10, 1, 4, tzinfo=UTC)  # 1 Oct 00:00 in New York (EDT, -04:00)
QUARTER = timedelta(minutes=15)
LAYOUT = '''
[[csv_layouts]]
name = "scada-ending"
meter_column = "Zähler"
time_column = "Zeitstempel"
value_column = "Wirkarbeit"
unit = "kWh"
time_label = "ending"
time_zone = "America/New_York"
time_format = "%d.%m.%Y %H:%M"
delimiter = ";"
decimal_mark = ","
thousands_separator = "."
encoding = "cp1252"
'''
# Interval-ending local times: the 00:15 stamp closes [00:00, 00:15) local, 04:00 UTC; the 00:00 stamp closes the
# last quarter-hour of September (03:45 UTC), outside the October period.
SCADA = ("Zähler;Zeitstempel;Wirkarbeit\r\n"
         "ACME-A;01.10.2026 00:00;9,000\r\n"
         "ACME-A;01.10.2026 00:15;1.234,5\r\n"
         "ACME-A;01.10.2026 00:30;0,25\r\n").encode("cp1252")
SITE = b"meter_id,interval_start,value,unit\nACME-B,2026-10-01T00:00:00-04:00,0.500,kWh\n"
UPLOADED = "Zähler;Zeitstempel;Wirkarbeit\nCIRRUS-A;01.10.2026 00:15;2,5\n".encode("cp1252")


@pytest.fixture
def layout_campus(engine: Engine) -> str:
    """The demo campus under a fresh id, declaring the `scada-ending` layout."""
    campus_id = f"layout-{uuid.uuid4().hex[:10]}"
    campus_text = DEMO_CAMPUS.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1) + LAYOUT
    campus_service.apply(engine, parse_campus_text("campus.toml", campus_text.encode(), None), "test")
    return campus_id


def _stored_count(engine: Engine, campus_id: str) -> int:
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT count(*) FROM raw_file WHERE campus_id = :c"), {"c": campus_id})
                   .scalar_one())


async def test_a_declared_layout_is_received_recorded_and_read_by_the_cycle(
    engine: Engine, database_url: str, layout_campus: str, client: httpx.AsyncClient, data_root: str,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three files: a `;`/decimal-comma cp1252 export of interval-ending New York times received by the CLI with
    `--layout scada-ending`, a site export with the former `--mapping` option, one more in the layout uploaded with
    `layout=`. An unknown layout is refused by both, naming the known ones, and an upload naming two different
layouts (`layout=` and the former `mapping=`) is refused, with nothing stored. The cycle's ingest
    reads each with its recorded layout: ACME-A's stamps 00:15 and 00:30 local are the intervals starting 04:00 and
    04:15 UTC (one interval before their stamps) with 1,234,500 and 250 Wh, its 00:00 stamp (September's last
    interval) is left out; ACME-B 500 Wh and CIRRUS-A 2,500 Wh at 04:00 UTC."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", data_root)
    scada, site = tmp_path / "scada-2026-10.csv", tmp_path / "site-2026-10.csv"
    scada.write_bytes(SCADA)
    site.write_bytes(SITE)
    runner = CliRunner()

    unknown = runner.invoke(main_app, ["meterdata", "receive", str(scada), "--campus", layout_campus, "--layout",
                                       "scada"])
    assert unknown.exit_code == 1
    assert unknown.output.startswith(f"Error: campus {layout_campus}, field 'layout': unknown CSV layout 'scada'; "
                                     "known: SITE_EXPORT_V1, scada-ending"), unknown.output
    refused = await client.post("/meter-data", params={"campus_id": layout_campus, "name": "up.csv",
                                                       "layout": "scada"}, content=UPLOADED)
    assert refused.status_code == 422 and refused.json()["field"] == "layout"
    assert "known: SITE_EXPORT_V1, scada-ending" in refused.json()["detail"]
    both = await client.post("/meter-data", params={"campus_id": layout_campus, "name": "up.csv",
                                                    "layout": "scada-ending", "mapping": "SITE_EXPORT_V1"},
                             content=UPLOADED)
    assert both.status_code == 422 and both.json()["field"] == "layout"
    assert _stored_count(engine, layout_campus) == 0

    received = runner.invoke(app, ["receive", str(scada), "--campus", layout_campus, "--layout", "scada-ending"])
    assert received.exit_code == 0 and received.output.startswith("accepted"), received.output
    former = runner.invoke(app, ["receive", str(site), "--campus", layout_campus, "--mapping", "SITE_EXPORT_V1"])
    assert former.exit_code == 0 and former.output.startswith("accepted"), former.output
    uploaded = await client.post("/meter-data", params={"campus_id": layout_campus, "name": "up.csv",
                                                        "layout": "scada-ending"}, content=UPLOADED)
    assert uploaded.status_code == 201, uploaded.json()
    status = await client.get(f"/meter-data/files/{uploaded.json()['sha256_hex']}")
    assert status.json()["csv_layout"] == "scada-ending"
    files = meterdata_service.period_files(engine, layout_campus, (PERIOD_START_UTC, PERIOD_START_UTC + QUARTER))
    assert [(file.original_name, file.csv_layout) for file in files] == [
        ("scada-2026-10.csv", "scada-ending"), ("site-2026-10.csv", "SITE_EXPORT_V1"), ("up.csv", "scada-ending")]

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home")
    started = await start_cycle(TemporalRecorder(), engine, settings, layout_campus, "2026-10")  # type: ignore[arg-type]
    ingested = cycles_service.ingest(engine, settings, started.cycle_id, layout_campus, "2026-10", "v1")
    rows = pq.read_table(ingested.intervals_uri).to_pylist()
    assert [(row["meter_id"], row["interval_start_utc"], row["energy_wh"]) for row in rows] == [
        ("ACME-A", PERIOD_START_UTC, 1_234_500), ("ACME-A", PERIOD_START_UTC + QUARTER, 250),
        ("ACME-B", PERIOD_START_UTC, 500), ("CIRRUS-A", PERIOD_START_UTC, 2_500)]
    assert ingested.reading_count == 4


def test_a_file_quarantined_under_the_wrong_layout_is_accepted_with_the_right_one_and_keeps_it(
    engine: Engine, layout_campus: str, data_root: str,
) -> None:
    """The SCADA export sent as the site export is quarantined (no `meter_id` column); the same bytes sent again with
    its layout are checked again, accepted, and recorded with that layout, which the cycle will read them with."""
    data = SCADA + b"ACME-A;01.10.2026 00:45;0,5\r\n"  # bytes of their own: a sha256 belongs to one campus
    mappings = meterdata_service.csv_mappings(engine, layout_campus)
    wrong = meterdata_service.receive_file(engine, data_root, layout_campus, "scada.csv", [data],
                                           mappings["SITE_EXPORT_V1"])
    assert wrong.status == "quarantined" and wrong.error is not None and wrong.error["line"] == 1
    right = meterdata_service.receive_file(engine, data_root, layout_campus, "scada.csv", [data],
                                           mappings["scada-ending"])
    assert (right.status, right.reading_count, right.sha256_hex) == ("accepted", 4, wrong.sha256_hex)
    status = meterdata_service.file_status(engine, right.sha256_hex)
    assert (status["status"], status["csv_layout"]) == ("accepted", "scada-ending")
    again = meterdata_service.receive_file(engine, data_root, layout_campus, "scada.csv", [data],
                                           mappings["SITE_EXPORT_V1"])
    assert again.status == "duplicate"
    assert meterdata_service.file_status(engine, right.sha256_hex)["csv_layout"] == "scada-ending"


async def test_the_campus_default_layout_reads_files_named_with_none(engine: Engine, database_url: str,
                                                                     data_root: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`campus.csv_layout = "scada-ending"`: a file received by the CLI without `--layout`, and one lying in the
    period's inbox when the cycle ingests, are both read as that export (ACME-A 1,234,500 Wh at 04:00 UTC from its
    00:15 local stamp, 750 Wh at 04:45 from its 01:00 stamp; CIRRUS-A 3,500 Wh). Bytes of their own: a sha256
    belongs to one campus."""
    campus_id = f"layout-{uuid.uuid4().hex[:10]}"
    campus_text = DEMO_CAMPUS.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1).replace(
        'time_zone = "America/New_York"', 'time_zone = "America/New_York"\ncsv_layout = "scada-ending"', 1) + LAYOUT
    campus_service.apply(engine, parse_campus_text("campus.toml", campus_text.encode(), None), "test")
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", data_root)
    scada = tmp_path / "scada-2026-10.csv"
    scada.write_bytes(SCADA + b"ACME-A;01.10.2026 01:00;0,75\r\n")
    received = CliRunner().invoke(app, ["receive", str(scada), "--campus", campus_id])
    assert received.exit_code == 0 and received.output.startswith("accepted"), received.output

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home")
    started = await start_cycle(TemporalRecorder(), engine, settings, campus_id, "2026-10")  # type: ignore[arg-type]
    inbox = inbox_folder(settings, campus_id, "2026-10")
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "inbox-2026-10.csv").write_bytes(UPLOADED.replace(b"2,5", b"3,5"))
    ingested = cycles_service.ingest(engine, settings, started.cycle_id, campus_id, "2026-10", "v1")
    rows = pq.read_table(ingested.intervals_uri).to_pylist()
    assert [(row["meter_id"], row["interval_start_utc"], row["energy_wh"]) for row in rows] == [
        ("ACME-A", PERIOD_START_UTC, 1_234_500), ("ACME-A", PERIOD_START_UTC + QUARTER, 250),
        ("ACME-A", PERIOD_START_UTC + 3 * QUARTER, 750), ("CIRRUS-A", PERIOD_START_UTC, 3_500)]
    files = meterdata_service.period_files(engine, campus_id, (PERIOD_START_UTC, PERIOD_START_UTC + QUARTER))
    assert [(file.original_name, file.csv_layout) for file in files] == [
        ("scada-2026-10.csv", "scada-ending"), ("inbox-2026-10.csv", "scada-ending")]
