"""The closing charging-source pool of each battery, per settled cycle and settlement revision (docs/storage.md).

The pool a period leaves is the next period's opening pool. It is kept per revision, so a re-settle or a correction
of an earlier period reads the pool its predecessor left as recorded, and a correction of that predecessor adds a
revision instead of editing what later periods were settled from.
"""

from alembic import op

revision = "0020_storage_pool"
down_revision = "0019_storage_assets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE storage_pool (
    cycle_id     text NOT NULL,
    revision     integer NOT NULL,
    asset_id     text NOT NULL,
    pool_method  text NOT NULL CHECK (pool_method IN ('fifo', 'pro_rata')),
    energy_wh    bigint NOT NULL CHECK (energy_wh >= 0),
    lots_json    jsonb NOT NULL,
    PRIMARY KEY (cycle_id, revision, asset_id),
    FOREIGN KEY (cycle_id, revision) REFERENCES settlement_run
)""")


def downgrade() -> None:
    op.execute("DROP TABLE storage_pool")
