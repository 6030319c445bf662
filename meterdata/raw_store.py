"""Store received bytes as received, content-addressed: `<data_root>/raw/<sha256>`.

Bytes are streamed to a staging file while hashed, then moved into place; the same content twice
ends as one stored file. Nothing here is held in memory beyond one chunk.

The writer enforces the upload limits as the bytes arrive (`UploadLimits`): a file larger than its format's
limit, or a line (CSV) or unbroken text run (XML) longer than `line_bytes_max`, is refused with
`UploadTooLarge` and its staging file removed, so nothing of it is stored. The refusal names the file and the
line, never the refused bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import pyarrow.fs as pafs

from common.errors import BadInput
from common.uri import resolve

FORMAT_BY_SUFFIX = {"csv": "csv", "txt": "csv", "xml": "xml", "parquet": "parquet"}
# Bytes that end a line (CSV) or a run of text or markup (XML): nothing between two of them may exceed
# `line_bytes_max`. Parquet is binary and has no lines.
BREAKS_BY_FORMAT = {"csv": (ord("\n"), ord("\r")), "xml": (ord("<"), ord(">")), "parquet": ()}


class UploadTooLarge(BadInput):
    """A file, request or line beyond its limit: refused while streaming, before anything is stored."""

    http_status: ClassVar[int] = 413


class UploadSettings(Protocol):
    """The part of the application's Settings that sets the limits (`settings.Settings` has these fields)."""

    upload_csv_bytes_max: int
    upload_xml_bytes_max: int
    upload_parquet_bytes_max: int
    upload_line_bytes_max: int


@dataclass(frozen=True)
class UploadLimits:
    """Size limits of a received file. The defaults take a large campus's month of site export (17.9 M
    readings are 0.81 GB of CSV, about 2.6 GB as ESPI XML) with room to spare; a site may set its own."""

    csv_bytes_max: int = 4 << 30
    xml_bytes_max: int = 8 << 30
    parquet_bytes_max: int = 2 << 30
    line_bytes_max: int = 1 << 20
    """The longest CSV line, or XML text or tag between two markup delimiters (a site-export line is under 100
    bytes; an ESPI value a few digits)."""

    @classmethod
    def of(cls, settings: UploadSettings) -> UploadLimits:
        return cls(settings.upload_csv_bytes_max, settings.upload_xml_bytes_max, settings.upload_parquet_bytes_max,
                   settings.upload_line_bytes_max)

    def file_format(self, name: str) -> str:
        suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
        if suffix not in FORMAT_BY_SUFFIX:
            raise BadInput(name, None, None, f"unknown file type {suffix!r}: expected csv, txt, parquet or xml")
        return FORMAT_BY_SUFFIX[suffix]

    def bytes_max(self, name: str) -> int:
        return {"csv": self.csv_bytes_max, "xml": self.xml_bytes_max,
                "parquet": self.parquet_bytes_max}[self.file_format(name)]


DEFAULT_UPLOAD_LIMITS = UploadLimits()


class LineGuard:
    """Follows the distance since the last break byte across chunks; refuses a run beyond `run_bytes_max`."""

    def __init__(self, source: str, breaks: tuple[int, ...], run_bytes_max: int, what: str) -> None:
        self.source = source
        self.breaks = breaks
        self.run_bytes_max = run_bytes_max
        self.what = what
        self.run_bytes = 0
        self.lines_before = 0

    def feed(self, chunk: bytes) -> None:
        if not self.breaks or not chunk:
            return
        values = np.frombuffer(chunk, dtype=np.uint8)
        is_break = values == self.breaks[0]
        for other in self.breaks[1:]:
            is_break |= values == other
        at = np.flatnonzero(is_break)
        if at.size == 0:
            self._check(self.run_bytes + len(chunk), len(chunk))
            self.run_bytes += len(chunk)
        else:
            # Runs: before the first break (continuing the last chunk's), between breaks, after the last.
            self._check(self.run_bytes + int(at[0]), int(at[0]))
            if at.size > 1:
                gaps = np.diff(at) - 1
                widest = int(np.argmax(gaps))
                self._check(int(gaps[widest]), int(at[widest + 1]), chunk)
            self.run_bytes = len(chunk) - int(at[-1]) - 1
            self._check(self.run_bytes, len(chunk), chunk)
        self.lines_before += chunk.count(b"\n")

    def _check(self, run_bytes: int, offset: int, chunk: bytes = b"") -> None:
        if run_bytes > self.run_bytes_max:
            line = self.lines_before + chunk[:offset].count(b"\n") + 1
            raise UploadTooLarge(self.source, line, None,
                                 f"{self.what} longer than {self.run_bytes_max} bytes: file refused, nothing stored")


@dataclass(frozen=True)
class StoredBytes:
    sha256_hex: str
    size_bytes: int
    stored_uri: str


class RawFileWriter:
    """write() chunks, then finish() -> StoredBytes; abort() removes the staging file."""

    def __init__(self, data_root_uri: str, original_name: str,
                 limits: UploadLimits = DEFAULT_UPLOAD_LIMITS) -> None:
        file_format = limits.file_format(original_name)
        self.bytes_max = limits.bytes_max(original_name)
        what = "a line" if file_format == "csv" else "a text or tag run"
        self.guard = LineGuard(original_name, BREAKS_BY_FORMAT[file_format], limits.line_bytes_max, what)
        self.filesystem, root = resolve(data_root_uri)
        self.root = root.rstrip("/")
        # A URI root (s3://...) answers with a URI, a local root with the absolute path, as before.
        self.root_uri = data_root_uri.rstrip("/") if "://" in data_root_uri else self.root
        self.original_name = original_name
        staging_dir = f"{self.root}/raw/staging"
        self.filesystem.create_dir(staging_dir, recursive=True)
        self.staging_path = f"{staging_dir}/{uuid.uuid4().hex}"
        self.stream = self.filesystem.open_output_stream(self.staging_path)
        self.hasher = hashlib.sha256()
        self.size_bytes = 0

    def write(self, chunk: bytes) -> None:
        self.size_bytes += len(chunk)
        try:
            if self.size_bytes > self.bytes_max:
                raise UploadTooLarge(self.original_name, None, None,
                                     f"file exceeds {self.bytes_max} bytes, the limit for its format: nothing stored")
            self.guard.feed(chunk)
        except UploadTooLarge:
            self.abort()
            raise
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
        return StoredBytes(sha256_hex, self.size_bytes, f"{self.root_uri}/raw/{sha256_hex}")

    def abort(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        if self.filesystem.get_file_info(self.staging_path).type != pafs.FileType.NotFound:
            self.filesystem.delete_file(self.staging_path)
