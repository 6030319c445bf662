"""The issued documents beside a ledger export, so an auditor can check them against the ledger's facts.

`wattledger ledger export DIR` writes `DIR/documents/invoices/<invoice id>.json` and
`DIR/documents/credit_notes/<credit note id>.json`: each file is the document's RFC 8785 bytes, whose SHA-256 is
the document hash the ledger records (a cycle's `invoices_sha256` digest, a replacement's or credit note's
`document_sha256`; docs/ledger-spec.md §7). `python -m ledger.verifier` checks them when the folder is there.
Drafts are not issued and are left out; cancelled invoices stay, since their cycle's digest names them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from common.canonical_json import canonical_bytes
from invoicing import repository

DOCUMENTS_PER_FETCH = 1_000
DOCUMENT_FOLDERS = {"invoice": "invoices", "credit_note": "credit_notes"}


def export_documents(conn: Connection, directory: Path) -> int:
    """Write every issued invoice and credit note into `directory` (created); returns how many."""
    count = 0
    for table, folder in DOCUMENT_FOLDERS.items():
        target = directory / folder
        target.mkdir(parents=True, exist_ok=True)
        for document_id, document in repository.issued_documents(conn, table, DOCUMENTS_PER_FETCH):
            # Ids are `{issuer}-{number}` or `CN.{issuer}-{number}`: one path segment, never a separator.
            assert "/" not in document_id and not document_id.startswith("."), document_id
            (target / f"{document_id}.json").write_bytes(canonical_bytes(document))
            count += 1
    return count
