"""Each received file records the CSV layout it was received with (docs/meter-data.md, "Your own CSV layout").

A campus file declares named layouts (`[[csv_layouts]]`); a file received with one is read with it again by every
cycle and correction. Files received before were all read as the built-in site export, which they keep.
"""

from alembic import op

revision = "0022_raw_file_csv_layout"
down_revision = "0021_connector_day_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE raw_file ADD COLUMN csv_layout text NOT NULL DEFAULT 'SITE_EXPORT_V1'"
               " CHECK (csv_layout ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$')")


def downgrade() -> None:
    op.execute("ALTER TABLE raw_file DROP COLUMN csv_layout")
