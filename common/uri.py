"""Read and write whole files at a local path or any URI (file://, s3://, ...), and resolve one to its filesystem
and path: the names older callers use for `common.storage`, the one storage interface."""

from __future__ import annotations

import pyarrow.fs as pafs

from common import storage


def resolve(path_or_uri: str) -> tuple[pafs.FileSystem, str]:
    """A local path becomes an absolute path on the local filesystem; a URI goes through common.storage."""
    return storage.resolve(path_or_uri)


def read_uri_bytes(uri: str) -> bytes:
    """Bytes of a local path or any URI; an unreadable one is BadInput naming it."""
    return storage.read_bytes(uri)


def write_uri_bytes(uri: str, data: bytes) -> None:
    """Write `data` as the whole file at a local path or URI (a claim check a step leaves for the next),
    atomically: a reader never sees half a file, and a retry writing the same bytes changes nothing."""
    storage.write_bytes(uri, data)
