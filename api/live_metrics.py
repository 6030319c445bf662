"""Prometheus metrics of the live connectors, read from the store at scrape time (right across connector restarts,
whichever process ingested): appended to `/metrics` by api.routes.ops.

    connector_readings_total{campus,meter,channel,protocol,result}   result: stored | duplicate | conflict
    connector_duplicates_total{campus,meter,channel}
    connector_conflicts_total{campus,meter,channel}
    connector_lag_seconds{campus,meter,channel}          receipt − source time of the channel's latest reading
    meter_last_reading_age_seconds{campus,meter,channel} now − source time of the latest reading
    meter_completeness_ratio{campus,meter,channel,window} window: day | period (local day, billing month)
    connector_silent_meters{campus}                      channels silent for 3 × their expected period
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from connectors.live import CampusLive, campus_live
from connectors.service import campuses_with_channels

CHANNEL_LABELS = ["campus", "meter", "channel"]


class LiveCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        now = datetime.now(UTC)
        views = [campus_live(self.engine, campus_id, now) for campus_id in campuses_with_channels(self.engine)]
        yield from live_families(views)


def live_families(views: list[CampusLive]) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    readings = CounterMetricFamily("connector_readings", "Register readings received, by outcome.",
                                   labels=[*CHANNEL_LABELS, "protocol", "result"])
    duplicates = CounterMetricFamily("connector_duplicates", "Readings received again (same key, same value).",
                                     labels=CHANNEL_LABELS)
    conflicts = CounterMetricFamily("connector_conflicts", "Readings offered with another value for a stored key.",
                                    labels=CHANNEL_LABELS)
    lag = GaugeMetricFamily("connector_lag_seconds", "Receipt minus source time of the latest reading.",
                            labels=CHANNEL_LABELS)
    age = GaugeMetricFamily("meter_last_reading_age_seconds", "Age of the latest reading's source time.",
                            labels=CHANNEL_LABELS)
    ratio = GaugeMetricFamily("meter_completeness_ratio", "Intervals with a reading / intervals ended.",
                              labels=[*CHANNEL_LABELS, "window"])
    silent = GaugeMetricFamily("connector_silent_meters", "Channels silent for 3 x their period.", labels=["campus"])
    for view in views:
        silent.add_metric([view.campus_id], view.silent_count)
        for channel in view.channels:
            labels = [view.campus_id, channel.meter_id, channel.channel]
            for result, count in (("stored", channel.reading_count), ("duplicate", channel.duplicate_count),
                                  ("conflict", channel.conflict_count)):
                readings.add_metric([*labels, channel.protocol, result], count)
            duplicates.add_metric(labels, channel.duplicate_count)
            conflicts.add_metric(labels, channel.conflict_count)
            if channel.last_source_ts_utc is not None and channel.last_received_ts_utc is not None:
                lag.add_metric(labels, (channel.last_received_ts_utc - channel.last_source_ts_utc).total_seconds())
            if channel.age_seconds is not None:
                age.add_metric(labels, channel.age_seconds)
            for window, value in (("day", channel.completeness_today), ("period", channel.completeness_period)):
                if value is not None:
                    ratio.add_metric([*labels, window], value)
    yield from (readings, duplicates, conflicts, lag, age, ratio, silent)


def render_live_metrics(engine: Engine | None) -> bytes:
    if engine is None:
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LiveCollector(engine))
    return generate_latest(registry)
