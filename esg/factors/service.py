"""Factor library and override service functions: store editions once, never overwrite, record overrides."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from common import canonical_json
from common.errors import Conflict
from esg.errors import EditionAlreadyRegistered
from esg.factors import repository
from esg.factors.combustion import FactorOverride
from esg.factors.library import DATA_DIR, FactorEdition, FactorLibrary, load_factor_library
from esg.factors.market_rates import MarketRateConflict, MarketRateRow


def register_factor_library(
    conn: Connection, library: FactorLibrary | None = None, data_dir: Path = DATA_DIR
) -> list[str]:
    """Store every table and edition of the library; returns the editions newly stored.

    Already stored with the same bytes: nothing happens. Same id, different content: EditionAlreadyRegistered,
    because a published edition is never overwritten (a revision is a new edition id).
    """
    library = library or load_factor_library(data_dir)
    for meta in library.tables.values():
        stored = repository.factor_table_sha256(conn, meta.table_id)
        if stored is None:
            rows = list(csv.DictReader(io.StringIO((data_dir / meta.file).read_text(encoding="utf-8"))))
            repository.insert_factor_table(
                conn,
                {
                    "table_id": meta.table_id,
                    "publication_id": meta.table_id.split("/")[0],
                    "publisher": meta.publication["publisher"],
                    "publication_edition": meta.publication["edition"],
                    "kind": meta.kind,
                    "file_name": meta.file,
                    "file_sha256": meta.sha256,
                    "workbook_sha256": meta.publication.get("source_workbook_sha256"),
                    "confidence": meta.confidence,
                    "licence": meta.publication["licence"],
                    "note": meta.note,
                    "rows_json": repository.rows_json(rows),
                },
            )
        elif stored != meta.sha256:
            raise EditionAlreadyRegistered(meta.table_id)
    return [
        edition.edition_id
        for edition in library.editions.values()
        if _register_edition(conn, library, edition)
    ]


def edition_content_sha256(library: FactorLibrary, edition: FactorEdition) -> str:
    content = {
        "edition_id": edition.edition_id,
        "valid_from": edition.valid_from.isoformat(),
        "valid_to": edition.valid_to.isoformat() if edition.valid_to else None,
        "description": edition.description,
        "tables": {
            kind: [table_id, library.tables[table_id].sha256] for kind, table_id in edition.tables.items()
        },
    }
    return canonical_json.sha256_hex(content)


def _register_edition(conn: Connection, library: FactorLibrary, edition: FactorEdition) -> bool:
    content_sha256 = edition_content_sha256(library, edition)
    stored = repository.edition_content_sha256(conn, edition.edition_id)
    if stored == content_sha256:
        return False
    if stored is not None:
        raise EditionAlreadyRegistered(edition.edition_id)
    repository.insert_edition(
        conn,
        {
            "edition_id": edition.edition_id,
            "valid_from": edition.valid_from,
            "valid_to": edition.valid_to,
            "description": edition.description,
            "tables_json": json.dumps(edition.tables, sort_keys=True),
            "content_sha256": content_sha256,
        },
    )
    return True


def record_factor_override(
    conn: Connection, campus_id: str, override: FactorOverride, evidence_sha256: str | None = None
) -> bool:
    """Store an override (who, why, evidence); the same again is a no-op, a different one with its id a Conflict."""
    stored = repository.override_row(conn, override.override_id)
    if stored is None:
        repository.insert_override(conn, campus_id, override, evidence_sha256)
        return True
    requested = {
        "campus_id": campus_id,
        "evidence_sha256": evidence_sha256,
        **repository.override_params(override),
    }
    # numeric(30,12) gives back trailing zeros: compare values as numbers, everything else as stored.
    differs = [
        name
        for name, value in requested.items()
        if (stored[name].compare(value) != 0 if name == "value" else stored[name] != value)
    ]
    if differs:
        raise Conflict(f"override {override.override_id} is already recorded with other {', '.join(differs)}")
    return False


def edition_is_registered(conn: Connection, edition_id: str) -> bool:
    return repository.edition_content_sha256(conn, edition_id) is not None


def list_factor_editions(conn: Connection) -> list[dict[str, object]]:
    return repository.list_editions(conn)


def overrides_for_campus(conn: Connection, campus_id: str) -> list[FactorOverride]:
    """The campus's recorded overrides, oldest first (a later override of one parameter wins)."""
    return repository.overrides_for_campus(conn, campus_id)


def register_market_rate(conn: Connection, row: MarketRateRow) -> bool:
    """Store a market-rate row; True when newly stored. The same id with the same content is a no-op, with other
    content `MarketRateConflict` (a row is never changed; a revision takes a new id). Concurrent registrations
    of one id meet at the primary key; the loser compares again."""
    stored = repository.market_rate_content_sha256(conn, row.rate_id)
    if stored is not None:
        if stored != row.content_sha256():
            raise MarketRateConflict(row.rate_id)
        return False
    values = {**row.content(), "g_co2e_per_mwh": row.g_co2e_per_mwh, "valid_from": row.valid_from,
              "valid_to": row.valid_to, "supplier": row.supplier, "content_sha256": row.content_sha256()}
    try:
        with conn.begin_nested():
            repository.insert_market_rate(conn, values)
    except IntegrityError:
        if repository.market_rate_content_sha256(conn, row.rate_id) != row.content_sha256():
            raise MarketRateConflict(row.rate_id) from None
        return False
    return True


def market_rates(conn: Connection, kind: str | None = None, zone: str | None = None) -> list[MarketRateRow]:
    """Registered rows, by kind, zone and validity."""
    return [
        MarketRateRow(row["rate_id"], row["kind"], row["zone"], Decimal(row["g_co2e_per_mwh"]).normalize(),
                      row["source"], row["edition"], row["valid_from"], row["valid_to"], row["supplier"],
                      row["note"])
        for row in repository.market_rate_rows(conn, kind, zone)
    ]
