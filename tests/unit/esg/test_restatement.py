"""A corrected meter read restates the cycle: the delta names the changed figures, the meter data change, and
carries balanced ledger legs equal to new legs minus old legs, worked by hand for one ERCT hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import esg
from esg.reporting import restatement_delta
from esg.scopes import MeterRef, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
END = H0 + timedelta(hours=1)
METERS = [
    MeterRef("GRID1", "grid_import"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
]


def test_meter_correction_moves_grams_between_tenants_and_posts_only_the_difference(intervals_file):
    """1 MWh ERCT = 336,035.74 g -> 336,036 g both times; beta's read corrected from 0.5 to 0.25 MWh.

    Before: 168,017.87 each; floors 168,017 + 168,017 leave 2 g, one each -> 168,018 and 168,018.
    After: 2/3 and 1/3 -> 224,023.83 and 112,011.91; floors leave 2 g, one each -> 224,024 and 112,012.
    T&D losses (cat. 3 C): 336,035.74 x 0.042/0.958 = 14,732.30 -> 14,732; before 7,366 each; after
    9,821.53 and 4,910.77 -> floors leave 1 g, to beta's larger remainder -> 9,821 and 4,911.
    """
    before = compute_cycle_emissions(
        intervals_file(
            [("GRID1", H0, 60, 1_000_000, 0), ("TA", H0, 60, 500_000, 0), ("TB", H0, 60, 500_000, 0)]
        ),
        METERS,
        "ERCT",
        H0,
        END,
    )
    after = compute_cycle_emissions(
        intervals_file(
            [("GRID1", H0, 60, 1_000_000, 0), ("TA", H0, 60, 500_000, 0), ("TB", H0, 60, 250_000, 1)]
        ),
        METERS,
        "ERCT",
        H0,
        END,
    )
    assert [before.tenant_g_co2e[t]["scope2_location"] for t in ("alpha", "beta")] == [168_018, 168_018]
    assert [after.tenant_g_co2e[t]["scope2_location"] for t in ("alpha", "beta")] == [224_024, 112_012]
    delta = restatement_delta(before, after, "c1")
    assert delta.intervals_changed and delta.factor_edition_change is None
    assert "campus_scope2_location_g_co2e" not in delta.campus_g_co2e  # the campus total did not change
    assert not delta.is_significant(1)  # a reallocation between tenants does not move any campus figure
    assert delta.tenant_g_co2e["alpha"]["scope2_location"] == 224_024 - 168_018
    assert delta.tenant_g_co2e["beta"]["scope2_location"] == 112_012 - 168_018
    legs = {account: amount for account, _, amount in delta.ledger_legs}
    assert legs == {
        "tenant:alpha:emissions": 56_006,
        "tenant:beta:emissions": -56_006,
        "tenant:alpha:emissions:scope3_cat3": 9_821 - 7_366,
        "tenant:beta:emissions:scope3_cat3": 4_911 - 7_366,
        # The market-based view moves the same way (no rate given: market-based equals location-based).
        "tenant:alpha:emissions:scope2_market": 56_006,
        "tenant:beta:emissions:scope2_market": -56_006,
    }
    # The corrected read is flagged estimated (quality bit 1) on beta's figures.
    assert after.data_quality["tenant:beta:scope2_location"] == "estimated"
    assert restatement_delta(after, after, "c1").is_empty()


def test_public_names_resolve():
    """Every name in esg.__all__ is importable from the package."""
    assert all(hasattr(esg, name) for name in esg.__all__)
