"""Schema for finance approval and invoicing (issue 6).

- An invoice is never edited: a trigger lets only its status move draft -> final -> cancelled and refuses
  deletes. Corrections are credit notes (`credit_note`) or a cancellation (`invoice_cancellation`) plus a
  new invoice that names the one it replaces (`invoice.replaces_invoice_id`).
- "One invoice per tenant per cycle" becomes "one live (not cancelled) invoice per tenant per cycle", so a
  cancelled invoice can be re-billed under a new number.
- `invoice_file` records where each rendered document (JSON, signed PDF) is stored and its sha256.
- `api_key` stores API keys by the sha256 of their secret part, with roles and, for tenants, a tenant id.

SQL runs through `exec_driver_sql` without parameters; messages are built with `||`, not format strings.
"""

from alembic import op

revision = "0005_invoicing"
down_revision = "0004_settlement"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
ALTER TABLE invoice ADD COLUMN replaces_invoice_id text REFERENCES invoice (invoice_id);
ALTER TABLE invoice DROP CONSTRAINT invoice_cycle_id_tenant_id_key;
CREATE UNIQUE INDEX invoice_live_per_tenant ON invoice (cycle_id, tenant_id) WHERE status <> 'cancelled';
CREATE INDEX invoice_by_tenant ON invoice (tenant_id, issued_at_utc);

CREATE FUNCTION invoice_forbid_edit() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = 'invoice ' || OLD.invoice_id || ' cannot be deleted; issue a credit note';
    END IF;
    IF (NEW.invoice_id, NEW.issuer, NEW.number, NEW.cycle_id, NEW.campus_id, NEW.tenant_id,
        NEW.total_usd_cents, NEW.document_json, NEW.document_sha256_hex, NEW.issued_at_utc,
        NEW.replaces_invoice_id)
       IS DISTINCT FROM
       (OLD.invoice_id, OLD.issuer, OLD.number, OLD.cycle_id, OLD.campus_id, OLD.tenant_id,
        OLD.total_usd_cents, OLD.document_json, OLD.document_sha256_hex, OLD.issued_at_utc,
        OLD.replaces_invoice_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = 'invoice ' || OLD.invoice_id || ' cannot be edited; issue a credit note';
    END IF;
    IF NOT (NEW.status = OLD.status
            OR (OLD.status = 'draft' AND NEW.status = 'final')
            OR (OLD.status = 'final' AND NEW.status = 'cancelled')) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = 'invoice ' || OLD.invoice_id || ': status ' || OLD.status || ' cannot become ' || NEW.status;
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER invoice_forbid_edit BEFORE UPDATE OR DELETE ON invoice
    FOR EACH ROW EXECUTE FUNCTION invoice_forbid_edit();

CREATE TABLE invoice_cancellation (
    invoice_id        text PRIMARY KEY REFERENCES invoice,
    reason            text NOT NULL CHECK (length(reason) > 0),
    cancelled_at_utc  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credit_note (
    credit_note_id      text PRIMARY KEY,                 -- {issuer}-CN-{number:06d}
    issuer              text NOT NULL,
    number              bigint NOT NULL,
    invoice_id          text NOT NULL REFERENCES invoice,
    tenant_id           text NOT NULL,
    reason              text NOT NULL CHECK (length(reason) > 0),
    amount_usd_cents    bigint NOT NULL CHECK (amount_usd_cents > 0),
    idempotency_key     text NOT NULL UNIQUE,
    document_json       jsonb NOT NULL,
    document_sha256_hex text NOT NULL CHECK (document_sha256_hex ~ '^[0-9a-f]{64}$'),
    issued_at_utc       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, number)
);
CREATE INDEX credit_note_by_invoice ON credit_note (invoice_id);

CREATE FUNCTION credit_note_forbid_edit() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'credit note ' || OLD.credit_note_id || ' is final and cannot change';
END
$body$;

CREATE TRIGGER credit_note_forbid_edit BEFORE UPDATE OR DELETE ON credit_note
    FOR EACH ROW EXECUTE FUNCTION credit_note_forbid_edit();

CREATE TABLE invoice_file (
    document_id       text NOT NULL,                      -- an invoice_id or a credit_note_id
    kind              text NOT NULL CHECK (kind IN ('json', 'pdf')),
    uri               text NOT NULL,
    sha256_hex        text NOT NULL CHECK (sha256_hex ~ '^[0-9a-f]{64}$'),
    recorded_at_utc   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, kind)
);

CREATE TABLE api_key (
    key_id            text PRIMARY KEY CHECK (key_id ~ '^[a-z0-9]{12}$'),
    secret_sha256_hex text NOT NULL CHECK (secret_sha256_hex ~ '^[0-9a-f]{64}$'),
    subject           text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    roles             text[] NOT NULL CHECK (cardinality(roles) >= 1
                          AND roles <@ ARRAY['operator','finance','auditor','tenant','ingest']::text[]),
    tenant_id         text,
    created_at_utc    timestamptz NOT NULL DEFAULT now(),
    revoked_at_utc    timestamptz,
    CHECK (('tenant' = ANY (roles)) = (tenant_id IS NOT NULL))
);
"""

DOWNGRADE_SQL = """
DROP TABLE api_key, invoice_file, invoice_cancellation;
DROP TRIGGER credit_note_forbid_edit ON credit_note;
DROP TABLE credit_note;
DROP FUNCTION credit_note_forbid_edit();
DROP TRIGGER invoice_forbid_edit ON invoice;
DROP FUNCTION invoice_forbid_edit();
DROP INDEX invoice_by_tenant;
DROP INDEX invoice_live_per_tenant;
ALTER TABLE invoice ADD CONSTRAINT invoice_cycle_id_tenant_id_key UNIQUE (cycle_id, tenant_id);
ALTER TABLE invoice DROP COLUMN replaces_invoice_id;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
