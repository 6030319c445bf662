"""The ESG tables are append-only and refuse double certificate claims at the database level too."""

from __future__ import annotations

from sqlalchemy import text


def test_esg_tables_exist_after_migration(engine):
    """Migration 0007 creates the six ESG tables; 0010 the market-rate library."""
    with engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'esg_%'")).scalars()
        )
    assert names == {
        "esg_factor_table",
        "esg_factor_edition",
        "esg_factor_override",
        "esg_certificate_lot",
        "esg_certificate_claim",
        "esg_cycle_emissions",
        "esg_market_rate",
    }
