"""ISO settlement statements beyond ISO-NE's (docs/iso-adapters.md)."""

from alembic import op

revision = "0023_market_statements"
down_revision = "0022_storage_state_of_charge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
