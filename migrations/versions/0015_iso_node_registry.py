"""ISO node registry: each ISO's published settlement points, zones and hubs, versioned by the lists loaded.

- `iso_node_list`: one row per loaded list (ISO, kind of list, source file, its sha256, the day it describes,
  who loaded it). The same bytes again are a no-op; a list older than the newest loaded for its ISO and kind is
  refused, so validity only ever moves forward.
- `iso_node`: one row per ISO and node id, with name, type (hub, load zone, resource node, generator, ...), zone,
  and validity `[valid_from, valid_to)` in the ISO's local days. A node missing from a newer list of the kind
  that listed it is closed (`valid_to` = that list's day), never deleted: old statements and campus files still
  name it. NULL `valid_from` means "listed since before the first list we loaded".

SQL runs through `exec_driver_sql` without parameters.
"""

from alembic import op

revision = "0015_iso_node_registry"
down_revision = "0014_finance_review"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE iso_node_list (
    list_id bigserial PRIMARY KEY,
    iso text NOT NULL,
    list_kind text NOT NULL CHECK (length(list_kind) BETWEEN 1 AND 64),
    source_name text NOT NULL,
    source_sha256_hex text NOT NULL CHECK (length(source_sha256_hex) = 64),
    as_of date NOT NULL,
    node_count integer NOT NULL CHECK (node_count >= 0),
    opened_count integer NOT NULL CHECK (opened_count >= 0),
    closed_count integer NOT NULL CHECK (closed_count >= 0),
    loaded_by text NOT NULL,
    loaded_at_utc timestamptz NOT NULL DEFAULT now(),
    UNIQUE (iso, list_kind, source_sha256_hex)
);
CREATE INDEX iso_node_list_latest ON iso_node_list (iso, list_kind, as_of);
CREATE TABLE iso_node (
    iso text NOT NULL,
    node_id text NOT NULL CHECK (length(node_id) BETWEEN 1 AND 200),
    name text NOT NULL,
    node_type text NOT NULL,
    zone text,
    list_kind text NOT NULL,
    valid_from date,
    valid_to date,
    attributes_json jsonb NOT NULL DEFAULT '{}'::jsonb,
    first_list_id bigint NOT NULL REFERENCES iso_node_list (list_id),
    last_list_id bigint NOT NULL REFERENCES iso_node_list (list_id),
    PRIMARY KEY (iso, node_id),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to)
);
CREATE INDEX iso_node_name ON iso_node (iso, name);
"""

DOWNGRADE_SQL = """
DROP TABLE iso_node;
DROP TABLE iso_node_list;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
