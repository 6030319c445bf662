"""Read and write whole files at a local path or any pyarrow.fs URI (file://, s3://, gs://, ...), and resolve one
to its filesystem and path."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.fs as pafs

from common.errors import BadInput


def resolve(path_or_uri: str) -> tuple[pafs.FileSystem, str]:
    """A local path becomes an absolute path on the local filesystem; a URI goes through pyarrow.fs."""
    if "://" in path_or_uri:
        resolved: tuple[pafs.FileSystem, str] = pafs.FileSystem.from_uri(path_or_uri)
        return resolved
    return pafs.LocalFileSystem(), os.path.abspath(path_or_uri)


def read_uri_bytes(uri: str) -> bytes:
    """Bytes of a local path or any pyarrow.fs URI; an unreadable one is BadInput naming it."""
    try:
        if "://" in uri:
            filesystem, path = pafs.FileSystem.from_uri(uri)
        else:
            filesystem, path = pafs.LocalFileSystem(), uri
        with filesystem.open_input_stream(path) as stream:
            return bytes(stream.read())
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(uri, None, None, f"cannot read file: {error}") from error


def write_uri_bytes(uri: str, data: bytes) -> None:
    """Write `data` as the whole file at a local path or pyarrow.fs URI, creating its folder (a claim check a
    step leaves for the next). Written under a temporary name and moved, so a reader never sees half a file."""
    filesystem, path = resolve(uri)
    parent, _, name = path.rpartition("/")
    filesystem.create_dir(parent, recursive=True)
    staging_path = f"{parent}/.{name}.partial"
    with filesystem.open_output_stream(staging_path) as stream:
        stream.write(data)
    filesystem.move(staging_path, path)
