"""Data-quality plot of one meter as SVG: energy per interval with every estimated, edited, suspect or
missing interval marked in its colour underneath. No plotting library: the picture is a few shapes.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.uri import resolve
from meterdata.schema import QUALITY_EDITED, QUALITY_ESTIMATED, QUALITY_MISSING, QUALITY_SUSPECT

POINTS_MAX = 1200
"""Columns drawn; longer series are reduced to the maximum of each bucket so spikes stay visible."""
MARK_COLOURS = (
    (QUALITY_MISSING, "#7f7f7f", "missing"),
    (QUALITY_ESTIMATED, "#ff9f1c", "estimated"),
    (QUALITY_EDITED, "#2e86de", "edited"),
    (QUALITY_SUSPECT, "#d62828", "suspect"),
)


def load_meter_series(validated_uri: str, meter_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(interval start us, energy Wh, quality) of one meter's main channel, in time order."""
    filesystem, path = resolve(validated_uri)
    table = pq.read_table(path, filesystem=filesystem, columns=["meter_id", "channel", "interval_start_utc",
                                                                 "energy_wh", "quality"],
                          filters=[("meter_id", "=", meter_id)])
    table = table.filter(pc.not_equal(table["channel"], "register")).sort_by("interval_start_utc")
    return (table["interval_start_utc"].cast("int64").to_numpy(), table["energy_wh"].to_numpy(),
            table["quality"].to_numpy())


def quality_svg(meter_id: str, energy_wh: np.ndarray, quality: np.ndarray, score: str | None = None,
                width_px: int = 960, height_px: int = 240) -> str:
    columns = max(1, min(POINTS_MAX, energy_wh.shape[0]))
    buckets = np.array_split(np.arange(energy_wh.shape[0]), columns) if energy_wh.size else []
    peaks = np.array([energy_wh[b].max() for b in buckets]) if buckets else np.zeros(0, np.int64)
    marks = np.array([np.bitwise_or.reduce(quality[b]) for b in buckets]) if buckets else np.zeros(0, np.uint8)
    plot_height = height_px - 70
    top = max(1, int(peaks.max())) if peaks.size else 1
    step = width_px / max(1, len(buckets))
    points = " ".join(f"{i * step:.1f},{30 + plot_height - plot_height * int(v) / top:.1f}" for i, v in enumerate(peaks))
    shapes = [f'<polyline fill="none" stroke="#222" stroke-width="1" points="{points}"/>']
    for bit, colour, _label in MARK_COLOURS:
        for i in np.flatnonzero(marks & bit):
            shapes.append(f'<rect x="{i * step:.1f}" y="{height_px - 36}" width="{max(step, 1):.1f}" height="10" fill="{colour}"/>')
    legend = " ".join(
        f'<tspan fill="{colour}">■ {label} {int(np.count_nonzero(quality & bit))}</tspan>'
        for bit, colour, label in MARK_COLOURS
    )
    title = f"{escape(meter_id)}: {energy_wh.shape[0]} intervals, peak {top / 1000:.1f} kWh per interval"
    if score is not None:
        title += f", data-quality score {escape(score)}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}" font-family="sans-serif"'
        f' font-size="12"><text x="4" y="16">{title}</text>{"".join(shapes)}'
        f'<text x="4" y="{height_px - 8}">{legend}</text></svg>'
    )
