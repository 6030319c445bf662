"""Market-rate library (issue 18): supplier-specific rates, residual mixes and grid upstream factors as
versioned rows with their provenance.

A row is one published rate for one zone (an eGRID subregion or a market boundary) over a validity window
[valid_from, valid_to), in grams CO2e per MWh, with the publication it comes from (`source`, `edition`). Rows are
append-only like the factor editions: a revision is a new row id.
"""

from alembic import op

revision = "0010_esg_market_rates"
down_revision = "0009_esg_certificate_serials"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE esg_market_rate (
    rate_id            text PRIMARY KEY CHECK (rate_id ~ '^[a-z0-9][a-z0-9_.:/-]{0,126}$'),
    kind               text NOT NULL CHECK (kind IN ('supplier','residual_mix','grid_upstream')),
    zone               text NOT NULL CHECK (btrim(zone) <> ''),
    g_co2e_per_mwh     numeric(30,12) NOT NULL CHECK (g_co2e_per_mwh >= 0),
    source             text NOT NULL CHECK (btrim(source) <> ''),
    edition            text NOT NULL CHECK (btrim(edition) <> ''),
    valid_from         date NOT NULL,
    valid_to           date CHECK (valid_to IS NULL OR valid_to > valid_from),
    supplier           text,
    note               text NOT NULL DEFAULT '',
    content_sha256     text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    registered_at_utc  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX esg_market_rate_zone ON esg_market_rate (kind, zone, valid_from);
CREATE TRIGGER esg_market_rate_append_only BEFORE UPDATE OR DELETE ON esg_market_rate
    FOR EACH ROW EXECUTE FUNCTION esg_refuse_change();
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP TABLE esg_market_rate")
