"""The energy balance with a battery: discharge is a source, charge a use, losses the residual; the finance chart
draws both and keeps a balance without storage as it was."""

from __future__ import annotations

import re

from api.web.charts import BAR_HEIGHT_MAX_PX, energy_balance_svg
from billing.findings import ReviewLimits, balance_findings
from billing.ledger_entries import energy_legs
from campus import MeterRole
from ledger.accounts import normal_side
from settlement.engine.balance import energy_balance
from settlement.engine.meters import MeterRef

METERS = [MeterRef("PV", MeterRole.GENERATION, None, 15), MeterRef("GRID", MeterRole.GRID_IMPORT, None, 15),
          MeterRef("A", MeterRole.TENANT, "alpha", 15), MeterRef("SH", MeterRole.SHARED, None, 15),
          MeterRef("CHG", MeterRole.STORAGE_CHARGE, None, 15), MeterRef("DIS", MeterRole.STORAGE_DISCHARGE, None, 15)]


def test_losses_close_sources_and_uses_with_a_battery() -> None:
    """Sources 400 000 + 500 000 + 180 000 = 1 080 000; uses 700 000 + 100 000 + 250 000 = 1 050 000: losses 30 000."""
    balance = energy_balance(METERS, {"PV": 400_000, "GRID": 500_000, "A": 700_000, "SH": 100_000,
                                      "CHG": 250_000, "DIS": 180_000})
    assert (balance.storage_charge_wh, balance.storage_discharge_wh, balance.losses_wh) == (250_000, 180_000, 30_000)


def test_ledger_legs_post_charge_and_discharge_and_sum_to_zero() -> None:
    balance = {"generation_wh": 400_000, "grid_import_wh": 500_000, "export_wh": 0, "tenant_consumption_wh": 700_000,
               "shared_consumption_wh": 100_000, "losses_wh": 30_000, "storage_charge_wh": 250_000,
               "storage_discharge_wh": 180_000}
    legs = energy_legs("c1", balance, {"alpha": 700_000})
    assert ("campus:c1:energy:storage_charge", legs[0][1], 250_000) in legs
    assert ("campus:c1:energy:storage_discharge", legs[0][1], -180_000) in legs
    assert sum(leg[2] for leg in legs) == 0
    # The chart knows both accounts: charge is a use (debit), discharge a supply (credit).
    assert (normal_side("campus:c1:energy:storage_charge"), normal_side("campus:c1:energy:storage_discharge")) == \
        ("debit", "credit")
    # A balance recorded before storage existed has no storage keys and posts as before.
    old = {key: value for key, value in balance.items() if not key.startswith("storage")} | {"losses_wh": -40_000}
    assert not any("storage" in leg[0] for leg in energy_legs("c1", old, {"alpha": 700_000}))


def test_discharge_counts_as_supply_for_the_balance_tolerance() -> None:
    """Supply 1 080 000 Wh at the default tolerance: losses of 30 000 Wh pass only with discharge counted."""
    limits = ReviewLimits(balance_tolerance_permille=30, vee_score_min_hundredths=9500, change_highlight_permille=100,
                          amount_change_limit_permille=200)
    allowed_wh = 1_080_000 * limits.balance_tolerance_permille // 1000
    balance = {"generation_wh": 400_000, "grid_import_wh": 500_000, "storage_discharge_wh": 180_000,
               "losses_wh": allowed_wh}
    assert balance_findings(balance, limits) == []
    assert [f.code for f in balance_findings(balance | {"losses_wh": allowed_wh + 1}, limits)] == ["balance"]


def test_the_chart_draws_the_battery_on_both_bars() -> None:
    """Sources 1 080 000 Wh are the full bar: discharge 1/6 of it, charge 25/108."""
    svg = energy_balance_svg({"generation_wh": 400_000, "grid_import_wh": 500_000, "storage_discharge_wh": 180_000,
                              "tenant_consumption_wh": 700_000, "shared_consumption_wh": 100_000, "export_wh": 0,
                              "storage_charge_wh": 250_000, "losses_wh": 30_000})
    heights = {key: float(h) for key, h in re.findall(r'data-key="(\w+)"[^>]*height="([\d.]+)"', svg)}
    assert heights["storage_discharge_wh"] == round(BAR_HEIGHT_MAX_PX * 180_000 / 1_080_000, 2)
    assert heights["storage_charge_wh"] == round(BAR_HEIGHT_MAX_PX * 250_000 / 1_080_000, 2)
    assert "Battery discharge 0.180 MWh" in svg and "does not close" not in svg
    assert "Battery" not in energy_balance_svg({"generation_wh": 1, "tenant_consumption_wh": 1})
