"""Limits shared by API processes (being written)."""

from alembic import op

revision = "0017_shared_limits"
down_revision = "0016_connector_readings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
