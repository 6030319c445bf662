"""Open local paths and pyarrow.fs URIs the same way (claim-check files travel as URIs)."""

from __future__ import annotations

import hashlib

import pyarrow.fs as pafs

from common.uri import resolve

READ_CHUNK_BYTES = 1 << 20


def read_bytes(path_or_uri: str) -> bytes:
    filesystem, path = resolve(path_or_uri)
    with filesystem.open_input_stream(path) as stream:
        data: bytes = stream.read()
    return data


def sha256_hex_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ensure_parent(filesystem: pafs.FileSystem, path: str) -> None:
    parent = path.rsplit("/", 1)[0]
    if parent:
        filesystem.create_dir(parent, recursive=True)


def base_name(path_or_uri: str) -> str:
    return path_or_uri.rstrip("/").rsplit("/", 1)[-1]
