"""Certificate serial ranges, retirements in the ledger, and the ledger entry of each emissions version (issue 18).

A lot now names the registry's serial numbers it holds (`serial_prefix`, `serial_start` to `serial_end`
inclusive, `certificate_wh` per serial) and where the certificates were generated (`location`). An exclusion
constraint refuses a second lot whose serials overlap a registered lot of the same registry and prefix, so the
same MWh cannot be registered twice under a new lot id; the service checks first and names both lots. Lots
registered before this migration keep NULL serials and stay readable.

A claim records the idempotency key of the ledger entry that retired it (`retirement_ledger_key`), and each
stored emissions version the key of the ledger entry carrying its figures (`ledger_idempotency_key`: the
settlement for the version as settled, the restatement adjustment for later ones). Both are set once, on
insert, like every other column of these append-only tables.
"""

from alembic import op

revision = "0009_esg_certificate_serials"
down_revision = "0008_campus"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE esg_certificate_lot
    ADD COLUMN serial_prefix  text NOT NULL DEFAULT '',
    ADD COLUMN serial_start   bigint CHECK (serial_start >= 0),
    ADD COLUMN serial_end     bigint,
    ADD COLUMN certificate_wh bigint NOT NULL DEFAULT 1000000 CHECK (certificate_wh > 0),
    ADD COLUMN location       text NOT NULL DEFAULT '',
    ADD CONSTRAINT esg_certificate_lot_serial_pair CHECK ((serial_start IS NULL) = (serial_end IS NULL)),
    ADD CONSTRAINT esg_certificate_lot_serial_order CHECK (serial_end >= serial_start),
    ADD CONSTRAINT esg_certificate_lot_serials_once EXCLUDE USING gist (
        registry WITH =, serial_prefix WITH =, int8range(serial_start, serial_end, '[]') WITH &&
    ) WHERE (serial_start IS NOT NULL);
ALTER TABLE esg_certificate_claim ADD COLUMN retirement_ledger_key text;
ALTER TABLE esg_cycle_emissions ADD COLUMN ledger_idempotency_key text;
"""

DOWNGRADE_SQL = """
ALTER TABLE esg_cycle_emissions DROP COLUMN ledger_idempotency_key;
ALTER TABLE esg_certificate_claim DROP COLUMN retirement_ledger_key;
ALTER TABLE esg_certificate_lot DROP CONSTRAINT esg_certificate_lot_serials_once,
    DROP CONSTRAINT esg_certificate_lot_serial_order, DROP CONSTRAINT esg_certificate_lot_serial_pair,
    DROP COLUMN location, DROP COLUMN certificate_wh, DROP COLUMN serial_end, DROP COLUMN serial_start,
    DROP COLUMN serial_prefix;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
