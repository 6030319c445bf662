"""Storage assets: meter roles `storage_charge` and `storage_discharge`, and the settled balance's storage terms.

`settlement_run` gains `storage_charge_wh` and `storage_discharge_wh` (0 for every run settled before), and its
balance check becomes sources = uses: generation + import + discharge = export + tenants + shared + charge + losses
(docs/storage.md).
"""

from alembic import op

revision = "0019_storage_assets"
down_revision = "0018_memo_asset"
branch_labels = None
depends_on = None

ROLES = "'generation','fuel','grid_import','export','tenant_consumption','shared_consumption'"


def upgrade() -> None:
    op.execute("ALTER TABLE meter DROP CONSTRAINT meter_role_check")
    op.execute(f"ALTER TABLE meter ADD CONSTRAINT meter_role_check CHECK (role IN ({ROLES},"
               " 'storage_charge','storage_discharge'))")
    op.execute("ALTER TABLE settlement_run ADD COLUMN storage_charge_wh bigint NOT NULL DEFAULT 0"
               " CHECK (storage_charge_wh >= 0),"
               " ADD COLUMN storage_discharge_wh bigint NOT NULL DEFAULT 0 CHECK (storage_discharge_wh >= 0)")
    op.execute("ALTER TABLE settlement_run DROP CONSTRAINT settlement_run_check")
    op.execute("ALTER TABLE settlement_run ADD CONSTRAINT settlement_run_balance CHECK (generation_wh"
               " + grid_import_wh + storage_discharge_wh - export_wh - tenant_consumption_wh"
               " - shared_consumption_wh - storage_charge_wh - losses_wh = 0)")


def downgrade() -> None:
    op.execute("ALTER TABLE settlement_run DROP CONSTRAINT settlement_run_balance")
    # Runs with storage keep their closing balance by folding the net charge into losses.
    op.execute("UPDATE settlement_run SET losses_wh = losses_wh + storage_charge_wh - storage_discharge_wh"
               " WHERE storage_charge_wh <> 0 OR storage_discharge_wh <> 0")
    op.execute("ALTER TABLE settlement_run DROP COLUMN storage_charge_wh, DROP COLUMN storage_discharge_wh")
    op.execute("ALTER TABLE settlement_run ADD CONSTRAINT settlement_run_check CHECK (generation_wh + grid_import_wh"
               " - export_wh - tenant_consumption_wh - shared_consumption_wh - losses_wh = 0)")
    op.execute("ALTER TABLE meter DROP CONSTRAINT meter_role_check")
    op.execute(f"ALTER TABLE meter ADD CONSTRAINT meter_role_check CHECK (role IN ({ROLES}))")
