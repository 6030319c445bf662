"""Finance's findings from a priced battery's figures (the settle step's `storage`): the export's share is shown as the
campus's, and unmetered battery energy blocks approval until accepted with a reason; hand-worked figures."""

from __future__ import annotations

from billing.findings import Finding, storage_findings

EXPORT_MONTH = {"exported_wh": 44_640_000, "exported_cost_usd_micros": 1_785_600_000, "exported_losses_wh": 5_580_000,
                "exported_losses_cost_usd_micros": 223_200_000, "unmetered_discharge_wh": 0, "unmetered_charge_wh": 0}


def test_the_exported_share_is_shown_as_the_campuss_without_blocking() -> None:
    """$1 785.60 of supply and $223.20 of losses: $2 008.80."""
    assert storage_findings({"bess1": EXPORT_MONTH}) == [Finding(
        "storage_export:bess1", "bess1: 44.640 MWh of battery discharge went to export and 5.580 MWh of its losses "
        "with it, $2,008.80 at the charging energy's cost: the campus's, billed to no tenant", blocking=False)]


def test_unmetered_battery_energy_blocks_until_accepted() -> None:
    figures = {"exported_wh": 0, "unmetered_discharge_wh": 100_000, "unmetered_charge_wh": 200_000}
    assert storage_findings({"bess1": figures}) == [Finding(
        "storage_unmetered:bess1", "bess1: 0.100 MWh discharged with no metered use (counted with the battery's "
        "losses, billed by its losses key) and 0.200 MWh charged with no metered supply (no cost): see the VEE "
        "report's storage findings", blocking=True)]
    assert storage_findings({"bess1": {"exported_wh": 0, "unmetered_discharge_wh": 0}}) == []
