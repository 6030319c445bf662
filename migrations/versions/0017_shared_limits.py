"""Limits every API process shares: failed sign-ins and upload slots (issue 19).

Both lived in each API process's memory, so two processes gave a user twice the sign-in attempts and twice the
uploads at once. In the database, every process counts against the same rows.

- `sign_in_failure`: failed sign-ins in a row per key (`user:<name>`, `address:<ip>`), the last failure and the
  lock it set (`accounts.rules.record_failure` decides; `accounts.repository` stores). A success removes the
  name's row; rows without a failure for the forget period are removed as new failures are recorded.
- `upload_slot_lease`: one row per upload in progress, held by a principal (`subject`) until `expires_at_utc`.
  The process holding it renews it while the upload runs and deletes it at the end; a process that dies stops
  renewing, and its leases stop counting once they expire (`api.upload_slots`).
"""

from alembic import op

revision = "0017_shared_limits"
down_revision = "0016_connector_readings"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE sign_in_failure (
    throttle_key       text PRIMARY KEY CHECK (length(throttle_key) BETWEEN 1 AND 300),
    failure_count      integer NOT NULL CHECK (failure_count >= 1),
    last_failure_utc   timestamptz NOT NULL,
    locked_until_utc   timestamptz
);
CREATE INDEX sign_in_failure_last ON sign_in_failure (last_failure_utc);

CREATE TABLE upload_slot_lease (
    lease_id           uuid PRIMARY KEY,
    subject            text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    acquired_at_utc    timestamptz NOT NULL DEFAULT now(),
    expires_at_utc     timestamptz NOT NULL
);
CREATE INDEX upload_slot_lease_subject ON upload_slot_lease (subject, expires_at_utc);
"""

DOWNGRADE_SQL = """
DROP TABLE upload_slot_lease, sign_in_failure;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
