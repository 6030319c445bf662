"""Live connector readings: register readings keyed by (campus, meter, channel, source time), the raw message
batches they came in (content-addressed files in the raw store), conflicts, per-channel counters and the
versions of the intervals derived from them.

A reading row is never updated: the same key again is a duplicate (counted on the channel), the same key with
another value is a conflict (the first value kept, the offer recorded in `connector_conflict`).
"""

from alembic import op

revision = "0016_connector_readings"
down_revision = "0015_iso_node_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE connector_batch (
    sha256_hex        text PRIMARY KEY,
    campus_id         text NOT NULL REFERENCES campus,
    stored_uri        text NOT NULL,
    size_bytes        bigint NOT NULL CHECK (size_bytes >= 0),
    message_count     integer NOT NULL CHECK (message_count >= 0),
    committed_at_utc  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connector_reading (
    campus_id         text NOT NULL REFERENCES campus,
    meter_id          text NOT NULL,
    channel           text NOT NULL,
    source_ts_utc     timestamptz NOT NULL,
    received_ts_utc   timestamptz NOT NULL,
    register_wh       bigint,
    quality           text NOT NULL CHECK (quality IN ('good', 'uncertain', 'bad', 'stale')),
    raw_value         text NOT NULL,
    device_serial     text,
    historical        boolean NOT NULL,
    source            text NOT NULL,
    batch_sha256_hex  text NOT NULL REFERENCES connector_batch,
    message_index     integer NOT NULL CHECK (message_index >= 0),
    recorded_at_utc   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campus_id, meter_id, channel, source_ts_utc)
);
CREATE INDEX connector_reading_recorded ON connector_reading (campus_id, recorded_at_utc);

CREATE TABLE connector_conflict (
    conflict_id       bigserial PRIMARY KEY,
    campus_id         text NOT NULL REFERENCES campus,
    meter_id          text NOT NULL,
    channel           text NOT NULL,
    source_ts_utc     timestamptz NOT NULL,
    kept_register_wh  bigint,
    offered_register_wh bigint,
    offered_raw_value text NOT NULL,
    offered_quality   text NOT NULL,
    batch_sha256_hex  text NOT NULL REFERENCES connector_batch,
    recorded_at_utc   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connector_conflict_campus ON connector_conflict (campus_id, conflict_id);

CREATE TABLE connector_channel_state (
    campus_id             text NOT NULL REFERENCES campus,
    meter_id              text NOT NULL,
    channel               text NOT NULL,
    reading_count         bigint NOT NULL DEFAULT 0,
    duplicate_count       bigint NOT NULL DEFAULT 0,
    conflict_count        bigint NOT NULL DEFAULT 0,
    last_source_ts_utc    timestamptz,
    last_received_ts_utc  timestamptz,
    PRIMARY KEY (campus_id, meter_id, channel)
);

CREATE TABLE connector_derivation (
    campus_id             text NOT NULL REFERENCES campus,
    window_start_utc      timestamptz NOT NULL,
    version               integer NOT NULL CHECK (version >= 1),
    window_end_utc        timestamptz NOT NULL,
    intervals_sha256_hex  text NOT NULL,
    interval_count        integer NOT NULL,
    estimated_count       integer NOT NULL,
    readings_recorded_until_utc timestamptz,
    derived_at_utc        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campus_id, window_start_utc, version),
    CHECK (window_start_utc < window_end_utc)
);
""")


def downgrade() -> None:
    op.execute("DROP TABLE connector_derivation, connector_channel_state, connector_conflict, connector_reading,"
                " connector_batch")
