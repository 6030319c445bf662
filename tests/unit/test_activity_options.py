"""Activity timeouts: configurable, scaled with the campus's meters, carried by the workflows' inputs."""

from __future__ import annotations

import pytest

from settings import Settings
from workflows.activity_options import (
    ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT,
    ACTIVITY_TIMEOUT_S_DEFAULT,
    activity_timeout_s_for,
)
from workflows.billing_cycle_types import CycleInput
from workflows.cycle_correction_types import CorrectionInput


def test_small_campuses_keep_the_floor_and_large_ones_scale_with_their_meters() -> None:
    settings = Settings()
    floor_s, per_meter_ms = settings.activity_timeout_s_min, settings.activity_timeout_ms_per_meter
    assert floor_s == ACTIVITY_TIMEOUT_S_DEFAULT == 600
    assert activity_timeout_s_for(12, floor_s, per_meter_ms) == 600
    assert activity_timeout_s_for(2_000, floor_s, per_meter_ms) == 1_000
    assert activity_timeout_s_for(20_000, floor_s, per_meter_ms) == 10_000
    assert activity_timeout_s_for(3, 60, 333) == 60
    assert activity_timeout_s_for(1_001, 1, 1) == 2, "rounded up to whole seconds"
    assert activity_timeout_s_for(20_000, 600, 0) == 600, "0 per meter: a fixed timeout"


def test_bad_figures_are_refused() -> None:
    with pytest.raises(ValueError, match="meter_count -1"):
        activity_timeout_s_for(-1, 600, 500)
    with pytest.raises(ValueError, match="timeout_s_min 0"):
        activity_timeout_s_for(1, 0, 500)


def test_settings_are_read_from_the_environment_with_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTLEDGER_ACTIVITY_TIMEOUT_S_MIN", "900")
    monkeypatch.setenv("WATTLEDGER_ACTIVITY_TIMEOUT_MS_PER_METER", "250")
    monkeypatch.setenv("WATTLEDGER_ACTIVITY_HEARTBEAT_TIMEOUT_S", "45")
    settings = Settings()
    assert (settings.activity_timeout_s_min, settings.activity_timeout_ms_per_meter,
            settings.activity_heartbeat_timeout_s) == (900, 250, 45)
    monkeypatch.setenv("WATTLEDGER_ACTIVITY_HEARTBEAT_TIMEOUT_S", "5")
    with pytest.raises(ValueError, match="activity_heartbeat_timeout_s"):
        Settings()


def test_inputs_without_timeouts_get_the_values_every_run_had_before() -> None:
    """Histories recorded before the timeouts were configurable decode to the same options on replay."""
    cycle = CycleInput("cycle:c:2026-01", "c", "2026-01", [])
    correction = CorrectionInput("correction:cycle:c:2026-01:r1", "cycle:c:2026-01", "c", "2026-01", 1, "ops")
    for inp in (cycle, correction):
        assert (inp.activity_timeout_s, inp.activity_heartbeat_timeout_s) == (600, ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT)
