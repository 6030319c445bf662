"""Meter-data service functions over the database: receive files, quarantine, manual edits, VEE runs.

The API and the CLI call these; each opens its own transaction(s) with `engine.begin()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from common.errors import BadInput, NotFound
from common.timeutil import require_utc
from meterdata import repository as repo
from meterdata.csv_mapping import SITE_EXPORT_V1, CsvMapping
from meterdata.csv_reader import read_csv
from meterdata.edits import ManualEdit
from meterdata.fsutil import read_bytes, resolve
from meterdata.ingest import read_file_bytes
from meterdata.raw_store import RawFileWriter, StoredBytes
from meterdata.readings import ReadingCounter, ReadingWindow
from meterdata.specs import MeterSpec

EARLIEST_READING_UTC = datetime(2000, 1, 1, tzinfo=UTC)
"""On receipt no billing period is known yet: readings only have to be real (after 2000, not future)."""


@dataclass(frozen=True)
class ReceiveOutcome:
    sha256_hex: str
    size_bytes: int
    stored_uri: str
    status: str
    """accepted | quarantined | duplicate"""
    reading_count: int = 0
    error: dict[str, Any] | None = field(default=None)


def receive_file(
    engine: Engine, data_root_uri: str, campus_id: str, original_name: str, chunks: Iterable[bytes],
    mapping: CsvMapping = SITE_EXPORT_V1,
) -> ReceiveOutcome:
    """Store `chunks` as received, check the file, and record it as accepted or quarantined (with reason)."""
    meters = campus_meters(engine, campus_id)
    writer = RawFileWriter(data_root_uri, original_name)
    try:
        for chunk in chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return record_received(engine, campus_id, original_name, writer.finish(), meters, mapping)


def record_received(
    engine: Engine, campus_id: str, original_name: str, stored: StoredBytes, meters: dict[str, MeterSpec],
    mapping: CsvMapping,
) -> ReceiveOutcome:
    with engine.begin() as conn:
        is_new = repo.insert_raw_file(conn, stored.sha256_hex, campus_id, original_name, stored.size_bytes,
                                      stored.stored_uri)
    if not is_new:
        return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "duplicate")
    try:
        count = check_stored_file(stored.stored_uri, original_name, stored.sha256_hex, meters, mapping)
    except BadInput as error:
        with engine.begin() as conn:
            repo.insert_quarantine(conn, stored.sha256_hex, campus_id, error)
        detail = {"source": error.source, "line": error.line, "field": error.field, "reason": error.reason}
        return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "quarantined", 0, detail)
    with engine.begin() as conn:
        repo.insert_accepted(conn, stored.sha256_hex, campus_id, count)
    return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "accepted", count)


def check_stored_file(
    stored_uri: str, original_name: str, sha256_hex: str, meters: dict[str, MeterSpec], mapping: CsvMapping,
    now_utc: datetime | None = None,
) -> int:
    """Parse the stored file (CSV streamed, others read whole) and count its readings; raises BadInput."""
    window = ReadingWindow(EARLIEST_READING_UTC, datetime.max.replace(tzinfo=UTC),
                           require_utc(now_utc or datetime.now(UTC), "now_utc"))
    counter = ReadingCounter()
    if original_name.lower().endswith((".csv", ".txt")):
        filesystem, path = resolve(stored_uri)
        with filesystem.open_input_stream(path) as stream:
            read_csv(stream, original_name, sha256_hex, mapping, meters, window, counter)  # type: ignore[arg-type]
    else:
        read_file_bytes(read_bytes(stored_uri), original_name, sha256_hex, meters, mapping, window, counter)  # type: ignore[arg-type]
    return counter.count


def record_edit(
    engine: Engine, campus_id: str, meter_id: str, channel: str, interval_start_utc: datetime, energy_wh: int,
    edited_by: str, reason: str,
) -> int:
    """Record a manual edit; refuses unknown meters, off-grid interval starts and empty reasons."""
    if interval_start_utc.tzinfo is None:
        raise BadInput("edit", None, "interval_start_utc", "timestamp has no offset")
    if len(reason.strip()) < 3 or not edited_by.strip():
        raise BadInput("edit", None, "reason", "an edit needs the editor's name and a reason")
    start_utc = interval_start_utc.astimezone(UTC)
    with engine.begin() as conn:
        meters = repo.load_meter_specs(conn, campus_id)
        spec = meters.get(meter_id)
        if spec is None:
            raise NotFound(f"meter {meter_id!r} not found in campus {campus_id!r}")
        if (start_utc.minute % spec.interval_minutes, start_utc.second, start_utc.microsecond) != (0, 0, 0):
            raise BadInput("edit", None, "interval_start_utc",
                           f"{start_utc.isoformat()} is not the start of a {spec.interval_minutes}-minute interval")
        edit = ManualEdit(meter_id, channel, start_utc, energy_wh, edited_by.strip(), reason.strip())
        return repo.insert_edit(conn, campus_id, edit)


def edits_for_period(engine: Engine, campus_id: str, start_utc: datetime, end_utc: datetime) -> Sequence[ManualEdit]:
    with engine.begin() as conn:
        return repo.edits_for_period(conn, campus_id, start_utc, end_utc)


def campus_meters(engine: Engine, campus_id: str) -> dict[str, MeterSpec]:
    with engine.begin() as conn:
        if not repo.campus_exists(conn, campus_id):
            raise NotFound(f"campus {campus_id!r} not found")
        return repo.load_meter_specs(conn, campus_id)


def file_status(engine: Engine, sha256_hex: str) -> dict[str, Any]:
    with engine.begin() as conn:
        status = repo.file_status(conn, sha256_hex.lower())
    if status is None:
        raise NotFound(f"no received file with sha256 {sha256_hex}")
    status["status"] = "quarantined" if status["reason"] is not None else (
        "accepted" if status["reading_count"] is not None else "stored")
    return status


def quarantined_files(engine: Engine, campus_id: str, rows_max: int) -> list[dict[str, Any]]:
    with engine.begin() as conn:
        return repo.list_quarantine(conn, campus_id, rows_max)


def record_vee_run(engine: Engine, campus_id: str, start_utc: datetime, end_utc: datetime, intervals_uri: str,
                   result: Any) -> int:
    """Keep a VEE run's report and file locations, for the API, the plot and audits."""
    with engine.begin() as conn:
        return repo.insert_vee_run(conn, campus_id, start_utc, end_utc, intervals_uri, result)


def vee_run(engine: Engine, vee_run_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        run = repo.load_vee_run(conn, vee_run_id)
    if run is None:
        raise NotFound(f"VEE run {vee_run_id} not found")
    return run


def quality_plot(engine: Engine, vee_run_id: int, meter_id: str) -> str:
    from meterdata.plot import load_meter_series, quality_svg

    run = vee_run(engine, vee_run_id)
    _, energy_wh, quality = load_meter_series(run["validated_uri"], meter_id)
    if energy_wh.size == 0:
        raise NotFound(f"meter {meter_id!r} has no intervals in VEE run {vee_run_id}")
    score = run["report_json"].get("meters", {}).get(meter_id, {}).get("score")
    return quality_svg(meter_id, energy_wh, quality, score)


def quarantine_file(engine: Engine, campus_id: str, sha256_hex: str, error: BadInput) -> None:
    """Quarantine an already stored raw file (e.g. one a billing cycle's ingest refused) with the error's
    file, line, field and reason. Stored bytes and other rows stay as they are."""
    with engine.begin() as conn:
        repo.insert_quarantine(conn, sha256_hex, campus_id, error)
