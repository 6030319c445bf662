"""Write rendered documents under a documents root (a local folder or a `file://` URI), atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from common.errors import BadInput


def documents_root_path(documents_root: str) -> Path:
    """`/srv/docs` or `file:///srv/docs` -> an absolute Path; other schemes are not supported yet."""
    if documents_root.startswith("file://"):
        return Path(unquote(urlparse(documents_root).path)).resolve()
    if "://" in documents_root:
        raise BadInput("documents root", None, None, f"{documents_root!r}: only local folders and file:// URIs")
    return Path(documents_root).resolve()


def write_document(documents_root: str, relative_path: str, data: bytes,
                   written: list[str] | None = None) -> tuple[str, str]:
    """Write `data` at `relative_path` under the root; return (absolute path, sha256 hex).

    Written to a temporary file in the same folder and renamed, so a crash never leaves half a document
    under the final name. A retry after a rolled-back transaction rewrites the same name. The path is
    appended to `written` (see `removed_unless_committed`).
    """
    target = documents_root_path(documents_root) / relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if written is not None:
        written.append(str(target))
    return str(target), hashlib.sha256(data).hexdigest()


def move_document(documents_root: str, from_relative_path: str, to_relative_path: str,
                  written: list[str] | None = None) -> str:
    """Move a document written under the root to its final name (atomically, on one file system); return the
    final absolute path, also appended to `written`."""
    root = documents_root_path(documents_root)
    target = root / to_relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(root / from_relative_path, target)
    if written is not None:
        written.append(str(target))
    return str(target)


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
            Path(path).unlink(missing_ok=True)
        raise


def documents_root_for(data_root_uri: str) -> str:
    """Where a deployment keeps invoice documents: `<data root>/invoices` (the cycle workflow writes there)."""
    return f"{data_root_uri}/invoices"
