"""Memo assets: ledger facts that are never billed money (shadow market participation's USD_SHADOW/6).

`ledger_asset.kind` gains 'memo'. A memo asset has its own accounts, so its amounts can never be added to, or
netted against, an invoiced balance; the per-entry, per-asset zero sum still holds.
"""

from alembic import op

revision = "0018_memo_asset"
down_revision = "0017_shared_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE ledger_asset DROP CONSTRAINT ledger_asset_kind_check")
    op.execute("ALTER TABLE ledger_asset ADD CONSTRAINT ledger_asset_kind_check"
               " CHECK (kind IN ('money', 'energy', 'carbon', 'memo'))")


def downgrade() -> None:
    op.execute("DELETE FROM ledger_asset WHERE kind = 'memo' AND asset_code NOT IN"
               " (SELECT asset_code FROM ledger_account)")
    op.execute("ALTER TABLE ledger_asset DROP CONSTRAINT ledger_asset_kind_check")
    op.execute("ALTER TABLE ledger_asset ADD CONSTRAINT ledger_asset_kind_check"
               " CHECK (kind IN ('money', 'energy', 'carbon'))")
