"""The thinned load (connectors.thinning: readings near boundaries, every reading of an irregular interval) derives
exactly what the full load of the window derives, on a real PostgreSQL: random reading streams with wraps, resets,
meter exchanges, rejected drops, gaps, uncertain and bad values, clock skew and rate spikes (hypothesis), and the
two cases a boundary-only load would get wrong, worked by hand: a reset followed by growth past the old register
inside one interval, and a run of rejected readings that continues into an interval whose own steps all rise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from connectors import repository as repo
from connectors.derive import load_channel_readings
from connectors.intervals import ChannelRules, Derivation, IntervalFlag, derive_intervals
from connectors.reading import ReadingQuality, RegisterReading
from connectors.repository import ReadingRow
from tests.integration.connectors.conftest import apply_live_campus

WINDOW_START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(hours=1)
METER = "GT1-GEN"
FIVE_MINUTES = ChannelRules(5, register_modulus_wh=1_000_000, power_max_w=2_000_000)
CAMPUS_BY_ENGINE: dict[int, str] = {}

# Event kinds by weight out of 100: most steps rise a little, the rest are the register cases of the rules.
KINDS = ([("rise", 70), ("gap", 4), ("wrap", 4), ("reset", 4), ("drop", 4), ("exchange", 3), ("uncertain", 3),
          ("bad", 3), ("skew", 2), ("spike", 3)])
KIND_BY_ROLL = [kind for kind, weight in KINDS for _ in range(weight)]


def campus_id(engine: Engine) -> str:
    if id(engine) not in CAMPUS_BY_ENGINE:
        CAMPUS_BY_ENGINE[id(engine)] = apply_live_campus(engine)
    return CAMPUS_BY_ENGINE[id(engine)]


def store(engine: Engine, readings: Sequence[RegisterReading]) -> None:
    """Through the store's own insert (one batch row, COPY, ON CONFLICT)."""
    sha = uuid.uuid4().hex
    with engine.begin() as conn:
        repo.insert_batch(conn, sha, campus_id(engine), f"/nowhere/{sha}", 0, 1)
        repo.insert_new_readings(conn, campus_id(engine), sha,
                                 [ReadingRow(reading, "test", 0) for reading in readings])


def stream(channel: str, events: Sequence[tuple[int, int, int]]) -> list[RegisterReading]:
    """Readings from (kind roll, milliseconds to the next reading, Wh) events, from 09:58 on."""
    readings = []
    ts = WINDOW_START - timedelta(minutes=2)
    register_wh, serial = 995_000, "A"
    for roll, gap_ms, amount_wh in events:
        kind = KIND_BY_ROLL[roll]
        ts += timedelta(milliseconds=gap_ms * (60 if kind == "gap" else 1))
        quality, received = ReadingQuality.GOOD, ts + timedelta(milliseconds=30)
        value: int | None = None
        if kind in ("rise", "gap", "uncertain", "skew"):
            register_wh = (register_wh + amount_wh) % 1_000_000
        elif kind == "wrap":
            register_wh = (register_wh + 1_000_000 - amount_wh // 10) % 1_000_000 if amount_wh > 900 else \
                (register_wh + amount_wh) % 1_000_000
        elif kind == "reset":
            register_wh = amount_wh // 100
        elif kind == "exchange":
            serial, register_wh = ("B" if serial == "A" else "A"), amount_wh
        elif kind == "spike":
            register_wh = (register_wh + 50 * amount_wh) % 1_000_000
        value = None if kind == "bad" else (register_wh // 2 if kind == "drop" else register_wh)
        if kind == "uncertain":
            quality = ReadingQuality.UNCERTAIN
        elif kind == "bad":
            quality = ReadingQuality.BAD
        elif kind == "skew":
            received = ts - timedelta(seconds=5)
        readings.append(RegisterReading(METER, channel, ts, received, value, quality, str(value), serial))
    return readings


def both_loads(engine: Engine, channel: str, rules: ChannelRules) -> tuple[Derivation, Derivation, int, int]:
    with engine.begin() as conn:
        full = repo.load_readings(conn, campus_id(engine), METER, channel, WINDOW_START, WINDOW_END)
        thinned = load_channel_readings(conn, campus_id(engine), METER, channel, rules, WINDOW_START, WINDOW_END)
    return (derive_intervals(full, rules, WINDOW_START, WINDOW_END),
            derive_intervals(thinned.readings, rules, WINDOW_START, WINDOW_END), len(full), len(thinned.readings))


EVENTS = st.lists(st.tuples(st.integers(0, 99), st.integers(200, 20_000), st.integers(0, 1_500)),
                  min_size=50, max_size=800)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS, power_known=st.booleans())
def test_the_thinned_load_derives_what_the_full_load_derives(engine: Engine, events: list[tuple[int, int, int]],
                                                             power_known: bool) -> None:
    """Same intervals (energy and flags), same rejections, on any stream; the thinned load is a subset."""
    channel = f"c-{uuid.uuid4().hex[:12]}"
    store(engine, stream(channel, events))
    rules = FIVE_MINUTES if power_known else ChannelRules(5, register_modulus_wh=1_000_000)
    full, thinned, full_count, thinned_count = both_loads(engine, channel, rules)
    assert thinned == full
    assert thinned_count <= full_count


def test_a_steady_hour_at_one_second_reads_a_few_rows_per_interval(engine: Engine) -> None:
    """Readings 1 Wh a second, 40 ms after each second from 09:59:59 to 11:00:01: the full load is the hour's
    3,600 and the two bracketing ones (09:59:59.04, 11:00:00.04). The thinned one keeps per 5-minute interval its
    first reading (40 ms past the boundary) and its last (0.96 s before the next), both within the 1 s
    tolerance, nothing else: 12 × 2 + 2 = 26 rows. Each boundary takes the reading 0.96 s before it (the first
    within tolerance), so each interval is 300 Wh, measured."""
    channel = f"steady-{uuid.uuid4().hex[:8]}"
    readings = [RegisterReading(METER, channel, WINDOW_START + timedelta(seconds=s, milliseconds=40),
                                WINDOW_START + timedelta(seconds=s, milliseconds=70), 10_000 + s,
                                ReadingQuality.GOOD, str(10_000 + s)) for s in range(-1, 3_602)]
    store(engine, readings)
    full, thinned, full_count, thinned_count = both_loads(engine, channel, FIVE_MINUTES)
    assert thinned == full
    assert (full_count, thinned_count) == (3_602, 26)
    assert [interval.energy_wh for interval in thinned.intervals] == [300] * 12


def test_a_reset_then_growth_past_the_old_register_inside_one_interval_is_found(engine: Engine) -> None:
    """100,000 Wh at 10:00:00 rising 10 Wh/s to 101,200 at 10:02:00; the meter resets to 0 at 10:02:01 and rises
    1,000 Wh/s, past the old register: 178,000 at 10:04:59, 478,000 at 10:09:59 (each boundary takes the reading
    a second before it, the first within tolerance). The boundary readings alone would give 10:00–10:05 =
    178,000 − 100,000 = 78,000 Wh; the reset rule gives 1,200 (to the reset) + 0 (the reset reading R2 = 0)
    + 178,000 = 179,200 Wh, flagged reset span; 10:05–10:10 is 478,000 − 178,000 = 300,000 Wh, unflagged."""
    channel = f"reset-{uuid.uuid4().hex[:8]}"
    values = [(s, 100_000 + 10 * s) for s in range(121)] + [(121, 0)]
    values += [(s, (s - 121) * 1_000) for s in range(122, 601)]
    readings = [RegisterReading(METER, channel, WINDOW_START + timedelta(seconds=s), WINDOW_START
                                + timedelta(seconds=s, milliseconds=20), wh, ReadingQuality.GOOD, str(wh))
                for s, wh in values]
    store(engine, readings)
    rules = ChannelRules(5, power_max_w=None)
    full, thinned, _, _ = both_loads(engine, channel, rules)
    assert thinned == full
    first, second = thinned.intervals
    assert (first.energy_wh, first.flags) == (179_200, IntervalFlag.RESET_SPAN)
    assert (second.energy_wh, second.flags) == (300 * 1_000, IntervalFlag.NONE)


def test_rejected_readings_continuing_into_a_rising_interval_are_loaded_whole(engine: Engine) -> None:
    """Power limit 36 kW (10 Wh/s, 11 Wh/s with the margin). 10:00:00–10:04:59 rise 10 Wh/s from 500,000 to
    502,990; from 10:05:00 the register shows 1,000 rising 10 Wh/s: each reading is compared with 502,990 (no
    modulus: not a wrap) and is a reset only once R2 ≤ 11 Wh/s × Δt since 10:04:59, i.e. at 10:05:00 + k s with
    1,000 + 10k ≤ 11(k + 1): k ≥ 989 (10:21:29), so 989 readings are rejected, most of them in intervals whose
    own steps all rise (thinned at first, then loaded whole). The sum over 10:00–10:30 is 2,990 + the reset's
    10,890 + 10 × 510 s after it = 18,980 Wh; 10:25–10:30 is 15,990 − 12,990 = 3,000 Wh (the readings at
    10:29:59 and 10:24:59), measured."""
    channel = f"reject-{uuid.uuid4().hex[:8]}"
    values = [(s, 500_000 + 10 * s) for s in range(300)] + [(s, 1_000 + 10 * (s - 300)) for s in range(300, 1_800)]
    readings = [RegisterReading(METER, channel, WINDOW_START + timedelta(seconds=s), WINDOW_START
                                + timedelta(seconds=s, milliseconds=20), wh, ReadingQuality.GOOD, str(wh))
                for s, wh in values]
    store(engine, readings)
    rules = ChannelRules(5, power_max_w=36_000)
    full, thinned, full_count, thinned_count = both_loads(engine, channel, rules)
    assert thinned == full
    assert len(thinned.rejected) == 989
    assert len(thinned.intervals) == 6 and sum(i.energy_wh for i in thinned.intervals) == 18_980
    assert (thinned.intervals[-1].energy_wh, thinned.intervals[-1].flags) == (3_000, IntervalFlag.NONE)
    assert thinned_count < full_count
