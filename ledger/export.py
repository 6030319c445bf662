"""`wattledger ledger export DIR`: everything an auditor needs to verify the ledger offline.

    MANIFEST.json      format, version, origin, entry count, hash version, document hash recipe
    entries.jsonl      line n = the exact canonical bytes of entry seq n (JCS text holds no newline)
    chain.tsv          seq, leaf hash, chain hash as the database stores them (hex)
    checkpoints.jsonl  one signed checkpoint per line: {"tree_size", "root", "note"}
    keys.txt           verifier keys (vkeys) the chain rotated in, one per line
    postings.parquet   one row per posting, for analysis (not needed to verify)
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from common.canonical_json import HASH_RECIPE
from ledger import repository as repo
from ledger.chain import HASH_VERSION
from ledger.checkpoint import chained_vkeys, list_checkpoints

EXPORT_FORMAT = "wattledger-ledger-export"
EXPORT_VERSION = 1
ENTRIES_PER_FETCH = 10_000
POSTINGS_PER_ROW_GROUP = 100_000
CHECKPOINTS_MAX = 1_000_000

POSTINGS_SCHEMA = pa.schema([
    ("seq", pa.int64()),
    ("idx", pa.int32()),
    ("kind", pa.string()),
    ("effective_at_utc", pa.timestamp("us", tz="UTC")),
    ("recorded_at_utc", pa.timestamp("us", tz="UTC")),
    ("account_path", pa.string()),
    ("asset_code", pa.string()),
    ("amount_minor", pa.int64()),
    ("posted_after_minor", pa.int64()),
])


def export_ledger(conn: Connection, origin: str, directory: Path) -> int:
    """Write the export of `origin` into `directory` (created); returns the number of entries."""
    ledger_id = repo.ledger_id_for(conn, origin)
    directory.mkdir(parents=True, exist_ok=True)
    size = _write_entries(conn, ledger_id, directory)
    checkpoints = sorted(list_checkpoints(conn, ledger_id, CHECKPOINTS_MAX), key=lambda c: c.tree_size)
    with open(directory / "checkpoints.jsonl", "w", encoding="utf-8") as handle:
        for checkpoint in checkpoints:
            record = {"tree_size": checkpoint.tree_size, "root": checkpoint.root_hex, "note": checkpoint.signed_note}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (directory / "keys.txt").write_text("".join(vkey + "\n" for vkey in chained_vkeys(conn, ledger_id)))
    _write_postings(conn, ledger_id, directory / "postings.parquet")
    # The recipe names how the document hashes in entries' meta (settlement, invoices, emissions) were made.
    manifest = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "origin": origin, "entries": size,
                "hash_version": HASH_VERSION, "document_hash_recipe": HASH_RECIPE}
    (directory / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return size


def _write_entries(conn: Connection, ledger_id: int, directory: Path) -> int:
    size = 0
    with open(directory / "entries.jsonl", "wb") as entries, open(directory / "chain.tsv", "w") as chain:
        result = conn.execution_options(stream_results=True, yield_per=ENTRIES_PER_FETCH).execute(
            text("SELECT seq, canonical, leaf_hash, chain_hash FROM ledger_entry WHERE ledger_id = :l ORDER BY seq"),
            {"l": ledger_id},
        )
        for row in result:
            entries.write(bytes(row.canonical) + b"\n")
            chain.write(f"{row.seq}\t{bytes(row.leaf_hash).hex()}\t{bytes(row.chain_hash).hex()}\n")
            size += 1
    return size


def _write_postings(conn: Connection, ledger_id: int, path: Path) -> None:
    """Stream the postings into Parquet, one row group per fetch, so memory stays bounded."""
    result = conn.execution_options(stream_results=True, yield_per=POSTINGS_PER_ROW_GROUP).execute(
        text(
            "SELECT p.seq, p.idx, e.kind, e.effective_at_utc, e.recorded_at_utc, a.path AS account_path,"
            " p.asset_code, p.amount_minor, p.posted_after_minor"
            " FROM ledger_posting p JOIN ledger_entry e USING (ledger_id, seq)"
            " JOIN ledger_account a ON a.account_id = p.account_id"
            " WHERE p.ledger_id = :l ORDER BY p.seq, p.idx"
        ),
        {"l": ledger_id},
    )
    with pq.ParquetWriter(path, POSTINGS_SCHEMA) as writer:
        for rows in result.partitions():
            columns = {name: [row._mapping[name] for row in rows] for name in POSTINGS_SCHEMA.names}
            writer.write_table(pa.table(columns, schema=POSTINGS_SCHEMA))
