"""PostgreSQL guards on the ledger, beside the same rules in payments.services.ledger:

- a DEFERRABLE INITIALLY DEFERRED constraint trigger refuses, at commit, an entry whose postings do not sum to
  zero or that has fewer than two postings (raised with ERRCODE check_violation, so Django sees IntegrityError);
- entries and postings are append-only: UPDATE and DELETE are refused (TRUNCATE, used by test flushes, is not a
  row operation and still works).

SQLite has no such triggers; the operations do nothing there, so the embedded default still migrates.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked_entry bigint;
    total bigint;
    n integer;
BEGIN
    IF TG_TABLE_NAME = 'payments_posting' THEN
        checked_entry := NEW.entry_id;
    ELSE
        checked_entry := NEW.id;
    END IF;
    SELECT COALESCE(SUM(amount_cents), 0), COUNT(*) INTO total, n
      FROM payments_posting WHERE entry_id = checked_entry;
    IF total <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'journal entry % does not balance: % over % postings', checked_entry, total, n
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER payments_posting_balanced
    AFTER INSERT ON payments_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_entry_balanced();

CREATE CONSTRAINT TRIGGER payments_entry_has_postings
    AFTER INSERT ON payments_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_entry_balanced();

CREATE OR REPLACE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER payments_posting_append_only
    BEFORE UPDATE OR DELETE ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION payments_append_only();

CREATE TRIGGER payments_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION payments_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_entry_append_only ON payments_journalentry;
DROP TRIGGER IF EXISTS payments_posting_append_only ON payments_posting;
DROP FUNCTION IF EXISTS payments_append_only();
DROP TRIGGER IF EXISTS payments_entry_has_postings ON payments_journalentry;
DROP TRIGGER IF EXISTS payments_posting_balanced ON payments_posting;
DROP FUNCTION IF EXISTS payments_entry_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
