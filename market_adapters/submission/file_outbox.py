"""Keep a file-based ISO document set (ERCOT LSE files, PJM Power Meter files) in the outbox, once per key.

A set is a manifest `<name>.json` plus its files in the folder `<name>/`. The manifest is written first: it
fixes the creation stamp the ISO's file names carry and the sha256 of every file, so a retried step rebuilds
the same names and bytes instead of leaving a second set beside the first. Every file is written once and
atomically through common.storage (the outbox is a folder or an `s3://` prefix), so a reader never sees half a
file. The same key with other content is a Conflict: corrected meter data is the next settlement version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from common import storage
from common.errors import BadInput, Conflict
from common.timeutil import require_utc

MANIFEST_FORMAT = "wattledger-outbox-files/1"


class IsoFile(Protocol):
    """What `LseFile` and `PowerMeterFile` share: the ISO's file name and the exact text."""

    @property
    def file_name(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class WrittenFiles:
    manifest_path: Path | str
    manifest_sha256_hex: str
    file_count: int


def recorded_created_at_utc(manifest_path: Path | str) -> datetime | None:
    """The creation stamp an earlier attempt fixed for this set, or None when there is no manifest yet."""
    if not storage.exists(str(manifest_path)):
        return None
    manifest = json.loads(storage.read_bytes(str(manifest_path)))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BadInput(str(manifest_path), None, "format", f"not a {MANIFEST_FORMAT} manifest")
    return datetime.fromisoformat(manifest["created_at_utc"])


def write_files_once(manifest_path: Path | str, submission_key: str, iso: str, created_at_utc: datetime,
                     files: Sequence[IsoFile]) -> WrittenFiles:
    """Write the manifest, then each file into the folder named like the manifest without `.json`."""
    folder = _without_suffix(str(manifest_path))
    entries = [{"file_name": file.file_name, "sha256_hex": hashlib.sha256(file.text.encode()).hexdigest()}
               for file in files]
    if len({entry["file_name"] for entry in entries}) != len(entries):
        raise BadInput(submission_key, None, "file_name", "two files of one set share a name")
    manifest = {"format": MANIFEST_FORMAT, "submission_key": submission_key, "iso": iso,
                "created_at_utc": require_utc(created_at_utc, "created_at_utc").isoformat(),
                "folder": folder.rpartition("/")[2], "files": entries}
    body = json.dumps(manifest, sort_keys=True, indent=1).encode()
    write_bytes_once(manifest_path, body, submission_key)
    for file in files:
        write_bytes_once(storage.join(folder, file.file_name), file.text.encode(), submission_key)
    return WrittenFiles(manifest_path, hashlib.sha256(body).hexdigest(), len(entries))


def _without_suffix(path: str) -> str:
    """`.../ercot-lse-2026-10-v1.json` -> `.../ercot-lse-2026-10-v1` (as Path.with_suffix(""))."""
    parent, slash, name = path.rpartition("/")
    stem = name.rpartition(".")[0] if "." in name.lstrip(".") else name
    return f"{parent}{slash}{stem}"


def write_bytes_once(path: Path | str, body: bytes, submission_key: str) -> None:
    """Write `body` to `path` unless it holds these very bytes already; other bytes there are a Conflict."""
    try:
        storage.write_bytes_once(str(path), body)  # a reader never sees half a document
    except storage.ObjectConflict as conflict:
        raise Conflict(f"{path} already holds another document for {submission_key}") from conflict
