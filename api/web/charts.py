"""The energy-balance chart as inline SVG, built from integer Wh (pure, no I/O).

Two stacked bars on one scale: where energy came from (generation, grid import, battery discharge) and where it
went (tenants, shared loads, export, battery charge, losses). Losses are the settlement's residual, so the bars have equal height when the
balance closes; when they do not, the chart says so instead of hiding the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

CHART_WIDTH_PX = 680
CHART_HEIGHT_PX = 300
BAR_WIDTH_PX = 120
BAR_HEIGHT_MAX_PX = 240
TOP_PX = 30
AXIS_X_PX = 88
BARS_X_PX = (100, 270)
AXIS_TICK_COUNT = 4  # ticks at a quarter, half, three quarters and all of the scale, plus zero

SOURCES = (("generation_wh", "Generation", "#2e6ea0"), ("grid_import_wh", "Grid import", "#8c9db5"),
           ("storage_discharge_wh", "Battery discharge", "#6a4c93"))
USES = (
    ("tenant_consumption_wh", "Tenants", "#3f8f4f"),
    ("shared_consumption_wh", "Shared loads", "#9bc29f"),
    ("export_wh", "Export", "#d08a2c"),
    ("storage_charge_wh", "Battery charge", "#a58cc8"),
    ("losses_wh", "Losses", "#b84a4a"),
)
STORAGE_KEYS = ("storage_charge_wh", "storage_discharge_wh")
"""Balances recorded before batteries existed lack these; a campus without a battery shows no battery rows."""
BALANCE_KEYS = tuple(key for key, _, _ in SOURCES + USES if key not in STORAGE_KEYS)


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    color: str
    energy_wh: int
    y_px: float
    height_px: float


def mwh_text(energy_wh: int) -> str:
    return f"{Decimal(energy_wh) / Decimal(1_000_000):,.3f} MWh"


def stack_segments(balance_wh: dict[str, int], parts: tuple[tuple[str, str, str], ...], scale_wh: int) -> list[Segment]:
    """Segments of one bar from the bottom up; heights proportional to energy (negative energy drawn as 0)."""
    segments: list[Segment] = []
    bottom_px = float(TOP_PX + BAR_HEIGHT_MAX_PX)
    for key, label, color in parts:
        energy_wh = balance_wh.get(key, 0)
        height_px = BAR_HEIGHT_MAX_PX * max(energy_wh, 0) / scale_wh
        bottom_px -= height_px
        segments.append(Segment(key, label, color, energy_wh, bottom_px, height_px))
    return segments


def axis_svg(scale_wh: int) -> list[str]:
    """The energy axis left of the bars: zero to the scale in MWh, with its unit."""
    bottom_px = TOP_PX + BAR_HEIGHT_MAX_PX
    parts = [f'<line class="axis" x1="{AXIS_X_PX}" y1="{TOP_PX}" x2="{AXIS_X_PX}" y2="{bottom_px}" stroke="#5b6876"/>',
             f'<text class="axis-unit" x="{AXIS_X_PX - 6}" y="{TOP_PX - 12}" text-anchor="end">MWh</text>']
    for tick in range(AXIS_TICK_COUNT + 1):
        y_px = bottom_px - BAR_HEIGHT_MAX_PX * tick / AXIS_TICK_COUNT
        tick_mwh = Decimal(scale_wh) * tick / AXIS_TICK_COUNT / Decimal(1_000_000)
        parts.append(f'<line x1="{AXIS_X_PX - 4}" y1="{y_px:.2f}" x2="{AXIS_X_PX}" y2="{y_px:.2f}" stroke="#5b6876"/>'
                     f'<text class="axis-tick" x="{AXIS_X_PX - 6}" y="{y_px + 4:.2f}" text-anchor="end">'
                     f"{tick_mwh:,.0f}</text>")
    return parts


def energy_balance_svg(balance_wh: dict[str, int]) -> str:
    """SVG markup for the balance; every label is escaped text, every number comes from `balance_wh`."""
    sources_wh = sum(max(balance_wh.get(key, 0), 0) for key, _, _ in SOURCES)
    uses_wh = sum(max(balance_wh.get(key, 0), 0) for key, _, _ in USES)
    scale_wh = max(sources_wh, uses_wh, 1)
    opening = (f'<svg xmlns="http://www.w3.org/2000/svg" class="energy-balance" role="img" '
               f'viewBox="0 0 {CHART_WIDTH_PX} {CHART_HEIGHT_PX}" width="{CHART_WIDTH_PX}" height="{CHART_HEIGHT_PX}">')
    parts = [opening, "<title>Energy balance</title>", *axis_svg(scale_wh)]
    for x_px, title, stack in ((BARS_X_PX[0], "Sources", SOURCES), (BARS_X_PX[1], "Uses", USES)):
        parts.append(f'<text x="{x_px + BAR_WIDTH_PX / 2}" y="18" text-anchor="middle" class="bar-title">'
                     f"{title}</text>")
        for segment in stack_segments(balance_wh, stack, scale_wh):
            if segment.key in STORAGE_KEYS and not segment.energy_wh:
                continue
            parts.append(
                f'<rect data-key="{segment.key}" x="{x_px}" y="{segment.y_px:.2f}" width="{BAR_WIDTH_PX}" '
                f'height="{segment.height_px:.2f}" fill="{segment.color}"><title>{escape(segment.label)}: '
                f"{mwh_text(segment.energy_wh)}</title></rect>"
            )
    legend_y_px = TOP_PX
    for key, label, color in SOURCES + USES:
        if key in STORAGE_KEYS and not balance_wh.get(key, 0):
            continue
        parts.append(f'<rect x="410" y="{legend_y_px}" width="12" height="12" fill="{color}"/>'
                     f'<text x="428" y="{legend_y_px + 10}" class="legend">{escape(label)} '
                     f"{mwh_text(balance_wh.get(key, 0))}</text>")
        legend_y_px += 20
    if sources_wh != uses_wh:
        parts.append(f'<text x="10" y="{CHART_HEIGHT_PX - 8}" class="imbalance">Balance does not close: sources '
                     f"{mwh_text(sources_wh)}, uses {mwh_text(uses_wh)}</text>")
    parts.append("</svg>")
    return "".join(parts)
