"""Chart data and SVG for the campus report: an hourly intensity heatmap and a scope breakdown bar chart.

Intensity of an hour = (Scope 1 + location-based Scope 2 grams) / campus load in kWh, i.e. the average
emissions of the energy the campus consumed in that hour. Hours without load have no intensity (grey).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from esg.factors import WH_PER_KWH
from esg.scopes import CycleEmissions

LOW_RGB = (255, 245, 200)
HIGH_RGB = (180, 20, 20)
EMPTY_RGB = (220, 220, 220)
CELL_PX = 14


@dataclass(frozen=True)
class HeatCell:
    day: date
    hour: int
    intensity_g_per_kwh: Decimal | None


@dataclass(frozen=True)
class ScopeBar:
    label: str
    g_co2e: int
    quality: str


def heatmap_cells(emissions: CycleEmissions) -> list[HeatCell]:
    cells = []
    for figure in emissions.hourly:
        start = datetime.fromisoformat(figure.hour_start_utc)
        grams = figure.scope1_g_co2e + figure.scope2_location_g_co2e
        intensity = (
            (Decimal(grams) * WH_PER_KWH / figure.load_wh).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
            if figure.load_wh
            else None
        )
        cells.append(HeatCell(start.date(), start.hour, intensity))
    return cells


def scope_bars(emissions: CycleEmissions) -> list[ScopeBar]:
    quality = emissions.data_quality
    return [
        ScopeBar("Scope 1", emissions.campus_scope1_g_co2e, quality["campus_scope1"]),
        ScopeBar(
            "Scope 2 location", emissions.campus_scope2_location_g_co2e, quality["campus_scope2_location"]
        ),
        ScopeBar("Scope 2 market", emissions.campus_scope2_market_g_co2e, quality["campus_scope2_market"]),
        ScopeBar(
            "Scope 2 market hourly",
            emissions.campus_scope2_market_hourly_g_co2e,
            quality["campus_scope2_market_hourly"],
        ),
        ScopeBar("Scope 3 cat. 3", emissions.campus_scope3_cat3_g_co2e, quality["campus_scope3_cat3"]),
    ]


def intensity_rgb(value: Decimal | None, low: Decimal, high: Decimal) -> tuple[int, int, int]:
    if value is None:
        return EMPTY_RGB
    fraction = Decimal(0) if high == low else (value - low) / (high - low)

    def channel(a: int, b: int) -> int:
        return int((Decimal(a) + (Decimal(b) - Decimal(a)) * fraction).quantize(Decimal(1), ROUND_HALF_EVEN))

    (low_r, low_g, low_b), (high_r, high_g, high_b) = LOW_RGB, HIGH_RGB
    return channel(low_r, high_r), channel(low_g, high_g), channel(low_b, high_b)


def intensity_range(cells: list[HeatCell]) -> tuple[Decimal, Decimal]:
    values = [cell.intensity_g_per_kwh for cell in cells if cell.intensity_g_per_kwh is not None]
    return (min(values), max(values)) if values else (Decimal(0), Decimal(0))


def heatmap_svg(cells: list[HeatCell]) -> str:
    days = sorted({cell.day for cell in cells})
    low, high = intensity_range(cells)
    left, top = 80, 20
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + 24 * CELL_PX + 10}" '
            f'height="{top + len(days) * CELL_PX + 30}" role="img" '
            'aria-label="Hourly emissions intensity, g CO2e per kWh">'
        )
    ]
    parts += [f'<text x="{left + h * CELL_PX}" y="14" font-size="8">{h:02d}</text>' for h in range(0, 24, 3)]
    for row, day in enumerate(days):
        parts.append(f'<text x="0" y="{top + row * CELL_PX + 10}" font-size="9">{day.isoformat()}</text>')
    for cell in cells:
        red, green, blue = intensity_rgb(cell.intensity_g_per_kwh, low, high)
        label = "no load" if cell.intensity_g_per_kwh is None else f"{cell.intensity_g_per_kwh} g/kWh"
        parts.append(
            f'<rect x="{left + cell.hour * CELL_PX}" y="{top + days.index(cell.day) * CELL_PX}" width="{CELL_PX - 1}" '
            f'height="{CELL_PX - 1}" fill="rgb({red},{green},{blue})"><title>{cell.day} {cell.hour:02d}:00 UTC: {label}</title></rect>'
        )
    parts.append(
        f'<text x="{left}" y="{top + len(days) * CELL_PX + 20}" font-size="9">UTC hour of day; colour from {low} to {high} g CO2e/kWh</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def scope_chart_svg(bars: list[ScopeBar]) -> str:
    largest = max((bar.g_co2e for bar in bars), default=0) or 1
    width_px, left = 360, 150
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width_px + 120}" height="{len(bars) * 24 + 10}" role="img" aria-label="Emissions by scope">'
    ]
    for row, bar in enumerate(bars):
        length = int((Decimal(bar.g_co2e) * width_px / largest).quantize(Decimal(1), ROUND_HALF_EVEN))
        tonnes = (Decimal(bar.g_co2e) / 1_000_000).quantize(Decimal("0.001"), ROUND_HALF_EVEN)
        y = 5 + row * 24
        parts.append(f'<text x="0" y="{y + 13}" font-size="11">{bar.label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{length}" height="16" fill="#4a6fa5"/>')
        parts.append(
            f'<text x="{left + length + 6}" y="{y + 13}" font-size="11">{tonnes} t ({bar.quality})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
