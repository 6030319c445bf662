"""Schema for ESG emissions (issue 8): factor library, overrides, certificate registry, emission results.

Everything here is append-only: a trigger refuses UPDATE and DELETE, so a factor edition, an override, a
certificate claim or a recorded result is never altered; a change is a new row (a new edition, a new override,
a new result version). The certificate trigger refuses claims beyond a lot's Wh (no double claims), the second
place that rule is enforced after the service.
"""

from alembic import op

revision = "0007_esg"
down_revision = "0006_market"
branch_labels = None
depends_on = None

FUNCTIONS_SQL = """
CREATE FUNCTION esg_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'esg_append_only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

-- One claim per Wh: lock the lot, then compare what is already claimed with what it holds.
CREATE FUNCTION esg_refuse_overclaim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lot_wh bigint;
    claimed_wh bigint;
BEGIN
    SELECT energy_wh INTO lot_wh FROM esg_certificate_lot WHERE lot_id = NEW.lot_id FOR UPDATE;
    SELECT coalesce(sum(energy_wh), 0) INTO claimed_wh FROM esg_certificate_claim WHERE lot_id = NEW.lot_id;
    IF claimed_wh + NEW.energy_wh > lot_wh THEN
        RAISE EXCEPTION 'esg_certificate_overclaimed: lot % holds % Wh, % already claimed, % requested',
            NEW.lot_id, lot_wh, claimed_wh, NEW.energy_wh USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
"""

TABLES_SQL = """
CREATE TABLE esg_factor_table (
    table_id           text PRIMARY KEY,
    publication_id     text NOT NULL,
    publisher          text NOT NULL,
    publication_edition text NOT NULL,
    kind               text NOT NULL,
    file_name          text NOT NULL,
    file_sha256        text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    workbook_sha256    text,
    confidence         text NOT NULL CHECK (confidence IN ('H','M','L')),
    licence            text NOT NULL,
    note               text NOT NULL,
    rows_json          jsonb NOT NULL,
    registered_at_utc  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE esg_factor_edition (
    edition_id         text PRIMARY KEY,
    valid_from         date NOT NULL,
    valid_to           date CHECK (valid_to IS NULL OR valid_to > valid_from),
    description        text NOT NULL,
    tables_json        jsonb NOT NULL,
    content_sha256     text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    registered_at_utc  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE esg_factor_override (
    override_id        text PRIMARY KEY,
    campus_id          text NOT NULL REFERENCES campus,
    meter_id           text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('stack_test','cems','supplier_heating_value','engine_methane')),
    parameter          text NOT NULL CHECK (parameter IN ('co2_kg_per_mmbtu','ch4_g_per_mmbtu','n2o_g_per_mmbtu',
                                                         'heat_content_mmbtu_per_scf')),
    value              numeric(30,12) NOT NULL CHECK (value >= 0),
    valid_from         date NOT NULL,
    valid_to           date CHECK (valid_to IS NULL OR valid_to > valid_from),
    approved_by        text NOT NULL CHECK (btrim(approved_by) <> ''),
    reason             text NOT NULL CHECK (btrim(reason) <> ''),
    evidence_sha256    text CHECK (evidence_sha256 IS NULL OR evidence_sha256 ~ '^[0-9a-f]{64}$'),
    recorded_at_utc    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE esg_certificate_lot (
    lot_id             text PRIMARY KEY,
    instrument         text NOT NULL CHECK (instrument IN ('REC','GO','GC','PPA')),
    technology         text NOT NULL,
    zone               text NOT NULL,
    vintage_start_utc  timestamptz NOT NULL,
    vintage_end_utc    timestamptz NOT NULL CHECK (vintage_end_utc > vintage_start_utc),
    energy_wh          bigint NOT NULL CHECK (energy_wh > 0),
    emission_rate_g_co2e_per_mwh bigint NOT NULL CHECK (emission_rate_g_co2e_per_mwh >= 0),
    registry           text NOT NULL,
    facility           text NOT NULL,
    commissioning_date date,
    recorded_at_utc    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE esg_certificate_claim (
    claim_id           text PRIMARY KEY,
    lot_id             text NOT NULL REFERENCES esg_certificate_lot,
    campus_id          text NOT NULL REFERENCES campus,
    beneficiary        text NOT NULL CHECK (beneficiary = 'campus' OR beneficiary ~ '^tenant:'),
    energy_wh          bigint NOT NULL CHECK (energy_wh > 0),
    consumption_start_utc timestamptz NOT NULL,
    consumption_end_utc   timestamptz NOT NULL CHECK (consumption_end_utc > consumption_start_utc),
    recorded_at_utc    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX esg_certificate_claim_lot ON esg_certificate_claim (lot_id);
CREATE INDEX esg_certificate_claim_campus ON esg_certificate_claim (campus_id, consumption_start_utc);

CREATE TRIGGER esg_certificate_claim_limit BEFORE INSERT ON esg_certificate_claim
    FOR EACH ROW EXECUTE FUNCTION esg_refuse_overclaim();

CREATE TABLE esg_cycle_emissions (
    cycle_key          text NOT NULL,
    version            integer NOT NULL CHECK (version >= 1),
    campus_id          text NOT NULL REFERENCES campus,
    factor_edition     text NOT NULL REFERENCES esg_factor_edition,
    gwp_set            text NOT NULL,
    period_start_utc   timestamptz NOT NULL,
    period_end_utc     timestamptz NOT NULL CHECK (period_end_utc > period_start_utc),
    result_json        text NOT NULL,
    result_sha256      text NOT NULL CHECK (result_sha256 ~ '^[0-9a-f]{64}$'),
    intervals_file_sha256 text NOT NULL,
    reason             text NOT NULL,
    recorded_at_utc    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_key, version)
);
"""

APPEND_ONLY_TABLES = (
    "esg_factor_table",
    "esg_factor_edition",
    "esg_factor_override",
    "esg_certificate_lot",
    "esg_certificate_claim",
    "esg_cycle_emissions",
)

DOWNGRADE_SQL = """
DROP TABLE esg_cycle_emissions, esg_certificate_claim, esg_certificate_lot, esg_factor_override,
    esg_factor_edition, esg_factor_table;
DROP FUNCTION esg_refuse_overclaim();
DROP FUNCTION esg_refuse_change();
"""


def upgrade() -> None:
    bind = op.get_bind()
    # RAISE formats use '%'; sent through the driver without parameters, so it is never a placeholder.
    driver_connection = bind.connection.driver_connection
    assert driver_connection is not None  # a bound connection always holds its driver's
    driver_connection.execute(FUNCTIONS_SQL)
    bind.exec_driver_sql(TABLES_SQL)
    for table in APPEND_ONLY_TABLES:
        bind.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION esg_refuse_change()"
        )


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
