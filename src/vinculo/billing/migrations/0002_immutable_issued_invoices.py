"""Database guard: an issued invoice's content and lines cannot be changed.

Triggers refuse an UPDATE that changes the legal content of an invoice that was not a draft
(status, paid date and bookkeeping columns may still move) and any INSERT or UPDATE of a line of
such an invoice. The services already refuse; this stops raw SQL and bugs too.
"""

from django.db import migrations

PROTECTED = ("number", "series", "kind", "account_id", "contact_id", "currency", "net_amount",
             "tax_amount", "total_amount", "issue_date", "due_date", "credited_invoice_id",
             "order_id", "payment_terms_days", "notes", "organization_id")
MESSAGE = "issued invoice is immutable"

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
  IF OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in PROTECTED)}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();
CREATE OR REPLACE FUNCTION billing_invoiceline_immutable() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM billing_invoice WHERE id = NEW.invoice_id AND status <> 'draft')
     OR (TG_OP = 'UPDATE' AND EXISTS (
         SELECT 1 FROM billing_invoice WHERE id = OLD.invoice_id AND status <> 'draft')) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_immutable BEFORE INSERT OR UPDATE ON billing_invoiceline
  FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_immutable();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_immutable();
DROP TRIGGER IF EXISTS billing_invoiceline_immutable ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_immutable();
"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE ON billing_invoice
    FOR EACH ROW WHEN OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in PROTECTED)})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER billing_invoiceline_immutable_insert BEFORE INSERT ON billing_invoiceline
    FOR EACH ROW WHEN (SELECT status FROM billing_invoice WHERE id = NEW.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER billing_invoiceline_immutable_update BEFORE UPDATE ON billing_invoiceline
    FOR EACH ROW WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS billing_invoice_immutable",
    "DROP TRIGGER IF EXISTS billing_invoiceline_immutable_insert",
    "DROP TRIGGER IF EXISTS billing_invoiceline_immutable_update",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
