"""Schema for ISO market adapters (issue 7).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0006_market"
down_revision = "0005_invoicing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
