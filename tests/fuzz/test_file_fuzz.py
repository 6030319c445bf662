"""Malformed CSV and Green Button ESPI files: the ingest reader refuses each one with `BadInput` (naming the
file) or reads it; it never raises anything else, never hangs on entity expansion, never reads local files.

The files come from seeded mutators (tests/fuzz/mutators.py); a failure prints the seed and case index.
This is the parser behind every upload and every cycle's ingest step.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, MeterSpec
from meterdata.ingest import read_file_bytes
from meterdata.readings import ReadingColumns, ReadingWindow
from tests.fuzz.conftest import cases
from tests.fuzz.mutators import malformed_csv, malformed_espi

METERS = {
    "GT1-GEN": MeterSpec("GT1-GEN", "generation", "kWh", 15, rated_kw=50_000),
    "5446AF3F": MeterSpec("5446AF3F", "shared_consumption", "Wh", 15),
}
WINDOW_CSV = ReadingWindow(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
                           datetime(2026, 6, 1, tzinfo=UTC))
WINDOW_ESPI = ReadingWindow(datetime(2012, 3, 1, tzinfo=UTC), datetime(2012, 4, 1, tzinfo=UTC),
                            datetime(2026, 1, 1, tzinfo=UTC))
# One file of a few rows must parse in well under a second, whatever it holds (no entity blow-up).
CASE_SECONDS_MAX = 2.0


def _read(data: bytes, name: str, window: ReadingWindow) -> tuple[str, int]:
    try:
        rows = read_file_bytes(data, name, hashlib.sha256(data).hexdigest(), METERS, SITE_EXPORT_V1, window,
                               ReadingColumns())
        return "read", rows
    except BadInput as error:
        assert error.source == name, f"BadInput names {error.source!r}, not the file {name!r}"
        return "refused", 0


@pytest.mark.parametrize("seed", [101])
def test_malformed_csv_files_are_refused_with_bad_input_only(seed: int) -> None:
    """Thousands of broken site-export CSVs: each is read or refused with BadInput; no other exception."""
    rng = random.Random(seed)
    outcomes = {"read": 0, "refused": 0}
    for index in range(cases(quick=600, full=5000)):
        data = malformed_csv(rng)
        started = time.perf_counter()
        try:
            outcome, _ = _read(data, f"fuzz-{index}.csv", WINDOW_CSV)
        except Exception as error:
            raise AssertionError(f"seed {seed} case {index}: {type(error).__name__}: {error}\n{data[:300]!r}") from error
        assert time.perf_counter() - started < CASE_SECONDS_MAX, f"seed {seed} case {index} too slow"
        outcomes[outcome] += 1
    _record("file_fuzz_csv", seed, outcomes)
    assert outcomes["refused"] > 0.9 * sum(outcomes.values()), outcomes


@pytest.mark.parametrize("seed", [202])
def test_malformed_espi_files_are_refused_with_bad_input_only(seed: int, shared_dir: Path) -> None:
    """Broken Green Button ESPI feeds, entity bombs and external entities: BadInput only, fast, no file read."""
    sample = (shared_dir / "iso_samples" / "greenbutton_espi_15min_sample.xml").read_text()
    rng = random.Random(seed)
    outcomes = {"read": 0, "refused": 0}
    for index in range(cases(quick=300, full=5000)):
        data = malformed_espi(sample, rng)
        started = time.perf_counter()
        try:
            outcome, _ = _read(data, f"fuzz-{index}.xml", WINDOW_ESPI)
        except Exception as error:
            raise AssertionError(f"seed {seed} case {index}: {type(error).__name__}: {error}\n{data[:300]!r}") from error
        assert time.perf_counter() - started < CASE_SECONDS_MAX, f"seed {seed} case {index} too slow"
        outcomes[outcome] += 1
    _record("file_fuzz_espi", seed, outcomes)
    assert outcomes["refused"] > 0, outcomes


def _record(name: str, seed: int, outcomes: dict[str, int]) -> None:
    from tests.faults.harness import RESULTS
    from tests.fuzz.conftest import FULL

    RESULTS.mkdir(parents=True, exist_ok=True)
    body = {"seed": seed, "files": sum(outcomes.values()), **outcomes}
    (RESULTS / f"{name}_{'full' if FULL else 'quick'}.json").write_text(json.dumps(body, sort_keys=True))
