"""Read-side queries for the API and CLI: entry pages and the ledger head."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from ledger import repository as repo

ENTRIES_PER_PAGE_MAX = 1_000


@dataclass(frozen=True)
class EntryView:
    seq: int
    entry_id: str
    kind: str
    ref_seq: int | None
    idempotency_key: str
    effective_at_utc: datetime
    recorded_at_utc: datetime
    document: dict[str, Any]  # the parsed canonical bytes
    canonical_b64: str  # the exact hashed bytes
    leaf_hash_hex: str
    chain_hash_hex: str


def list_entries(conn: Connection, origin: str, after_seq: int, limit: int) -> list[EntryView]:
    """Entries with seq > `after_seq`, oldest first, at most `limit` (capped at 1,000)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    rows = conn.execute(
        text(
            "SELECT seq, entry_id, kind, ref_seq, idempotency_key, effective_at_utc, recorded_at_utc, canonical,"
            " leaf_hash, chain_hash FROM ledger_entry WHERE ledger_id = :l AND seq > :after ORDER BY seq LIMIT :limit"
        ),
        {"l": ledger_id, "after": after_seq, "limit": max(0, min(limit, ENTRIES_PER_PAGE_MAX))},
    ).all()
    return [_view(row) for row in rows]


def _view(row: Any) -> EntryView:
    raw = bytes(row.canonical)
    return EntryView(
        int(row.seq), str(row.entry_id), row.kind, None if row.ref_seq is None else int(row.ref_seq),
        row.idempotency_key, row.effective_at_utc, row.recorded_at_utc, json.loads(raw),
        base64.b64encode(raw).decode(), bytes(row.leaf_hash).hex(), bytes(row.chain_hash).hex(),
    )


def entry_seqs_by_key(conn: Connection, origin: str, idempotency_keys: list[str]) -> dict[str, int]:
    """The seq of each entry named by its idempotency key (keys not in the ledger are left out)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    return {key: int(row.seq) for key, row in repo.entries_by_key(conn, ledger_id, sorted(set(idempotency_keys))).items()}
