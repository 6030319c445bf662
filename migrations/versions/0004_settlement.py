"""Schema for settlement engine (issue 5).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0004_settlement"
down_revision = "0003_meterdata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
