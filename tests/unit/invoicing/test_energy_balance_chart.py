"""The finance page's energy-balance SVG draws each quantity to one scale and flags a balance that does not close."""

from __future__ import annotations

import re

from api.web.charts import BAR_HEIGHT_MAX_PX, energy_balance_svg

BALANCE = {"generation_wh": 600, "grid_import_wh": 400, "tenant_consumption_wh": 700, "shared_consumption_wh": 150,
           "export_wh": 100, "losses_wh": 50}


def _heights(svg: str) -> dict[str, float]:
    return {key: float(height) for key, height in re.findall(r'data-key="(\w+)"[^>]*height="([\d.]+)"', svg)}


def test_bars_are_proportional_on_one_scale() -> None:
    """Sources total 1,000 Wh = full height: generation 60 %, tenants 70 %, losses 5 % of the bar."""
    heights = _heights(energy_balance_svg(BALANCE))
    assert heights["generation_wh"] == BAR_HEIGHT_MAX_PX * 0.6
    assert heights["tenant_consumption_wh"] == BAR_HEIGHT_MAX_PX * 0.7
    assert heights["losses_wh"] == BAR_HEIGHT_MAX_PX * 0.05
    assert "does not close" not in energy_balance_svg(BALANCE)


def test_an_open_balance_is_stated_not_hidden() -> None:
    """When uses exceed sources the chart says so and names both totals."""
    svg = energy_balance_svg({**BALANCE, "losses_wh": 1_000_050})
    assert "Balance does not close" in svg and "1.001 MWh" in svg


def test_labels_show_mwh_from_integer_wh() -> None:
    """Legend values are exact MWh with three decimals (2,500,000 Wh -> 2.500 MWh)."""
    assert "Generation 2.500 MWh" in energy_balance_svg({**BALANCE, "generation_wh": 2_500_000})


def test_the_chart_has_an_energy_axis_in_mwh_from_zero_to_the_scale() -> None:
    """The axis names its unit and ticks at 0, 1/4 .. 4/4 of the larger bar: 1,000 MWh of supply gives 0..1,000."""
    svg = energy_balance_svg({"generation_wh": 600_000_000, "grid_import_wh": 400_000_000,
                              "tenant_consumption_wh": 900_000_000, "shared_consumption_wh": 0, "export_wh": 0,
                              "losses_wh": 100_000_000})
    assert 'class="axis-unit"' in svg and ">MWh</text>" in svg
    ticks = [">0</text>", ">250</text>", ">500</text>", ">750</text>", ">1,000</text>"]
    assert all(tick in svg for tick in ticks)
