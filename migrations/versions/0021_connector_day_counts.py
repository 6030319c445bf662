"""Per connector channel and day: the count of stored readings, kept as readings are committed (docs/connectors.md).

`connector_reading_usable` is the index the thinned derivation scans (connectors.thinning): the usable readings
of a channel in time order, with the columns the scan classifies steps by, so the scan reads only the index.
"""

from alembic import op

revision = "0021_connector_day_counts"
down_revision = "0020_storage_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE INDEX connector_reading_usable ON connector_reading (campus_id, meter_id, channel, source_ts_utc)
    INCLUDE (register_wh, received_ts_utc, quality, device_serial)
    WHERE quality IN ('good', 'uncertain') AND register_wh IS NOT NULL;
""")


def downgrade() -> None:
    op.execute("DROP INDEX connector_reading_usable")
