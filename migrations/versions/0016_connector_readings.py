"""Live connector readings (being written)."""

from alembic import op

revision = "0016_connector_readings"
down_revision = "0015_iso_node_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
