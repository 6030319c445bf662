"""Fixtures for meter-data unit tests: a registry and a helper writing CSV bytes to a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterdata import MeterSpec


@pytest.fixture
def demo_meters() -> dict[str, MeterSpec]:
    specs = [
        MeterSpec("GT1-GEN", "generation", "kWh", 15, rated_kw=50_000),
        MeterSpec("GT1-FUEL", "fuel", "MMBtu", 15),
        MeterSpec("GRID-IMP", "grid_import", "kWh", 15),
        MeterSpec("T1-LOAD", "tenant_consumption", "kWh", 15, tenant_id="t1"),
        MeterSpec("SHARED", "shared_consumption", "kWh", 15),
    ]
    return {spec.meter_id: spec for spec in specs}


@pytest.fixture
def write_file(tmp_path: Path):
    def write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return str(path)

    return write
