"""The factor library is stored once per edition, never overwritten, and its rows can never be edited."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from esg.errors import EditionAlreadyRegistered
from esg.factors import load_factor_library, register_factor_library


def test_registering_twice_stores_each_edition_once(engine):
    """The second registration finds identical content and stores nothing."""
    with engine.begin() as conn:
        register_factor_library(conn)
    with engine.begin() as conn:
        assert register_factor_library(conn) == []
        editions = (
            conn.execute(text("SELECT edition_id FROM esg_factor_edition ORDER BY edition_id"))
            .scalars()
            .all()
        )
        stored_sha = conn.execute(
            text("SELECT file_sha256 FROM esg_factor_table WHERE table_id = 'epa-hub-2025/table6'")
        ).scalar_one()
        erct = conn.execute(
            text(
                "SELECT r FROM esg_factor_table, jsonb_array_elements(rows_json) r"
                " WHERE table_id = 'epa-hub-2025/table6' AND r->>'egrid_subregion' = 'ERCT'"
            )
        ).scalar_one()
    assert editions == ["wl-2024.1", "wl-2025.1"]
    assert stored_sha == "800546c0788ed0a4967123013942586d25f14e10215bd8dc0525484acd6f10e5"
    assert erct["total_output_co2_lb_per_mwh"] == "738.038"


def test_same_edition_id_with_other_content_is_refused(engine):
    """An edition whose description (or any table) differs from the stored one cannot reuse its id."""
    with engine.begin() as conn:
        register_factor_library(conn)
    library = load_factor_library()
    edition = library.editions["wl-2025.1"]
    altered = dataclasses.replace(
        library, editions={"wl-2025.1": dataclasses.replace(edition, description="edited")}
    )
    with pytest.raises(EditionAlreadyRegistered), engine.begin() as conn:
        register_factor_library(conn, altered)


def test_stored_factor_rows_cannot_be_updated_or_deleted(engine):
    """The append-only trigger refuses UPDATE and DELETE on the factor tables."""
    with engine.begin() as conn:
        register_factor_library(conn)
    for statement in (
        "UPDATE esg_factor_edition SET description = 'x' WHERE edition_id = 'wl-2025.1'",
        "DELETE FROM esg_factor_table WHERE table_id = 'epa-hub-2025/table1'",
    ):
        with pytest.raises(DBAPIError, match="esg_append_only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
