"""Meter-data service functions over the database: receive files into the campus's meter-data store, the
files a period reads from it, pending corrections, quarantine, manual edits, VEE runs.

Every channel (upload, CLI receive, watched folder, the inbox at cycle start) lands in one store per campus:
raw bytes under their sha256, each file accepted (with the span of its readings) or quarantined (with file,
line, field and reason). The API and the CLI call these; each opens its own transaction(s) with `engine.begin()`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from campus import StorageAsset, csv_layout_default, load_csv_layouts, load_storage_assets
from common.errors import BadInput, NotFound
from common.timeutil import require_utc
from common.uri import resolve
from meterdata import repository as repo
from meterdata.csv_mapping import SITE_EXPORT_V1, CsvMapping, campus_mappings, mapping_named
from meterdata.edits import ManualEdit
from meterdata.fsutil import base_name
from meterdata.ingest import InputFile, read_file_uri, reading_fields
from meterdata.plot import load_meter_series, quality_svg
from meterdata.raw_store import DEFAULT_UPLOAD_LIMITS, RawFileWriter, StoredBytes, UploadLimits
from meterdata.readings import ReadingCounter, ReadingWindow
from meterdata.repository import PendingCorrection, StoreFile
from meterdata.specs import MeterSpec
from meterdata.state_of_charge import checked_sink, stored_wh_at_period_end

EARLIEST_READING_UTC = datetime(2000, 1, 1, tzinfo=UTC)
"""On receipt no billing period is known yet: readings only have to be real (after 2000, not future)."""
READ_CHUNK_BYTES = 1 << 20
INBOX_SUFFIXES = (".csv", ".txt", ".parquet", ".xml")
STORE_FILES_PER_PERIOD_MAX = 1_000_000
CHANNELS = ("upload (POST /meter-data)", "CLI receive (wattledger meterdata receive)",
            "the watched folder (wattledger meterdata watch)")


@dataclass(frozen=True)
class ReceiveOutcome:
    sha256_hex: str
    size_bytes: int
    stored_uri: str
    status: str
    """accepted | quarantined | duplicate | refused (beyond a size limit or of an unknown type: not stored, so
    without sha256 or location)"""
    reading_count: int = 0
    error: dict[str, Any] | None = field(default=None)
    """Why the file was refused: now (quarantined) or when the same bytes came before (duplicate)."""
    first_interval_start_utc: datetime | None = None
    last_interval_start_utc: datetime | None = None


def receive_file(
    engine: Engine, data_root_uri: str, campus_id: str, original_name: str, chunks: Iterable[bytes],
    mapping: CsvMapping = SITE_EXPORT_V1, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
) -> ReceiveOutcome:
    """Store `chunks` as received, check the file, and record it as accepted or quarantined (with reason)."""
    meters = campus_meters(engine, campus_id)
    try:
        writer = RawFileWriter(data_root_uri, original_name, limits)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
    except BadInput as error:
        # Refused before anything was stored (a size limit, an unknown type): an outcome, so a watched folder
        # moves the file aside with its reason instead of stopping.
        return ReceiveOutcome("", 0, "", "refused", 0, _error_detail(error.source, error.line, error.field,
                                                                      error.reason))
    return record_received(engine, campus_id, original_name, writer.finish(), meters, mapping)


def record_received(
    engine: Engine, campus_id: str, original_name: str, stored: StoredBytes, meters: dict[str, MeterSpec],
    mapping: CsvMapping,
) -> ReceiveOutcome:
    with engine.begin() as conn:
        is_new = repo.insert_raw_file(conn, stored.sha256_hex, campus_id, original_name, stored.size_bytes,
                                      stored.stored_uri, mapping.name)
        earlier = None if is_new else repo.file_status(conn, stored.sha256_hex)
        assets = load_storage_assets(conn, campus_id)
    if earlier is not None and (earlier["campus_id"] != campus_id or _accepted(earlier)):
        return _duplicate(stored, campus_id, earlier)
    if earlier is not None:
        # Stored before but never checked (a receipt cut short, or kept by an older cycle ingest), or refused
        # before: check it now. A refusal may have been the registry's (a meter not yet registered) or the layout's
        # (sent again with the right one), so the same bytes get a fresh check, and keep the layout of that check.
        original_name = earlier["original_name"]
        with engine.begin() as conn:
            repo.set_csv_layout(conn, stored.sha256_hex, mapping.name)
    try:
        counter = check_stored_file(stored.stored_uri, original_name, stored.sha256_hex, meters, mapping,
                                    storage=assets)
    except BadInput as error:
        with engine.begin() as conn:
            repo.replace_quarantine(conn, stored.sha256_hex, campus_id, error)
        return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "quarantined", 0,
                              _error_detail(error.source, error.line, error.field, error.reason))
    first_utc, last_utc = counter.first_interval_start_utc, counter.last_interval_start_utc
    with engine.begin() as conn:
        repo.release_quarantine(conn, stored.sha256_hex)
        repo.insert_accepted(conn, stored.sha256_hex, campus_id, counter.count, first_utc, last_utc)
    return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "accepted", counter.count,
                          None, first_utc, last_utc)


def _accepted(status: dict[str, Any]) -> bool:
    """Accepted and not quarantined since: the same bytes again are a duplicate of a stored, good file."""
    return status["reason"] is None and status["reading_count"] is not None


def _duplicate(stored: StoredBytes, campus_id: str, earlier: dict[str, Any]) -> ReceiveOutcome:
    """The same bytes again: a no-op that still tells what became of them, so a file refused before is not
    taken for accepted."""
    error = None
    if earlier["campus_id"] != campus_id:
        # Raw files are addressed by content alone: these bytes already belong to another campus's store.
        error = _error_detail(earlier["original_name"], None, None,
                              f"the same bytes were received for campus {earlier['campus_id']!r}")
    elif earlier["reason"] is not None:
        error = _error_detail(earlier["source"], earlier["line"], earlier["field"], earlier["reason"])
    return ReceiveOutcome(stored.sha256_hex, stored.size_bytes, stored.stored_uri, "duplicate",
                          earlier["reading_count"] or 0, error, earlier["first_interval_start_utc"],
                          earlier["last_interval_start_utc"])


def _error_detail(source: str, line: int | None, field_name: str | None, reason: str) -> dict[str, Any]:
    return {"source": source, "line": line, "field": field_name, "reason": reason}


def check_stored_file(
    stored_uri: str, original_name: str, sha256_hex: str, meters: dict[str, MeterSpec], mapping: CsvMapping,
    now_utc: datetime | None = None, storage: Sequence[StorageAsset] = (),
) -> ReadingCounter:
    """Parse the stored file, streamed in every format: its reading count and span; raises BadInput. The state of
    charge of `storage`'s batteries is checked as a level (meterdata.state_of_charge)."""
    window = ReadingWindow(EARLIEST_READING_UTC, datetime.max.replace(tzinfo=UTC),
                           require_utc(now_utc or datetime.now(UTC), "now_utc"))
    counter = ReadingCounter()
    sink = checked_sink(counter, storage, original_name, reading_fields(original_name, mapping))
    read_file_uri(stored_uri, original_name, sha256_hex, meters, mapping, window, sink)
    if counter.count == 0:
        # Nothing to store or bill: an empty file, a header over blank lines, or values all blank.
        raise BadInput(original_name, None, None, "the file holds no reading")
    return counter


def receive_path(engine: Engine, data_root_uri: str, campus_id: str, path_or_uri: str,
                 mapping: CsvMapping = SITE_EXPORT_V1) -> ReceiveOutcome:
    """Receive a file the server can read (a path or a pyarrow.fs URI) exactly as an upload of its bytes."""
    return receive_file(engine, data_root_uri, campus_id, base_name(path_or_uri), _uri_chunks(path_or_uri),
                        mapping)


def _uri_chunks(path_or_uri: str) -> Iterator[bytes]:
    filesystem, path = resolve(path_or_uri)
    with filesystem.open_input_stream(path) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            yield chunk


def receive_folder(engine: Engine, data_root_uri: str, campus_id: str, folder: Path, files_max: int,
                   mapping: CsvMapping = SITE_EXPORT_V1) -> list[tuple[str, ReceiveOutcome]]:
    """Receive the meter files (INBOX_SUFFIXES) lying in `folder`, in name order, each as an upload would be,
    and move each one aside once processed: to `processed/`, or to `quarantine/` with a reason file.

    The first refused file raises BadInput naming its file, line, field and reason; the files after it stay
    in `folder`, untouched, for the next attempt."""
    paths = inbox_files(folder)
    if len(paths) > files_max:
        raise BadInput(str(folder), None, None, f"{len(paths)} meter files, more than {files_max} in one pass")
    taken: list[tuple[str, ReceiveOutcome]] = []
    for path in paths:
        outcome = receive_file(engine, data_root_uri, campus_id, path.name, file_chunks(path), mapping)
        moved = move_aside(path, folder, outcome)
        taken.append((path.name, outcome))
        if outcome.error is not None:
            error = outcome.error
            kept = f"sha256 {outcome.sha256_hex[:16]}" if outcome.sha256_hex else "not stored"
            reason = f"{error['reason']} ({kept}; moved to {moved})"
            raise BadInput(error["source"], error["line"], error["field"], reason)
    return taken


def inbox_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in INBOX_SUFFIXES)


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            yield chunk


def move_aside(path: Path, folder: Path, outcome: ReceiveOutcome) -> Path:
    """Move a processed file to `folder/processed/`, or, refused, to `folder/quarantine/` beside a
    `<name>.reason.txt`. A name already taken there gets the file's sha256 prefix, so nothing is overwritten."""
    target_dir = folder / ("quarantine" if outcome.error is not None else "processed")
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        # A file refused unstored has no sha256: a random tag keeps the name apart all the same.
        tag = outcome.sha256_hex[:12] or uuid.uuid4().hex[:12]
        target = target_dir / f"{path.stem}.{tag}{path.suffix}"
    path.rename(target)
    if outcome.error is not None:
        error = outcome.error
        (target_dir / f"{target.name}.reason.txt").write_text(
            f"line {error['line']}, field {error['field']}: {error['reason']}\nsha256 {outcome.sha256_hex}\n"
        )
    return target


def collect_period_files(
    engine: Engine, data_root_uri: str, campus_id: str, period: str, bounds_utc: tuple[datetime, datetime],
    inbox: Path, input_uris: Sequence[str] = (),
) -> list[StoreFile]:
    """What a billing cycle reads: first `input_uris` and the files lying in the period's `inbox` are received
    into the store (a refused one stops here with its BadInput), then every accepted file of the campus whose
    readings overlap `bounds_utc`, in received order. No such file: BadInput naming the channels."""
    mapping = csv_layout(engine, campus_id, None)  # what these paths name no layout for: the campus's default
    for uri in input_uris:
        outcome = receive_path(engine, data_root_uri, campus_id, uri, mapping)
        if outcome.error is not None:
            error = outcome.error
            raise BadInput(error["source"], error["line"], error["field"], error["reason"])
    receive_folder(engine, data_root_uri, campus_id, inbox, STORE_FILES_PER_PERIOD_MAX, mapping)
    files = period_files(engine, campus_id, bounds_utc)
    if not files:
        channels = ", ".join((*CHANNELS, f"the inbox {inbox} (read when a cycle starts)"))
        raise BadInput(f"meter-data store of campus {campus_id}", None, None,
                       f"no meter data for campus {campus_id} period {period}; send files by {channels}")
    return files


def period_files(engine: Engine, campus_id: str, bounds_utc: tuple[datetime, datetime]) -> list[StoreFile]:
    """Accepted files of the campus with a reading starting in [bounds_utc), in received order."""
    start_utc, end_utc = (require_utc(bound, "bounds_utc") for bound in bounds_utc)
    with engine.begin() as conn:
        files = repo.accepted_files_overlapping(conn, campus_id, start_utc, end_utc, STORE_FILES_PER_PERIOD_MAX + 1)
    if len(files) > STORE_FILES_PER_PERIOD_MAX:
        # Leaving some out would drop the latest corrections without a word: refuse instead.
        raise BadInput(f"meter-data store of campus {campus_id}", None, None,
                       f"more than {STORE_FILES_PER_PERIOD_MAX} files overlap [{start_utc}, {end_utc})")
    return files


def resettle_command(cycle_id: str) -> str:
    """The operator's command that re-settles a completed cycle with the files received since it closed."""
    return f"wattledger cycle correct {cycle_id} --operator NAME"


def pending_corrections(engine: Engine, campus_id: str, rows_max: int) -> list[PendingCorrection]:
    """Files accepted for a period whose cycle completed without them (received late, or corrections), each with
    the command that re-settles that cycle (a correction reads them and links them to the cycle)."""
    with engine.begin() as conn:
        if not repo.campus_exists(conn, campus_id):
            raise NotFound(f"campus {campus_id!r} not found")
        rows = repo.pending_corrections(conn, campus_id, rows_max)
    return [replace(row, resettle_command=resettle_command(row.cycle_id)) for row in rows]


def record_edit(
    engine: Engine, campus_id: str, meter_id: str, channel: str, interval_start_utc: datetime, energy_wh: int,
    edited_by: str, reason: str,
) -> int:
    """Record a manual edit; refuses unknown meters, off-grid interval starts and empty reasons."""
    if interval_start_utc.tzinfo is None:
        raise BadInput("edit", None, "interval_start_utc", "timestamp has no offset")
    if len(reason.strip()) < 3 or not edited_by.strip():
        raise BadInput("edit", None, "reason", "an edit needs the editor's name and a reason")
    start_utc = _edit_start_utc(interval_start_utc)
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


def _edit_start_utc(interval_start_utc: datetime, now_utc: datetime | None = None) -> datetime:
    """An edit replaces a reading, so its interval is one a reading could have: after EARLIEST_READING_UTC and
    ended by now. The year 1 or 9999 moved by an offset is refused too, not turned into an overflow."""
    try:
        start_utc = interval_start_utc.astimezone(UTC)
    except OverflowError as error:
        raise BadInput("edit", None, "interval_start_utc", "outside the representable time range") from error
    now = require_utc(now_utc or datetime.now(UTC), "now_utc")
    if not EARLIEST_READING_UTC <= start_utc <= now:
        raise BadInput("edit", None, "interval_start_utc",
                       f"{start_utc.isoformat()} is not between {EARLIEST_READING_UTC.date()} and now")
    return start_utc


def edits_for_period(engine: Engine, campus_id: str, start_utc: datetime, end_utc: datetime) -> Sequence[ManualEdit]:
    with engine.begin() as conn:
        return repo.edits_for_period(conn, campus_id, start_utc, end_utc)


def csv_mappings(engine: Engine, campus_id: str) -> dict[str, CsvMapping]:
    """The CSV layouts files of the campus may be received with: the built-in ones and those its campus file
    declares (`[[csv_layouts]]`), by name."""
    with engine.begin() as conn:
        if not repo.campus_exists(conn, campus_id):
            raise NotFound(f"campus {campus_id!r} not found")
        return campus_mappings(load_csv_layouts(conn, campus_id))


def csv_layout(engine: Engine, campus_id: str, name: str | None) -> CsvMapping:
    """The campus's CSV layout called `name`, before anything is received with it: an unknown name is BadInput
    listing the known ones. None: the layout the campus file names for files received without one
    (`campus.csv_layout`), else SITE_EXPORT_V1."""
    if name is None:
        with engine.begin() as conn:
            name = csv_layout_default(conn, campus_id) or SITE_EXPORT_V1.name
    return mapping_named(csv_mappings(engine, campus_id), name, f"campus {campus_id}")


def input_files(engine: Engine, campus_id: str, files: Sequence[StoreFile]) -> list[InputFile]:
    """The store's files as ingest inputs, each with the layout it was received with (a layout named by a stored
    file is never removed from the campus file, so a miss is a store edited by hand: BadInput naming the file)."""
    mappings = csv_mappings(engine, campus_id)
    return [InputFile(file.stored_uri, file.original_name, file.sha256_hex,
                      mapping_named(mappings, file.csv_layout, file.original_name)) for file in files]


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


@dataclass(frozen=True)
class VeeStorage:
    """What VEE needs of a campus's batteries (docs/storage.md): the assets, and each one's level reported at the
    period's start by the period before (the reading whose interval ends there), where there is one."""

    assets: list[StorageAsset]
    stored_wh_start: dict[str, int]


def storage_for_vee(engine: Engine, campus_id: str, period_start_utc: datetime) -> VeeStorage:
    """The campus's batteries for a VEE run of the period starting at `period_start_utc`, and the state of charge
    the latest VEE run of the period ending there kept beside its validated file: the storage rules start from
    it. The cycle's validate step and `wattledger meterdata vee` both call this."""
    with engine.begin() as conn:
        assets = load_storage_assets(conn, campus_id)
        previous_uri = repo.latest_validated_uri_ending_at(conn, campus_id, period_start_utc) \
            if any(asset.state_of_charge_channel is not None for asset in assets) else None
    levels = {} if previous_uri is None else stored_wh_at_period_end(previous_uri, period_start_utc)
    declared = {asset.asset_id for asset in assets if asset.state_of_charge_channel is not None}
    return VeeStorage(assets, {asset_id: wh for asset_id, wh in sorted(levels.items()) if asset_id in declared})


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
