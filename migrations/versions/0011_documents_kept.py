"""Issued invoices and credit notes stay: no TRUNCATE, no DELETE, and an application role without either (issue 16).

0005 refused row DELETEs (and edits) on `invoice` and `credit_note` by row triggers, but a row trigger never fires
for TRUNCATE, so `TRUNCATE invoice, credit_note` (or a `TRUNCATE billing_cycle CASCADE`) erased every issued
document. Each issued document's SHA-256 is a ledger fact (docs/ledger-spec.md §10), so the rows that hold the
documents and where their files lie (`invoice_file`) and the cancellations (`invoice_cancellation`) are kept like
the ledger's own tables:

- every one of the four tables gets a `BEFORE TRUNCATE ... FOR EACH STATEMENT` trigger that raises, and
  `invoice_file` and `invoice_cancellation` a row trigger refusing UPDATE and DELETE (invoice and credit_note
  have theirs since 0005; an invoice's status still moves draft -> final -> cancelled);
- the role `wattledger_invoice_writer` (created if missing, never dropped: roles are cluster-wide) may SELECT and
  INSERT them, UPDATE only `invoice` (the trigger limits that to the status) and the invoice number sequences, and
  never DELETE or TRUNCATE; PUBLIC loses every right on them. Make the application's login role a member of it
  and of `wattledger_ledger_writer`.

A superuser or the tables' owner can still disable triggers; what they erase is then detected, not prevented:
the ledger names every issued document by its hash, and the standalone verifier checks exported documents
against those facts.

SQL runs through `exec_driver_sql` without parameters; messages are built with `||`, not format strings.
"""

from alembic import op

revision = "0011_documents_kept"
down_revision = "0010_esg_market_rates"
branch_labels = None
depends_on = None

DOCUMENT_TABLES = ("invoice", "credit_note", "invoice_cancellation", "invoice_file")

UPGRADE_SQL = """
CREATE FUNCTION invoice_documents_refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = TG_TABLE_NAME || ' is append-only: issued documents cannot be removed (' || TG_OP || ' refused);'
                  || ' correct an invoice with a credit note or a cancellation and a replacement';
END
$body$;

CREATE TRIGGER invoice_cancellation_no_update_delete BEFORE UPDATE OR DELETE ON invoice_cancellation
    FOR EACH ROW EXECUTE FUNCTION invoice_documents_refuse_removal();
CREATE TRIGGER invoice_file_no_update_delete BEFORE UPDATE OR DELETE ON invoice_file
    FOR EACH ROW EXECUTE FUNCTION invoice_documents_refuse_removal();

DO $$ BEGIN
    CREATE ROLE wattledger_invoice_writer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT, INSERT, UPDATE ON invoice, invoice_sequence TO wattledger_invoice_writer;
"""


def _no_truncate_sql(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_documents_refuse_removal();
REVOKE ALL ON {table} FROM PUBLIC;
GRANT SELECT, INSERT ON {table} TO wattledger_invoice_writer;
"""


DOWNGRADE_SQL = """
DROP TRIGGER invoice_no_truncate ON invoice;
DROP TRIGGER credit_note_no_truncate ON credit_note;
DROP TRIGGER invoice_cancellation_no_truncate ON invoice_cancellation;
DROP TRIGGER invoice_file_no_truncate ON invoice_file;
DROP TRIGGER invoice_cancellation_no_update_delete ON invoice_cancellation;
DROP TRIGGER invoice_file_no_update_delete ON invoice_file;
DROP FUNCTION invoice_documents_refuse_removal();
REVOKE ALL ON invoice, credit_note, invoice_cancellation, invoice_file, invoice_sequence FROM wattledger_invoice_writer;
"""


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(UPGRADE_SQL)
    for table in DOCUMENT_TABLES:
        bind.exec_driver_sql(_no_truncate_sql(table))


def downgrade() -> None:
    # The role is cluster-wide and may serve other databases: it stays.
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
