"""Schema for meter data management (issue 4).

Owned by that area; reserved in the chain so areas can grow in parallel without branching.
"""

revision = "0003_meterdata"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
