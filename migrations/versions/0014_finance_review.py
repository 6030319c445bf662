"""Finance's review of a cycle: overrides of blocking findings and the decision record (issue 19).

- `finding_override`: a finance user accepts one blocking finding of one settlement version of a cycle (its code,
  e.g. `balance` or `amount_change:<tenant>`) with a reason; one per cycle, version and code, never edited or
  removed (a control's evidence). A re-settled version (after a rejection) is reviewed afresh.
- `cycle_decision`: who approved or rejected a cycle, with which comment, and the cycle's phase the workflow
  answered; the workflow's own step (`approval-v{n}`) names only the approvers.

`recorded_at_utc` is set by the database. SQL runs through `exec_driver_sql` without parameters.
"""

from alembic import op

revision = "0014_finance_review"
down_revision = "0013_user_accounts"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE finding_override (
    cycle_id text NOT NULL REFERENCES billing_cycle (cycle_id),
    settlement_version text NOT NULL,                  -- the settle step's label, v1, v2, ...
    finding_code text NOT NULL CHECK (length(finding_code) BETWEEN 1 AND 200),
    finding_message text NOT NULL,
    reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    overridden_by text NOT NULL,
    recorded_at_utc timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, settlement_version, finding_code)
);
CREATE FUNCTION finding_override_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'finding_override is append-only (' || TG_OP || ' refused)';
END
$body$;
CREATE TRIGGER finding_override_append_only BEFORE UPDATE OR DELETE ON finding_override
    FOR EACH ROW EXECUTE FUNCTION finding_override_refuse_change();
CREATE TABLE cycle_decision (
    decision_id bigserial PRIMARY KEY,
    cycle_id text NOT NULL REFERENCES billing_cycle (cycle_id),
    decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
    decided_by text NOT NULL,
    comment text NOT NULL DEFAULT '',
    phase_after text NOT NULL,
    recorded_at_utc timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cycle_decision_cycle ON cycle_decision (cycle_id, recorded_at_utc);
"""

DOWNGRADE_SQL = """
DROP TABLE cycle_decision;
DROP TABLE finding_override;
DROP FUNCTION finding_override_refuse_change();
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
