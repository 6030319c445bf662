"""Schema for the settlement engine (issue 5): versioned contracts, line details, runs and delta revisions.

Contracts are append-only: an amendment is a new (campus, contract_key, version) row, never an update, and a
settlement run records the exact versions it used. Money is integer micro-USD; energy integer Wh; exact decimal
quantities and rates are kept as numeric.
"""

from alembic import op

revision = "0004_settlement"
down_revision = "0003_meterdata"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
-- Full contracts: URDB tariffs, PPAs, virtual PPAs and allocation rules, one row per version.
CREATE TABLE settlement_contract (
    contract_version_id  bigserial PRIMARY KEY,
    campus_id            text NOT NULL REFERENCES campus,
    contract_key         text NOT NULL CHECK (contract_key ~ '^[a-z0-9][a-z0-9_.:-]{0,126}$'),
    version              integer NOT NULL CHECK (version >= 1),
    kind                 text NOT NULL CHECK (kind IN ('urdb_tariff','ppa','vppa','allocation')),
    tenant_id            text,
    effective_from       date NOT NULL,
    terms_json           jsonb NOT NULL,
    terms_sha256_hex     text NOT NULL CHECK (terms_sha256_hex ~ '^[0-9a-f]{64}$'),
    created_at_utc       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campus_id, contract_key, version),
    FOREIGN KEY (campus_id, tenant_id) REFERENCES tenant
);

CREATE FUNCTION settlement_contract_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'settlement_contract rows are append-only; add a new version instead';
END $$;

CREATE TRIGGER settlement_contract_no_update BEFORE UPDATE OR DELETE ON settlement_contract
    FOR EACH ROW EXECUTE FUNCTION settlement_contract_append_only();

-- One row per settled cycle: the balance and the inputs it used (revision 0 = the original settlement).
CREATE TABLE settlement_run (
    cycle_id               text NOT NULL REFERENCES billing_cycle,
    revision               integer NOT NULL CHECK (revision >= 0),
    intervals_sha256_hex   text NOT NULL,
    result_sha256_hex      text NOT NULL,
    generation_wh          bigint NOT NULL,
    grid_import_wh         bigint NOT NULL,
    export_wh              bigint NOT NULL,
    tenant_consumption_wh  bigint NOT NULL,
    shared_consumption_wh  bigint NOT NULL,
    losses_wh              bigint NOT NULL,
    contract_versions_json jsonb NOT NULL,
    price_sha256_json      jsonb NOT NULL,
    recorded_at_utc        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, revision),
    CHECK (generation_wh + grid_import_wh - export_wh - tenant_consumption_wh - shared_consumption_wh
           - losses_wh = 0)
);

-- What settlement_line cannot hold: the clause, the unit and the contract version of a full-engine line.
CREATE TABLE settlement_line_detail (
    cycle_id             text NOT NULL,
    line_no              integer NOT NULL,
    clause               text NOT NULL,
    unit                 text NOT NULL,
    contract_version_id  bigint REFERENCES settlement_contract,
    PRIMARY KEY (cycle_id, line_no),
    FOREIGN KEY (cycle_id, line_no) REFERENCES settlement_line
);

-- Settlement lines with their unit and clause: `quantity_wh` is energy only where unit = 'MWh' (W for 'kW-month',
-- a count for 'month', 'day', 'USD' lines), so readers that sum quantities should filter on unit.
CREATE VIEW settlement_line_full AS
    SELECT l.cycle_id, l.line_no, l.tenant_id, l.description, d.clause, d.unit, l.quantity_wh, l.rate_usd_per_mwh,
           l.amount_usd_micros, l.contract_id, d.contract_version_id, l.inputs_sha256_hex
    FROM settlement_line l LEFT JOIN settlement_line_detail d USING (cycle_id, line_no);

-- Delta settlement: a corrected input produces revision n >= 1 holding only the differences from what was
-- settled before (the ledger posts these as adjustments). Original lines are never edited.
CREATE TABLE settlement_adjustment (
    cycle_id                 text NOT NULL,
    revision                 integer NOT NULL CHECK (revision >= 1),
    line_no                  integer NOT NULL,
    tenant_id                text NOT NULL,
    description              text NOT NULL,
    clause                   text NOT NULL,
    clause_occurrence        integer NOT NULL CHECK (clause_occurrence >= 0),
    unit                     text NOT NULL,
    quantity_wh_delta        bigint NOT NULL,
    rate_usd_per_mwh         numeric(18,6) NOT NULL,
    amount_usd_micros_delta  bigint NOT NULL,
    inputs_sha256_hex        text NOT NULL,
    PRIMARY KEY (cycle_id, revision, line_no),
    FOREIGN KEY (cycle_id, revision) REFERENCES settlement_run
);
"""

DOWNGRADE_SQL = """
DROP VIEW settlement_line_full;
DROP TABLE settlement_adjustment, settlement_line_detail, settlement_run, settlement_contract;
DROP FUNCTION settlement_contract_append_only();
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
