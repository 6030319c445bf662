"""Schema for ESG emissions (issue 8).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0007_esg"
down_revision = "0006_market"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
