"""Raw files are kept exactly as received, addressed by their sha256; the same bytes twice are stored once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow.fs as pafs
from sqlalchemy import Connection, text

READ_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    sha256_hex: str
    size_bytes: int
    stored_uri: str


def _copy_hashing(source: pafs.NativeFile, target: pafs.NativeFile) -> tuple[str, int]:
    digest = hashlib.sha256()
    size_bytes = 0
    while chunk := source.read(READ_CHUNK_BYTES):
        digest.update(chunk)
        target.write(chunk)
        size_bytes += len(chunk)
    return digest.hexdigest(), size_bytes


def store_raw_file(conn: Connection, campus_id: str, source_uri: str, data_root_uri: str) -> StoredFile:
    """Copy `source_uri` into `<data_root>/raw/<sha256>` once and record it in `raw_file`."""
    source_fs, source_path = pafs.FileSystem.from_uri(_as_uri(source_uri))
    target_fs, target_root = pafs.FileSystem.from_uri(_as_uri(data_root_uri))
    staging_dir = f"{target_root}/raw/staging"
    target_fs.create_dir(staging_dir, recursive=True)
    name = PurePosixPath(source_path).name
    staging_path = f"{staging_dir}/{hashlib.sha256(source_path.encode()).hexdigest()[:16]}-{name}"
    with source_fs.open_input_stream(source_path) as source, target_fs.open_output_stream(staging_path) as target:
        sha256_hex, size_bytes = _copy_hashing(source, target)
    final_path = f"{target_root}/raw/{sha256_hex}"
    if target_fs.get_file_info(final_path).type == pafs.FileType.NotFound:
        target_fs.move(staging_path, final_path)
    else:
        target_fs.delete_file(staging_path)
    conn.execute(
        text(
            "INSERT INTO raw_file (sha256_hex, campus_id, original_name, size_bytes, stored_uri)"
            " VALUES (:sha, :campus, :name, :size, :uri) ON CONFLICT (sha256_hex) DO NOTHING"
        ),
        {"sha": sha256_hex, "campus": campus_id, "name": name, "size": size_bytes, "uri": final_path},
    )
    return StoredFile(name, sha256_hex, size_bytes, final_path)


def _as_uri(location: str) -> str:
    return location if "://" in location else f"file://{_absolute(location)}"


def _absolute(location: str) -> str:
    from pathlib import Path

    return str(Path(location).expanduser().resolve())
