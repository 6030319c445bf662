"""Battery state of charge as reported by the battery management system (docs/storage.md)."""

from alembic import op

revision = "0022_storage_state_of_charge"
down_revision = "0021_connector_day_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
