"""A tenant's usage as inline SVG charts with axes, units and local time (pure, no I/O).

Energy arrives in integer Wh and is labelled in kWh; the time axis is labelled in the campus's local time (the
caller passes local labels). Floats only place ink; every printed number is computed from the integers.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

WIDTH_PX = 480  # narrow, so labels stay legible when the chart is scaled to a 390 px phone
HEIGHT_PX = 270
LEFT_PX = 58
RIGHT_PX = 12
TOP_PX = 28
BOTTOM_PX = 52
TICKS_Y = 4
TICKS_X_MAX = 4


def kwh_text(energy_wh: int) -> str:
    return f"{Decimal(energy_wh) / Decimal(1_000):,.1f}"


def usage_chart_svg(points: list[tuple[str, int]], title: str, x_label: str, bars: bool) -> str:
    """Bars (daily) or a line (intervals) of `points` = [(local time label, Wh)], with a kWh y axis."""
    plot_w = WIDTH_PX - LEFT_PX - RIGHT_PX
    plot_h = HEIGHT_PX - TOP_PX - BOTTOM_PX
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="usage-chart" role="img" viewBox="0 0 {WIDTH_PX} '
              f'{HEIGHT_PX}" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'),
             f'<text x="{LEFT_PX}" y="16" class="chart-title">{escape(title)}</text>']
    if not points:
        parts.append(f'<text x="{LEFT_PX}" y="{TOP_PX + 40}">No metered usage for this period.</text></svg>')
        return "".join(parts)
    peak_wh = max(max(energy_wh for _, energy_wh in points), 1)
    base_y = TOP_PX + plot_h
    for tick in range(TICKS_Y + 1):
        value_wh = peak_wh * tick // TICKS_Y
        y = base_y - plot_h * tick / TICKS_Y
        parts.append(f'<line x1="{LEFT_PX}" y1="{y:.1f}" x2="{LEFT_PX + plot_w}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT_PX - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                     f"{kwh_text(value_wh)}</text>")
    parts.append(f'<text x="14" y="{TOP_PX + plot_h / 2:.1f}" transform="rotate(-90 14 {TOP_PX + plot_h / 2:.1f})" '
                 f'text-anchor="middle" class="axis-label">Energy (kWh)</text>')
    slot = plot_w / len(points)
    if bars:
        for index, (label, energy_wh) in enumerate(points):
            height = plot_h * max(energy_wh, 0) / peak_wh
            parts.append(f'<rect x="{LEFT_PX + index * slot + slot * 0.1:.2f}" y="{base_y - height:.2f}" '
                         f'width="{slot * 0.8:.2f}" height="{height:.2f}" class="bar"><title>{escape(label)}: '
                         f"{kwh_text(energy_wh)} kWh</title></rect>")
    else:
        coordinates = " ".join(f"{LEFT_PX + (index + 0.5) * slot:.2f},{base_y - plot_h * max(wh, 0) / peak_wh:.2f}"
                               for index, (_, wh) in enumerate(points))
        parts.append(f'<polyline points="{coordinates}" class="line" fill="none"/>')
    parts.append(f'<line x1="{LEFT_PX}" y1="{base_y}" x2="{LEFT_PX + plot_w}" y2="{base_y}" class="axis"/>'
                 f'<line x1="{LEFT_PX}" y1="{TOP_PX}" x2="{LEFT_PX}" y2="{base_y}" class="axis"/>')
    step = max(1, -(-len(points) // TICKS_X_MAX))
    for index in range(0, len(points), step):
        x = LEFT_PX + (index + 0.5) * slot
        parts.append(f'<text x="{x:.1f}" y="{base_y + 16}" text-anchor="middle" class="tick">'
                     f"{escape(points[index][0])}</text>")
    parts.append(f'<text x="{LEFT_PX + plot_w / 2:.1f}" y="{HEIGHT_PX - 8}" text-anchor="middle" '
                 f'class="axis-label">{escape(x_label)}</text></svg>')
    return "".join(parts)
