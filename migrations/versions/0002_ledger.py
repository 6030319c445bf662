"""Schema for ledger (issue 3).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0002_ledger"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
