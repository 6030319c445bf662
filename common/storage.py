"""The one storage interface: every file the system keeps is addressed by a URI and read or written here, on
`pyarrow.fs`, the same way on a local folder (`/srv/data`, `file:///srv/data`) and on S3-compatible object storage
(`s3://bucket/prefix`).

- Atomic: no reader sees half an object. A whole buffer goes to S3 in one PUT (an object appears only when its
  upload completes) and to a local folder under a staging name then moved. A streamed write (`atomic_output`)
  goes to a staged name beside the target on either and is moved into place once complete; a failed one is
  removed.
- Idempotent on retry: writing the same bytes to the same URI again changes nothing; `write_bytes_once` refuses
  other bytes where some already are; `put_content_addressed` names an object by its sha256.
- S3 connection settings come from `settings.Settings` (`WATTLEDGER_S3_*`, docs/deployment.md), read once per
  process, or from `configure_s3` (tests, tools). A URI with its own query (`s3://b/p?endpoint_override=...`)
  keeps pyarrow's reading of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.fs as pafs

from common.errors import BadInput, DomainError
from settings import Settings

STAGED_SUFFIX = ".partial"
"""A streamed write is staged beside its target as `.<name>.<random>.partial` until moved into place; a crashed
write leaves one behind under that name, never under the final one."""


class ObjectConflict(DomainError):
    """An object that must be written once already holds other bytes."""


@dataclass(frozen=True)
class S3Options:
    """Where S3 URIs go: `endpoint_url` like `http://127.0.0.1:8333` (unset = AWS itself) and the key pair
    (unset = the AWS SDK's own lookup: environment, profile, instance role)."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"


_lock = threading.Lock()
_configured: S3Options | None = None
_from_settings: S3Options | None = None
_s3_filesystems: dict[S3Options, pafs.S3FileSystem] = {}


def configure_s3(options: S3Options | None) -> None:
    """Use these S3 options in this process from now on; None goes back to reading the Settings (again)."""
    global _configured, _from_settings
    with _lock:
        _configured = options
        _from_settings = None


def configured_s3() -> S3Options | None:
    """The options `configure_s3` set, or None when this process reads them from the Settings (to restore them)."""
    with _lock:
        return _configured


def s3_options() -> S3Options:
    """The configured options, else those of the Settings, read once per process."""
    global _from_settings
    if _configured is not None:
        return _configured
    if _from_settings is None:
        # Read lazily: the domain packages read files without building Settings themselves.
        settings = Settings()
        secret = settings.s3_secret_access_key
        if secret is None and settings.s3_secret_access_key_file is not None:
            secret = settings.s3_secret_access_key_file.read_text().strip()
        _from_settings = S3Options(settings.s3_endpoint_url, settings.s3_access_key_id, secret, settings.s3_region)
    return _from_settings


def s3_filesystem(options: S3Options) -> pafs.S3FileSystem:
    """One S3FileSystem per options in a process (it holds the SDK client and its connection pool)."""
    with _lock:
        if options not in _s3_filesystems:
            endpoint = urlparse(options.endpoint_url) if options.endpoint_url else None
            _s3_filesystems[options] = pafs.S3FileSystem(
                access_key=options.access_key_id, secret_key=options.secret_access_key, region=options.region,
                endpoint_override=endpoint.netloc if endpoint else None,
                scheme=endpoint.scheme if endpoint else None,
                retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=5))
        return _s3_filesystems[options]


def resolve(uri: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of a URI; a plain path is a local file, made absolute."""
    if uri.startswith("s3://") and "?" not in uri:
        parsed = urlparse(uri)
        return s3_filesystem(s3_options()), f"{parsed.netloc}{unquote(parsed.path)}".rstrip("/")
    if uri.startswith("file://"):
        return pafs.LocalFileSystem(), os.path.abspath(unquote(urlparse(uri).path))
    if "://" in uri:
        resolved: tuple[pafs.FileSystem, str] = pafs.FileSystem.from_uri(uri)
        return resolved
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def join(root_uri: str, *parts: str) -> str:
    """`root/part/part`, the same for a folder and a bucket prefix."""
    return "/".join([root_uri.rstrip("/"), *(part.strip("/") for part in parts)])


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def _is_s3(filesystem: pafs.FileSystem) -> bool:
    return isinstance(filesystem, pafs.S3FileSystem)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def read_bytes(uri: str) -> bytes:
    """The whole object; a missing or unreadable one is BadInput naming it."""
    try:
        filesystem, path = resolve(uri)
        with filesystem.open_input_stream(path) as stream:
            return bytes(stream.read())
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(uri, None, None, f"cannot read file: {error}") from error


def exists(uri: str) -> bool:
    filesystem, path = resolve(uri)
    info: pafs.FileInfo = filesystem.get_file_info(path)
    return bool(info.type == pafs.FileType.File)


def write_bytes(uri: str, data: bytes) -> None:
    """Write `data` as the whole object at `uri`, atomically; writing the same bytes again changes nothing."""
    filesystem, path = resolve(uri)
    if _is_s3(filesystem):
        with filesystem.open_output_stream(path) as stream:  # one PUT (or a multipart upload completed last)
            stream.write(data)
        return
    with atomic_output(uri) as stream:
        stream.write(data)


def write_bytes_once(uri: str, data: bytes) -> bool:
    """Write `data` unless the object holds these very bytes already (False then); other bytes there are an
    ObjectConflict: a document once written is never replaced by another."""
    if exists(uri):
        if read_bytes(uri) != data:
            raise ObjectConflict(f"{uri} already holds other bytes")
        return False
    write_bytes(uri, data)
    return True


@dataclass(frozen=True)
class StoredObject:
    uri: str
    sha256_hex: str
    created: bool
    """False when the same content was stored already (and was left untouched)."""


def put_content_addressed(folder_uri: str, data: bytes, suffix: str = "") -> StoredObject:
    """Store `data` as `<folder>/<sha256><suffix>` unless already there."""
    sha256_hex = hashlib.sha256(data).hexdigest()
    uri = join(folder_uri, f"{sha256_hex}{suffix}")
    if exists(uri):
        return StoredObject(uri, sha256_hex, created=False)
    write_bytes(uri, data)
    return StoredObject(uri, sha256_hex, created=True)


@contextlib.contextmanager
def atomic_output(uri: str) -> Iterator[pa.NativeFile]:
    """A stream whose bytes appear at `uri` only when the block ends without error: written under
    `.<name>.<random>.partial` beside it and moved into place (a rename locally, a server-side copy on S3); on error
    the staged object is removed and the final name untouched."""
    filesystem, path = resolve(uri)
    parent, _, name = path.rpartition("/")
    if not _is_s3(filesystem):
        filesystem.create_dir(parent, recursive=True)
    staging_path = f"{parent}/.{name}.{uuid.uuid4().hex}{STAGED_SUFFIX}"
    stream = filesystem.open_output_stream(staging_path)
    try:
        yield stream
        stream.close()
    except BaseException:
        with contextlib.suppress(OSError):
            stream.close()
        with contextlib.suppress(OSError):
            filesystem.delete_file(staging_path)
        raise
    move_into_place(filesystem, staging_path, path)


def move_into_place(filesystem: pafs.FileSystem, staging_path: str, path: str) -> None:
    """Move a complete staged object to its final name, replacing what is there."""
    if not _is_s3(filesystem):
        filesystem.create_dir(_parent(path), recursive=True)
    filesystem.move(staging_path, path)


def delete(uri: str) -> None:
    """Remove the object if it is there."""
    filesystem, path = resolve(uri)
    with contextlib.suppress(FileNotFoundError):
        filesystem.delete_file(path)


def list_uris(folder_uri: str) -> list[str]:
    """The objects under a folder or prefix, recursively, sorted; staged writes left out."""
    filesystem, path = resolve(folder_uri)
    selector = pafs.FileSelector(path, recursive=True, allow_not_found=True)
    root = folder_uri.rstrip("/")
    found = []
    for info in filesystem.get_file_info(selector):
        relative = info.path[len(path.rstrip("/")) + 1:]
        staged = info.base_name.startswith(".") and info.base_name.endswith(STAGED_SUFFIX)
        if info.type == pafs.FileType.File and not staged:
            found.append(f"{root}/{relative}")
    return sorted(found)
