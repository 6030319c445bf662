"""Watched folder: every file dropped into the inbox is received like an upload, then moved aside.

Accepted and duplicate files go to `<inbox>/processed/`; quarantined ones, and duplicates of bytes refused
before, to `<inbox>/quarantine/` with a `<name>.reason.txt` beside them (`meterdata.service.move_aside`).
A file is taken only once its size has stopped changing between two looks, so a copy still in progress is
left for the next pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from meterdata.csv_mapping import SITE_EXPORT_V1, CsvMapping
from meterdata.raw_store import DEFAULT_UPLOAD_LIMITS, UploadLimits
from meterdata.service import ReceiveOutcome, file_chunks, move_aside, receive_file

FILES_PER_PASS_MAX = 10_000


@dataclass
class WatchState:
    sizes_seen: dict[str, int]


def watch_pass(
    engine: Engine, data_root_uri: str, campus_id: str, inbox: Path, state: WatchState,
    mapping: CsvMapping = SITE_EXPORT_V1, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
) -> list[tuple[str, ReceiveOutcome]]:
    """One look at the inbox; returns (file name, outcome) for each file taken."""
    taken: list[tuple[str, ReceiveOutcome]] = []
    candidates = sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in candidates[:FILES_PER_PASS_MAX]:
        size = path.stat().st_size
        if state.sizes_seen.get(path.name) != size:
            state.sizes_seen[path.name] = size
            continue
        outcome = receive_file(engine, data_root_uri, campus_id, path.name, file_chunks(path), mapping, limits)
        move_aside(path, inbox, outcome)
        state.sizes_seen.pop(path.name, None)
        taken.append((path.name, outcome))
    return taken


def watch(
    engine: Engine, data_root_uri: str, campus_id: str, inbox: Path, interval_s: float, passes_max: int,
    report: Callable[[str, ReceiveOutcome], None], mapping: CsvMapping = SITE_EXPORT_V1,
    limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
) -> None:
    """Look at the inbox every `interval_s` seconds, `passes_max` times (a bound, as every loop has)."""
    state = WatchState({})
    for _ in range(passes_max):
        for name, outcome in watch_pass(engine, data_root_uri, campus_id, inbox, state, mapping, limits):
            report(name, outcome)
        time.sleep(interval_s)
