"""Prometheus metrics: what the worker process counts, plus what only the database knows, read at scrape time.

Process metrics (default registry; the worker increments them through `ActivityObserver`):
    wattledger_activity_duration_seconds{activity,outcome}   histogram
    wattledger_activity_failures_total{activity,error_type}  counter (every failed attempt, retried or not)
    wattledger_cycle_transitions_total{phase}                counter (phase changes recorded by cycles)
    wattledger_vee_readings_total / _estimated_total         counters, from each VEE run
    wattledger_vee_rule_flags_total{rule}                    counter, intervals flagged per VEE rule

Database metrics (a fresh collector per scrape, so they are right after any restart and across workers):
    wattledger_cycles{status}                                gauge: cycles in each status now
    wattledger_cycle_duration_seconds                        histogram: created -> completed, completed cycles
    wattledger_ledger_entries_total{ledger}                  counter: `rate()` of it is the ledger append rate
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

# Activities run from milliseconds (status) to minutes (a month of numba VEE on a big campus).
ACTIVITY_BUCKETS_S = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# A cycle spans finance approval, so its duration runs from seconds (tests) to days.
CYCLE_BUCKETS_S = (10, 60, 300, 1800, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
# Bounds the scrape query; older completed cycles no longer move the histogram much.
CYCLE_DURATIONS_ROWS_MAX = 10_000

ACTIVITY_DURATION = Histogram(
    "wattledger_activity_duration_seconds", "Activity attempt duration.", ["activity", "outcome"],
    buckets=ACTIVITY_BUCKETS_S,
)
ACTIVITY_FAILURES = Counter(
    "wattledger_activity_failures", "Failed activity attempts by error type.", ["activity", "error_type"]
)
CYCLE_TRANSITIONS = Counter("wattledger_cycle_transitions", "Cycle phase changes recorded.", ["phase"])
VEE_READINGS = Counter("wattledger_vee_readings", "Readings validated by VEE.")
VEE_ESTIMATED = Counter("wattledger_vee_estimated", "Readings estimated by VEE.")
VEE_RULE_FLAGS = Counter("wattledger_vee_rule_flags", "Intervals flagged per VEE rule.", ["rule"])


def count_vee_report(reading_count: int, estimated_count: int, report: Mapping[str, object]) -> None:
    VEE_READINGS.inc(reading_count)
    VEE_ESTIMATED.inc(estimated_count)
    rules = report.get("rules")
    if not isinstance(rules, Mapping):
        return
    for rule, per_meter in rules.items():
        if isinstance(per_meter, Mapping):
            flagged = sum(value for value in per_meter.values() if isinstance(value, int))
            if flagged:
                VEE_RULE_FLAGS.labels(rule=str(rule)).inc(flagged)


class DatabaseCollector(Collector):
    """Reads cycle states, cycle durations and ledger sizes from PostgreSQL on each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily | CounterMetricFamily]:
        with self.engine.connect() as conn:
            statuses = conn.execute(text("SELECT status, count(*) FROM billing_cycle GROUP BY status")).all()
            durations_s = conn.execute(
                text("SELECT extract(epoch FROM updated_at_utc - created_at_utc)::float8 FROM billing_cycle "
                     "WHERE status = 'completed' ORDER BY updated_at_utc DESC LIMIT :limit"),
                {"limit": CYCLE_DURATIONS_ROWS_MAX},
            ).scalars().all()
            ledgers = conn.execute(text(
                "SELECT l.origin, count(e.seq) FROM ledger l LEFT JOIN ledger_entry e USING (ledger_id) "
                "GROUP BY l.origin")).all()
        cycles = GaugeMetricFamily("wattledger_cycles", "Cycles in each status.", labels=["status"])
        for status, count in statuses:
            cycles.add_metric([status], count)
        yield cycles
        yield cycle_duration_histogram(list(durations_s))
        entries = CounterMetricFamily("wattledger_ledger_entries", "Ledger entries appended.", labels=["ledger"])
        for origin, count in ledgers:
            entries.add_metric([origin], count)
        yield entries


def cycle_duration_histogram(durations_s: list[float]) -> HistogramMetricFamily:
    buckets = [(str(bound), sum(1 for d in durations_s if d <= bound)) for bound in CYCLE_BUCKETS_S]
    buckets.append(("+Inf", len(durations_s)))
    return HistogramMetricFamily(
        "wattledger_cycle_duration_seconds", "Completed cycles, created to completed.",
        buckets=buckets, sum_value=sum(durations_s),
    )


def render_metrics(engine: Engine | None) -> bytes:
    """The text exposition of the process metrics plus, with an engine, the database metrics."""
    body = generate_latest(REGISTRY)
    if engine is None:
        return body
    per_scrape = CollectorRegistry(auto_describe=False)
    per_scrape.register(DatabaseCollector(engine))
    return body + generate_latest(per_scrape)
