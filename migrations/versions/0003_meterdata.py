"""Schema for meter data management (issue 4): quarantine, manual edits, VEE runs.

Raw files themselves live in `raw_file` (0001_core); these tables point at them. Edits are append-only:
a later edit of the same interval supersedes an earlier one, and both stay.
"""

from alembic import op

revision = "0003_meterdata"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE meter_data_quarantine (
    quarantine_id     bigserial PRIMARY KEY,
    sha256_hex        text NOT NULL REFERENCES raw_file,
    campus_id         text NOT NULL REFERENCES campus,
    source            text NOT NULL,
    line              integer,
    field             text,
    reason            text NOT NULL CHECK (reason <> ''),
    quarantined_at_utc timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sha256_hex)
);

CREATE TABLE meter_data_accepted (
    sha256_hex        text PRIMARY KEY REFERENCES raw_file,
    campus_id         text NOT NULL REFERENCES campus,
    reading_count     bigint NOT NULL CHECK (reading_count >= 0),
    accepted_at_utc   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meter_data_edit (
    edit_id            bigserial PRIMARY KEY,
    campus_id          text NOT NULL,
    meter_id           text NOT NULL,
    channel            text NOT NULL DEFAULT 'main',
    interval_start_utc timestamptz NOT NULL,
    energy_wh          bigint NOT NULL,
    edited_by          text NOT NULL CHECK (edited_by <> ''),
    reason             text NOT NULL CHECK (length(reason) >= 3),
    recorded_at_utc    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (campus_id, meter_id) REFERENCES meter
);
CREATE INDEX meter_data_edit_period ON meter_data_edit (campus_id, interval_start_utc);

CREATE TABLE vee_run (
    vee_run_id         bigserial PRIMARY KEY,
    campus_id          text NOT NULL REFERENCES campus,
    period_start_utc   timestamptz NOT NULL,
    period_end_utc     timestamptz NOT NULL CHECK (period_end_utc > period_start_utc),
    intervals_uri      text NOT NULL,
    validated_uri      text NOT NULL,
    exceptions_uri     text NOT NULL,
    reading_count      bigint NOT NULL,
    estimated_count    bigint NOT NULL,
    score              text NOT NULL,
    report_json        jsonb NOT NULL,
    recorded_at_utc    timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE_SQL = """
DROP TABLE vee_run, meter_data_edit, meter_data_accepted, meter_data_quarantine;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
