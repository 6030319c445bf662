"""The versioned campus model (issue 13): every applied campus file is kept, effective-dated facts are projected.

`campus_version` holds each applied campus document (append-only, numbered per campus, with its sha256), so any
cycle can name the version it settled against. The tables the engines read (`campus`, `tenant`, `meter`,
`settlement_contract`, `contract`) are the projection of the latest version; they carry the effective dates that
make an old month settle on that month's facts: tenant occupancy (local dates), meter service windows and
device exchanges (instants), contract versions (local dates).

`meter_data_accepted` learns the span of the readings each accepted file holds, so a cycle can read a campus's
period from the meter-data store whatever channel the files came through.
"""

from alembic import op

revision = "0008_campus"
down_revision = "0007_esg"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE campus_version (
    campus_id           text NOT NULL REFERENCES campus,
    version             integer NOT NULL CHECK (version >= 1),
    document_json       jsonb NOT NULL,
    document_sha256_hex text NOT NULL CHECK (document_sha256_hex ~ '^[0-9a-f]{64}$'),
    source_name         text NOT NULL,
    applied_by          text NOT NULL CHECK (applied_by <> ''),
    applied_at_utc      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campus_id, version)
);

CREATE FUNCTION campus_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'campus_version is append-only: UPDATE and DELETE are refused'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER campus_version_no_change BEFORE UPDATE OR DELETE ON campus_version
    FOR EACH ROW EXECUTE FUNCTION campus_version_append_only();

ALTER TABLE campus
    ADD COLUMN legal_entity     text,
    ADD COLUMN settlement_point text;

-- Occupancy in the campus's local calendar: move_in is the first day billed, move_out the first day not billed.
ALTER TABLE tenant
    ADD COLUMN legal_name text,
    ADD COLUMN move_in    date,
    ADD COLUMN move_out   date,
    ADD COLUMN invoice_prefix text,
    ADD COLUMN billing_address text,
    ADD COLUMN remit_to text,
    ADD CONSTRAINT tenant_occupancy_order CHECK (move_out IS NULL OR move_in IS NULL OR move_out > move_in);

-- A meter (the metering point the campus file names) is in service over [active_from_utc, active_to_utc);
-- devices_json lists the physical devices that served it, each with its serial, CT/PT multiplier and window.
ALTER TABLE meter
    ADD COLUMN multiplier      numeric(18,6) NOT NULL DEFAULT 1 CHECK (multiplier > 0),
    ADD COLUMN active_from_utc timestamptz,
    ADD COLUMN active_to_utc   timestamptz,
    ADD COLUMN devices_json    jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN channel         text NOT NULL DEFAULT 'main',
    ADD COLUMN carbon_free     boolean NOT NULL DEFAULT false,
    ADD COLUMN fuel_type       text,
    ADD COLUMN parent_meter_id    text,
    ADD COLUMN generator_meter_id text,
    ADD CONSTRAINT meter_service_order CHECK (active_to_utc IS NULL OR active_from_utc IS NULL
                                             OR active_to_utc > active_from_utc);

ALTER TABLE billing_cycle ADD COLUMN campus_version integer;

ALTER TABLE meter_data_accepted
    ADD COLUMN first_interval_start_utc timestamptz,
    ADD COLUMN last_interval_start_utc  timestamptz;
CREATE INDEX meter_data_accepted_span ON meter_data_accepted (campus_id, first_interval_start_utc);
"""

DOWNGRADE_SQL = """
DROP INDEX meter_data_accepted_span;
ALTER TABLE meter_data_accepted DROP COLUMN first_interval_start_utc, DROP COLUMN last_interval_start_utc;
ALTER TABLE billing_cycle DROP COLUMN campus_version;
ALTER TABLE meter DROP CONSTRAINT meter_service_order, DROP COLUMN multiplier, DROP COLUMN active_from_utc,
    DROP COLUMN active_to_utc, DROP COLUMN devices_json, DROP COLUMN channel, DROP COLUMN carbon_free,
    DROP COLUMN fuel_type, DROP COLUMN parent_meter_id, DROP COLUMN generator_meter_id;
ALTER TABLE tenant DROP CONSTRAINT tenant_occupancy_order, DROP COLUMN legal_name, DROP COLUMN move_in,
    DROP COLUMN move_out, DROP COLUMN invoice_prefix, DROP COLUMN billing_address, DROP COLUMN remit_to;
ALTER TABLE campus DROP COLUMN legal_entity, DROP COLUMN settlement_point;
DROP TABLE campus_version;
DROP FUNCTION campus_version_append_only();
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
