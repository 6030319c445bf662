"""Store received bytes as received, content-addressed: `<data_root>/raw/<sha256>`.

Bytes are streamed to a staging file while hashed, then moved into place; the same content twice
ends as one stored file. Nothing here is held in memory beyond one chunk.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import pyarrow.fs as pafs

from common.errors import BadInput
from common.uri import resolve

UPLOAD_BYTES_MAX = 8 << 30
"""Refuse uploads beyond 8 GiB: a month of 5-minute CSV for a large campus is well under 1 GiB."""


@dataclass(frozen=True)
class StoredBytes:
    sha256_hex: str
    size_bytes: int
    stored_uri: str


class RawFileWriter:
    """write() chunks, then finish() -> StoredBytes; abort() removes the staging file."""

    def __init__(self, data_root_uri: str, original_name: str) -> None:
        self.filesystem, root = resolve(data_root_uri)
        self.root = root.rstrip("/")
        self.original_name = original_name
        staging_dir = f"{self.root}/raw/staging"
        self.filesystem.create_dir(staging_dir, recursive=True)
        self.staging_path = f"{staging_dir}/{uuid.uuid4().hex}"
        self.stream = self.filesystem.open_output_stream(self.staging_path)
        self.hasher = hashlib.sha256()
        self.size_bytes = 0

    def write(self, chunk: bytes) -> None:
        self.size_bytes += len(chunk)
        if self.size_bytes > UPLOAD_BYTES_MAX:
            self.abort()
            raise BadInput(self.original_name, None, None, f"file exceeds {UPLOAD_BYTES_MAX} bytes")
        self.hasher.update(chunk)
        self.stream.write(chunk)

    def finish(self) -> StoredBytes:
        self.stream.close()
        sha256_hex = self.hasher.hexdigest()
        final_path = f"{self.root}/raw/{sha256_hex}"
        if self.filesystem.get_file_info(final_path).type == pafs.FileType.NotFound:
            self.filesystem.move(self.staging_path, final_path)
        else:
            # Same content already stored: keep the first copy untouched.
            self.filesystem.delete_file(self.staging_path)
        return StoredBytes(sha256_hex, self.size_bytes, final_path)

    def abort(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        if self.filesystem.get_file_info(self.staging_path).type != pafs.FileType.NotFound:
            self.filesystem.delete_file(self.staging_path)
