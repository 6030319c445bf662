"""The per-campus price store: ISO price files converted once to PRICE_SCHEMA Parquet, kept by content.

Layout: `<settings.data_root_uri>/prices/<campus_id>/<sha256>.parquet`, the sha256 of the stored Parquet
bytes, so loading the same prices twice keeps one file. A file is written under a staging name and then
moved into place, so a settle step listing the folder never reads half a file. The settle step of every
billing cycle passes all of a campus's files (sorted by name) to settlement, where index-priced PPAs and
virtual PPAs find their node and market.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pyarrow.fs as pafs
import pyarrow.parquet as pq
from sqlalchemy import Engine

from campus import CampusNotFound, campus_exists
from common import storage
from common.errors import BadInput
from common.uri import resolve
from market_adapters.price_files.formats import (
    FEED_DEFAULT,
    NYISO_RT_INTERVAL_MINUTES_DEFAULT,
    parse_price_file,
)
from market_adapters.prices import price_table
from settings import Settings

FILES_PER_CAMPUS_MAX = 10_000  # a settle step reads every file; far more means the store needs pruning


@dataclass(frozen=True)
class StoredPrices:
    """Where a price file landed. `already_stored` is True when the same content was there before."""

    campus_id: str
    price_uri: str
    sha256_hex: str
    price_count: int
    already_stored: bool


def store_campus_prices(engine: Engine, settings: Settings, campus_id: str, file_format: str,
                        source_name: str, content: bytes, *, feed: str = FEED_DEFAULT,
                        interval_minutes: int = NYISO_RT_INTERVAL_MINUTES_DEFAULT) -> StoredPrices:
    """Convert one ISO price file (`file_format`, see `price_formats.PRICE_FORMATS`) and keep it in the
    campus's store.

    `source_name` names the file in errors; a name ending `.zip` is read as a ZIP (ERCOT, CAISO). `feed` is
    the PJM Data Miner feed; `interval_minutes` the NYISO real-time interval length.
    """
    with engine.connect() as conn:
        if not campus_exists(conn, campus_id):
            raise CampusNotFound(campus_id)
    rows = parse_price_file(file_format, source_name, content, feed=feed, interval_minutes=interval_minutes)
    if not rows:
        raise BadInput(source_name, None, None, "the file holds no prices; nothing stored")
    sink = io.BytesIO()
    pq.write_table(price_table(rows), sink)
    sha256_hex, uri, already_stored = _put(settings, campus_id, sink.getvalue())
    return StoredPrices(campus_id, uri, sha256_hex, len(rows), already_stored)


def campus_price_uris(settings: Settings, campus_id: str) -> list[str]:
    """Every stored price file of the campus, sorted by name (its sha256); none yet is an empty list."""
    filesystem, folder = resolve(_folder_uri(settings, campus_id))
    selector = pafs.FileSelector(folder, allow_not_found=True)
    names = sorted(info.base_name for info in filesystem.get_file_info(selector)
                   if info.type == pafs.FileType.File and info.base_name.endswith(".parquet"))
    if len(names) > FILES_PER_CAMPUS_MAX:
        raise BadInput(_folder_uri(settings, campus_id), None, None,
                       f"{len(names)} price files, more than {FILES_PER_CAMPUS_MAX}; prune the store")
    return [f"{_folder_uri(settings, campus_id)}/{name}" for name in names]


def _put(settings: Settings, campus_id: str, data: bytes) -> tuple[str, str, bool]:
    """`<sha256>.parquet`, written atomically (common.storage); the same content already there stays untouched."""
    stored = storage.put_content_addressed(_folder_uri(settings, campus_id), data, ".parquet")
    return stored.sha256_hex, stored.uri, not stored.created


def _folder_uri(settings: Settings, campus_id: str) -> str:
    # Built like the claim-check URIs of `billing.service.cycle_folder_uri`: settlement opens both alike.
    return f"{settings.data_root_uri.rstrip('/')}/prices/{campus_id}"
