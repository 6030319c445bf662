"""Documents written inside a transaction that fails are removed again; committed ones stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoicing import removed_unless_committed
from invoicing.storage import write_document


def test_documents_of_a_failed_block_are_removed(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ledger refused"), removed_unless_committed() as written:
        write_document(str(tmp_path), "invoices/a/a-000001.json", b"{}", written)
        write_document(str(tmp_path), "invoices/a/a-000001.pdf", b"%PDF", written)
        assert len(written) == 2 and all(Path(path).exists() for path in written)
        raise RuntimeError("ledger refused")
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_documents_of_a_committed_block_stay(tmp_path: Path) -> None:
    with removed_unless_committed() as written:
        path, sha256_hex = write_document(str(tmp_path), "invoices/a/a-000002.json", b"{}", written)
    assert written == [path] and Path(path).read_bytes() == b"{}" and len(sha256_hex) == 64
