"""The tenant portal's usage charts: axes with kWh ticks from integer Wh, local-time labels, escaped text, and a
plain sentence instead of an empty chart."""

from __future__ import annotations

import re

from api.web.usage_charts import kwh_text, usage_chart_svg


def test_daily_bars_have_a_kwh_axis_local_labels_and_one_bar_per_day() -> None:
    points = [(f"01-{day:02d}", 24_000 + day * 1_000) for day in range(1, 32)]
    svg = usage_chart_svg(points, "Daily energy, 2026-01", "Local day (America/Chicago)", bars=True)
    assert svg.count('class="bar"') == 31
    assert "Energy (kWh)" in svg and "Local day (America/Chicago)" in svg
    ticks = re.findall(r'class="tick">([^<]+)<', svg)
    assert "0.0" in ticks and "55.0" in ticks  # the y axis runs from 0 to the peak, 55,000 Wh
    assert "01-01" in ticks and len([t for t in ticks if t.startswith("01-")]) <= 4  # at most four time labels
    assert "01-01: 25.0 kWh" in svg


def test_interval_line_and_empty_and_hostile_text() -> None:
    line = usage_chart_svg([("01-01 00:00", 1_500), ("01-01 01:00", 3_000)], "Intervals <x>", "Local time", bars=False)
    assert "<polyline" in line and "Intervals &lt;x&gt;" in line and "<x>" not in line
    empty = usage_chart_svg([], "Daily", "Local day", bars=True)
    assert "No metered usage for this period." in empty and "<rect" not in empty
    assert kwh_text(1_234_567) == "1,234.6"
