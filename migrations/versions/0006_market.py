"""Schema for ISO market adapters (issue 7): submissions and their attempts, statement runs, reconciliation.

A submission is keyed by its business key (campus, ISO, period, version); the same key with the same
document is idempotent, the same key with another document is a conflict. Statement runs are immutable
versions keyed by (ISO, campus, operating day, run type, publish time). Money is integer micro-USD.
"""

from alembic import op

revision = "0006_market"
down_revision = "0005_invoicing"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE market_submission (
    submission_key       text PRIMARY KEY,               -- {campus}:{iso}:{period}:v{version}
    campus_id            text NOT NULL REFERENCES campus,
    iso                  text NOT NULL,
    period               text NOT NULL,                  -- operating day YYYY-MM-DD or month YYYY-MM
    version              integer NOT NULL CHECK (version >= 1),
    cycle_id             text REFERENCES billing_cycle,
    document_uri         text NOT NULL,
    document_sha256_hex  text NOT NULL CHECK (document_sha256_hex ~ '^[0-9a-f]{64}$'),
    status               text NOT NULL CHECK (status IN ('pending','accepted','rejected','unavailable')),
    iso_request_id       text,
    records_accepted     integer,
    deadline_utc         timestamptz,
    submitted_late       boolean,
    errors_json          jsonb NOT NULL DEFAULT '[]'::jsonb,
    response_json        jsonb,
    created_at_utc       timestamptz NOT NULL DEFAULT now(),
    updated_at_utc       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campus_id, iso, period, version)
);

CREATE TABLE market_submission_attempt (
    submission_key   text NOT NULL REFERENCES market_submission,
    attempt_no       integer NOT NULL CHECK (attempt_no >= 1),
    outcome          text NOT NULL CHECK (outcome IN ('accepted','rejected','unavailable','auth_failed')),
    detail           text NOT NULL,
    recorded_at_utc  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_key, attempt_no)
);

-- Statement ids are unique per ISO participant, not across campuses: keys carry the campus.
CREATE TABLE market_statement_run (
    campus_id            text NOT NULL REFERENCES campus,
    statement_id         text NOT NULL,
    iso                  text NOT NULL,
    operating_day        date NOT NULL,
    run_type             text NOT NULL,
    run_sequence         integer NOT NULL CHECK (run_sequence >= 1),
    published_at_utc     timestamptz NOT NULL,
    document_sha256_hex  text NOT NULL CHECK (document_sha256_hex ~ '^[0-9a-f]{64}$'),
    document_json        jsonb NOT NULL,
    imported_at_utc      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campus_id, statement_id),
    UNIQUE (iso, campus_id, operating_day, run_type, published_at_utc),
    UNIQUE (iso, campus_id, operating_day, run_sequence)
);

CREATE TABLE market_reconciliation (
    campus_id                 text NOT NULL,
    statement_id              text NOT NULL,
    charge_type               text NOT NULL,
    iso_amount_usd_micros     bigint NOT NULL,
    shadow_amount_usd_micros  bigint NOT NULL,
    difference_usd_micros     bigint NOT NULL,
    posted_delta_usd_micros   bigint NOT NULL,
    ledger_entry_key          text,
    recorded_at_utc           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campus_id, statement_id, charge_type),
    FOREIGN KEY (campus_id, statement_id) REFERENCES market_statement_run,
    CHECK (difference_usd_micros = iso_amount_usd_micros - shadow_amount_usd_micros)
);

CREATE TABLE market_dispute (
    campus_id            text NOT NULL,
    statement_id         text NOT NULL,
    line_no              integer NOT NULL,
    charge_type          text NOT NULL,
    resource_id          text NOT NULL,
    interval_start_utc   timestamptz NOT NULL,
    cause                text NOT NULL CHECK (cause IN ('price','quantity','price_and_quantity','amount','missing_line',
                                                        'unexpected_line')),
    difference_usd_micros bigint NOT NULL,
    detail_json          jsonb NOT NULL,
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved_by_later_run','filed')),
    PRIMARY KEY (campus_id, statement_id, line_no),
    FOREIGN KEY (campus_id, statement_id) REFERENCES market_statement_run
);
"""

DOWNGRADE_SQL = """
DROP TABLE market_dispute, market_reconciliation, market_statement_run, market_submission_attempt,
    market_submission;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
