"""Certificates cannot be claimed twice (service and trigger); a factor-edition change is recorded as a restatement.

Expected grams are worked in the test from the eGRID rates written out as literals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlalchemy.exc import DBAPIError

from esg.certificates import CertificateClaim, CertificateLot, claim_certificate, register_certificate_lot
from esg.errors import CertificateIneligible, CertificateOverclaimed, EmissionsInputInvalid
from esg.factors import register_factor_library
from esg.reporting import cycle_emissions, record_cycle_emissions
from esg.scopes import compute_campus_cycle

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=2)
G_PER_LB = Decimal("453.59237")


def half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def solar_lot(lot_id: str, energy_wh: int) -> CertificateLot:
    """A granular certificate lot of `energy_wh` one-Wh serials, numbered under its own registry prefix."""
    return CertificateLot(
        lot_id, "GC", "solar", "ERCT", START, START + timedelta(hours=1), energy_wh, 0, "test-registry",
        serial_start=1, serial_end=energy_wh, serial_prefix=lot_id, certificate_wh=1, location="US-TX",
    )


@pytest.fixture
def ledger(tmp_path, campus_id):
    """(origin, signing key path) of a ledger of this test's own."""
    from ledger import create_signing_key

    key_path = tmp_path / "ledger-ed25519.pem"
    create_signing_key(key_path)
    return f"test.esg/{campus_id}", key_path


def test_a_lot_cannot_be_claimed_beyond_its_wh(engine, campus_id, ledger):
    """600 + 400 Wh of a 1,000 Wh lot is accepted; one more Wh is refused, whoever asks."""
    with engine.begin() as conn:
        register_certificate_lot(conn, solar_lot(f"{campus_id}-lot", 1000))
        first = CertificateClaim(
            f"{campus_id}-c1", f"{campus_id}-lot", "tenant:alpha", 600, START, START + timedelta(hours=1)
        )
        assert claim_certificate(conn, campus_id, first, *ledger) is True
        assert claim_certificate(conn, campus_id, first, *ledger) is False  # same claim again: already recorded
        second = CertificateClaim(
            f"{campus_id}-c2", f"{campus_id}-lot", "tenant:beta", 400, START, START + timedelta(hours=1)
        )
        assert claim_certificate(conn, campus_id, second, *ledger) is True
    third = CertificateClaim(
        f"{campus_id}-c3", f"{campus_id}-lot", "campus", 1, START, START + timedelta(hours=1)
    )
    with pytest.raises(CertificateOverclaimed, match="exceeds the 0 Wh"), engine.begin() as conn:
        claim_certificate(conn, campus_id, third, *ledger)


def test_the_database_refuses_an_over_claim_inserted_around_the_service(engine, campus_id):
    """The trigger is the second place the rule lives: a raw INSERT beyond the lot's Wh fails."""
    with engine.begin() as conn:
        register_certificate_lot(conn, solar_lot(f"{campus_id}-raw", 10))
    with pytest.raises(DBAPIError, match="esg_certificate_overclaimed"), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO esg_certificate_claim (claim_id, lot_id, campus_id, beneficiary, energy_wh,"
            " consumption_start_utc, consumption_end_utc) VALUES"
            f" ('{campus_id}-r1', '{campus_id}-raw', '{campus_id}', 'campus', 11, '2025-07-01T00:00Z', '2025-07-01T01:00Z')"
        )


def test_a_claim_outside_the_vintage_is_ineligible(engine, campus_id, ledger):
    """An hourly certificate of 00:00-01:00 cannot cover consumption at 01:00-02:00 (Quality Criterion 4)."""
    with engine.begin() as conn:
        register_certificate_lot(conn, solar_lot(f"{campus_id}-v", 10))
    late = CertificateClaim(
        f"{campus_id}-late", f"{campus_id}-v", "campus", 5, START + timedelta(hours=1), END
    )
    with pytest.raises(CertificateIneligible, match="outside the vintage"), engine.begin() as conn:
        claim_certificate(conn, campus_id, late, *ledger)


def test_a_meter_correction_produces_a_restatement_delta_and_an_old_edition_is_refused(
    engine, campus_id, intervals_file
):
    """2 MWh of ERCT imports, then a corrected read of hour 1 (1.5 MWh): version 2 carries the exact difference.
    eGRID2022 (wl-2024.1, valid for 2024) is refused for this July 2025 cycle, naming the edition."""
    rows = [
        ("GRID1", START, 1_000_000),
        ("GRID1", START + timedelta(hours=1), 1_000_000),
        ("TA", START, 1_000_000),
        ("TB", START + timedelta(hours=1), 1_000_000),
    ]
    corrected = [*rows[:1], ("GRID1", START + timedelta(hours=1), 1_500_000), rows[2],
                 ("TB", START + timedelta(hours=1), 1_500_000)]
    uri = intervals_file(rows)
    with engine.begin() as conn:
        register_factor_library(conn)
        with pytest.raises(EmissionsInputInvalid, match="wl-2024.1"):
            compute_campus_cycle(conn, campus_id, uri, "ERCT", START, END, "wl-2024.1")
        old = compute_campus_cycle(conn, campus_id, uri, "ERCT", START, END, "wl-2025.1")
        new = compute_campus_cycle(conn, campus_id, intervals_file(corrected), "ERCT", START, END, "wl-2025.1")
        first = record_cycle_emissions(conn, campus_id, f"cycle:{campus_id}:2025-07", old, "billing cycle")
        again = record_cycle_emissions(conn, campus_id, f"cycle:{campus_id}:2025-07", old, "retry")
        restated = record_cycle_emissions(
            conn, campus_id, f"cycle:{campus_id}:2025-07", new, "meter TB corrected"
        )
        stored = cycle_emissions(conn, f"cycle:{campus_id}:2025-07")
    egrid2023_g_per_mwh = (Decimal("738.038") + 28 * Decimal("0.043") + 265 * Decimal("0.006")) * G_PER_LB
    assert old.campus_scope2_location_g_co2e == half_even(2 * egrid2023_g_per_mwh) == 672_071
    assert new.campus_scope2_location_g_co2e == half_even(Decimal("2.5") * egrid2023_g_per_mwh) == 840_089
    assert (first.status, first.version, again.status, again.version) == ("recorded", 1, "unchanged", 1)
    assert (restated.status, restated.version) == ("restated", 2)
    delta = restated.delta
    assert delta is not None
    assert delta.campus_g_co2e["campus_scope2_location_g_co2e"] == 840_089 - 672_071
    assert delta.factor_edition_change is None and delta.intervals_changed
    # 168,018 g of 672,071 g = 250,000 ppm (25 %): significant at a 20 % policy threshold, not at 30 %.
    assert delta.campus_change_ppm["campus_scope2_location_g_co2e"] == 168_018 * 1_000_000 // 672_071 == 250_000
    assert delta.is_significant(200_000) and not delta.is_significant(300_000)
    assert sum(amount for _, _, amount in delta.ledger_legs) == 0
    legs = {account: amount for account, _, amount in delta.ledger_legs}
    assert legs[f"campus:{campus_id}:emissions:scope2"] == 672_071 - 840_089
    assert legs["tenant:beta:emissions"] == 840_089 - 672_071 and "tenant:alpha:emissions" not in legs
    assert stored == new


def test_the_campus_subregion_is_read_when_none_is_given(engine, campus_id, intervals_file):
    """With campus.egrid_subregion = ERCT, computing without a subregion gives the ERCT figure (336,036 g per MWh)."""
    from sqlalchemy import text

    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE campus SET egrid_subregion = 'ERCT' WHERE campus_id = :c"), {"c": campus_id}
        )
        result = compute_campus_cycle(conn, campus_id, uri, None, START, START + timedelta(hours=1))
    assert result.campus_egrid_subregion == "ERCT"
    assert result.campus_scope2_location_g_co2e == 336_036
