"""Tenant API keys are bound to the campuses billing the tenant, not only to a tenant id (issue 19).

A tenant id is unique only within a campus (`tenant` has the key (campus_id, tenant_id)), so a key bound to
the tenant id alone would read the documents of a same-named tenant on another campus. `api_key.campus_ids`
lists the campuses a tenant key may see; it is required (non-empty) with the tenant role and empty otherwise
for new keys. Tenant keys made before this migration get no campuses and so see no tenant documents until
replaced (`wattledger access api-key ... --campus-id ...`).

SQL runs through `exec_driver_sql` without parameters.
"""

from alembic import op

revision = "0012_tenant_campus_binding"
down_revision = "0011_documents_kept"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
ALTER TABLE api_key ADD COLUMN campus_ids text[] NOT NULL DEFAULT '{}';
"""

DOWNGRADE_SQL = """
ALTER TABLE api_key DROP COLUMN campus_ids;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
