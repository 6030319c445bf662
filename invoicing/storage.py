"""Write rendered documents under a documents root (a local folder, a `file://` or an `s3://` URI), atomically,
through common.storage."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from common import storage
from common.errors import BadInput


def documents_root_path(documents_root: str) -> Path:
    """`/srv/docs` or `file:///srv/docs` -> an absolute Path; any other scheme has no local path (BadInput)."""
    if not storage.is_local(documents_root):
        raise BadInput(documents_root, None, "documents_root", "not a local folder or file:// URI")
    if documents_root.startswith("file://"):
        return Path(unquote(urlparse(documents_root).path)).resolve()
    return Path(documents_root).resolve()


def document_uri(documents_root: str, relative_path: str) -> str:
    """Where a document lives: an absolute path under a local root (as recorded before object storage), else
    the URI under the root (`s3://bucket/prefix/invoices/...`)."""
    if storage.is_local(documents_root):
        return str(documents_root_path(documents_root) / relative_path)
    return storage.join(documents_root, relative_path)


def write_document(documents_root: str, relative_path: str, data: bytes,
                   written: list[str] | None = None) -> tuple[str, str]:
    """Write `data` at `relative_path` under the root; return (its path or URI, sha256 hex).

    Written atomically (common.storage), so a crash never leaves half a document under the final name. A retry
    after a rolled-back transaction rewrites the same name. The path is appended to `written` (see
    `removed_unless_committed`).
    """
    target = document_uri(documents_root, relative_path)
    storage.write_bytes(target, data)
    if written is not None:
        written.append(target)
    return target, hashlib.sha256(data).hexdigest()


def move_document(documents_root: str, from_relative_path: str, to_relative_path: str,
                  written: list[str] | None = None) -> str:
    """Move a document written under the root to its final name (a rename locally, a copy then delete on S3:
    either way the final name appears whole); return its path or URI, also appended to `written`."""
    source = document_uri(documents_root, from_relative_path)
    target = document_uri(documents_root, to_relative_path)
    filesystem, source_path = storage.resolve(source)
    _, target_path = storage.resolve(target)
    storage.move_into_place(filesystem, source_path, target_path)
    if written is not None:
        written.append(target)
    return target


def remove_empty_folder(documents_root: str, relative_path: str) -> None:
    """Remove a local folder once it is empty; an object store has prefixes, not folders, so nothing to do."""
    if storage.is_local(documents_root):
        with contextlib.suppress(OSError):
            (documents_root_path(documents_root) / relative_path).rmdir()


@contextlib.contextmanager
def removed_unless_committed() -> Iterator[list[str]]:
    """Collect the documents written inside the block; if the block raises, remove them and re-raise.

    Wrap the whole transaction that records the documents (`with removed_unless_committed() as written:
    with engine.begin() as conn: ...`): a failure anywhere before the commit, the commit included, leaves no
    document on disk without its row. (A killed process cannot clean up; its retry reuses the rolled-back
    numbers and rewrites the same names.)
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for path in written:
            storage.delete(path)
        raise


def documents_root_for(data_root_uri: str) -> str:
    """The root invoice documents are written under: the data root itself, as the cycle's invoice step writes them
    (`invoices/<issuer>/`, `credit_notes/<issuer>/` below it). `<data root>/invoices` put a rebilled invoice in
    `invoices/invoices/<issuer>/`, away from the original it replaces."""
    return data_root_uri
