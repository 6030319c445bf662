"""Schema for finance approval and invoicing (issue 6).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0005_invoicing"
down_revision = "0004_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
