"""Per connector channel and day: the count of stored readings, kept as readings are committed (docs/connectors.md).

`connector_day_count` holds, per (campus, meter, channel, UTC day), the readings inserted (a duplicate inserts no
row, so it is never counted) and a 1,440-bit map of the day's minutes holding at least one usable reading (good
or uncertain, with a value): the live view's completeness over a day or a month counts intervals from these maps
(31 rows a channel for a month) instead of scanning the readings. The store keeps it in the same statement as
the readings' INSERT; existing readings are counted here.

`connector_reading_usable` is the index the thinned derivation scans (connectors.thinning): the usable readings
of a channel in time order, with the columns the scan classifies steps by, so the scan reads only the index.
"""

from alembic import op

revision = "0021_connector_day_counts"
down_revision = "0020_storage_pool"
branch_labels = None
depends_on = None


BACKFILL_SQL = """
INSERT INTO connector_day_count (campus_id, meter_id, channel, day_utc, reading_count, minutes_with_reading)
SELECT campus_id, meter_id, channel, CAST(source_ts_utc AT TIME ZONE 'UTC' AS date), count(*),
       coalesce(bit_or(set_bit(CAST(repeat('0', 1440) AS bit(1440)),
                               CAST(CAST(floor(extract(epoch FROM source_ts_utc) / 60) AS bigint) % 1440
                                    AS integer), 1))
                   FILTER (WHERE quality IN ('good', 'uncertain') AND register_wh IS NOT NULL),
                CAST(repeat('0', 1440) AS bit(1440)))
FROM connector_reading
GROUP BY campus_id, meter_id, channel, CAST(source_ts_utc AT TIME ZONE 'UTC' AS date);
"""
"""Count the readings stored before this migration (the store counts later ones as it inserts them)."""


def upgrade() -> None:
    op.execute("""
CREATE TABLE connector_day_count (
    campus_id             text NOT NULL REFERENCES campus,
    meter_id              text NOT NULL,
    channel               text NOT NULL,
    day_utc               date NOT NULL,
    reading_count         bigint NOT NULL CHECK (reading_count >= 0),
    minutes_with_reading  bit(1440) NOT NULL,
    PRIMARY KEY (campus_id, meter_id, channel, day_utc)
);
""")
    op.execute(BACKFILL_SQL)
    op.execute("""
CREATE INDEX connector_reading_usable ON connector_reading (campus_id, meter_id, channel, source_ts_utc)
    INCLUDE (register_wh, received_ts_utc, quality, device_serial)
    WHERE quality IN ('good', 'uncertain') AND register_wh IS NOT NULL;
""")


def downgrade() -> None:
    op.execute("DROP INDEX connector_reading_usable; DROP TABLE connector_day_count")
