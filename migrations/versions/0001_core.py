"""Core domain model: campus, tenant, meter, contract, billing cycle, settlement, invoice, ISO submission.

Times are timestamptz (UTC); money is integer micro-USD (bigint); energy is integer Wh (bigint).
"""

from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE campus (
    campus_id        text PRIMARY KEY CHECK (campus_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text NOT NULL,
    time_zone        text NOT NULL,
    iso              text NOT NULL CHECK (iso IN ('NYISO','ERCOT','PJM','CAISO','MISO','ISONE','SPP')),
    egrid_subregion  text,
    created_at_utc   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant (
    campus_id        text NOT NULL REFERENCES campus,
    tenant_id        text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text NOT NULL,
    PRIMARY KEY (campus_id, tenant_id)
);

CREATE TABLE meter (
    campus_id        text NOT NULL REFERENCES campus,
    meter_id         text NOT NULL CHECK (meter_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    role             text NOT NULL CHECK (role IN ('generation','fuel','grid_import','export',
                                                   'tenant_consumption','shared_consumption')),
    unit             text NOT NULL CHECK (unit IN ('Wh','kWh','MWh','MMBtu','therm','scf')),
    interval_minutes integer NOT NULL CHECK (interval_minutes IN (5, 15, 30, 60)),
    tenant_id        text,
    rated_kw         bigint,
    iso_meter_id     text,
    PRIMARY KEY (campus_id, meter_id),
    FOREIGN KEY (campus_id, tenant_id) REFERENCES tenant,
    CHECK ((role = 'tenant_consumption') = (tenant_id IS NOT NULL))
);

-- Contract v0: one version per (campus, tenant, effective_from); amendments add rows, never edit.
CREATE TABLE contract (
    contract_id              bigserial PRIMARY KEY,
    campus_id                text NOT NULL,
    tenant_id                text NOT NULL,
    version                  integer NOT NULL CHECK (version >= 1),
    effective_from           date NOT NULL,
    supply_price_usd_per_mwh numeric(18,6) NOT NULL CHECK (supply_price_usd_per_mwh >= 0),
    grid_price_usd_per_mwh   numeric(18,6) NOT NULL CHECK (grid_price_usd_per_mwh >= 0),
    created_at_utc           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (campus_id, tenant_id) REFERENCES tenant,
    UNIQUE (campus_id, tenant_id, version)
);

CREATE TABLE billing_cycle (
    cycle_id          text PRIMARY KEY,              -- business key: cycle:{campus}:{period}
    campus_id         text NOT NULL REFERENCES campus,
    period            text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    period_start_utc  timestamptz NOT NULL,
    period_end_utc    timestamptz NOT NULL CHECK (period_end_utc > period_start_utc),
    status            text NOT NULL,
    status_detail     text,
    workflow_id       text NOT NULL,
    input_uri         text NOT NULL,
    created_at_utc    timestamptz NOT NULL DEFAULT now(),
    updated_at_utc    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campus_id, period)
);

-- Every raw file received, addressed by its sha256; bytes are kept as received.
CREATE TABLE raw_file (
    sha256_hex        text PRIMARY KEY CHECK (sha256_hex ~ '^[0-9a-f]{64}$'),
    campus_id         text NOT NULL REFERENCES campus,
    original_name     text NOT NULL,
    size_bytes        bigint NOT NULL,
    stored_uri        text NOT NULL,
    received_at_utc   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cycle_input_file (
    cycle_id          text NOT NULL REFERENCES billing_cycle,
    sha256_hex        text NOT NULL REFERENCES raw_file,
    PRIMARY KEY (cycle_id, sha256_hex)
);

CREATE TABLE cycle_step (
    cycle_id          text NOT NULL REFERENCES billing_cycle,
    step              text NOT NULL,
    result_json       jsonb NOT NULL,
    recorded_at_utc   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, step)
);

CREATE TABLE settlement_line (
    cycle_id            text NOT NULL REFERENCES billing_cycle,
    line_no             integer NOT NULL,
    tenant_id           text NOT NULL,
    description         text NOT NULL,
    quantity_wh         bigint NOT NULL,
    rate_usd_per_mwh    numeric(18,6) NOT NULL,
    amount_usd_micros   bigint NOT NULL,
    contract_id         bigint REFERENCES contract,
    inputs_sha256_hex   text NOT NULL,
    PRIMARY KEY (cycle_id, line_no)
);

CREATE TABLE invoice_sequence (
    issuer            text PRIMARY KEY,
    last_number       bigint NOT NULL CHECK (last_number >= 0)
);

CREATE TABLE invoice (
    invoice_id          text PRIMARY KEY,           -- {issuer}-{number:06d}
    issuer              text NOT NULL,
    number              bigint NOT NULL,
    cycle_id            text NOT NULL REFERENCES billing_cycle,
    campus_id           text NOT NULL,
    tenant_id           text NOT NULL,
    status              text NOT NULL CHECK (status IN ('draft','final','cancelled')),
    total_usd_cents     bigint NOT NULL,
    document_json       jsonb NOT NULL,
    document_sha256_hex text NOT NULL,
    issued_at_utc       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, number),
    UNIQUE (cycle_id, tenant_id),
    FOREIGN KEY (campus_id, tenant_id) REFERENCES tenant
);

CREATE TABLE iso_submission (
    submission_key      text PRIMARY KEY,           -- {campus}:{iso}:{period}:v{version}
    cycle_id            text NOT NULL REFERENCES billing_cycle,
    iso                 text NOT NULL,
    document_uri        text NOT NULL,
    document_sha256_hex text NOT NULL,
    status              text NOT NULL,
    response_json       jsonb,
    submitted_at_utc    timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE_SQL = """
DROP TABLE iso_submission, invoice, invoice_sequence, settlement_line, cycle_step, cycle_input_file,
    raw_file, billing_cycle, contract, meter, tenant, campus;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
