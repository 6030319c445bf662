"""ISO node registry (being written)."""

from alembic import op

revision = "0015_iso_node_registry"
down_revision = "0014_finance_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
