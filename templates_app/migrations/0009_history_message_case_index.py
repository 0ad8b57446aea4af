"""Issue 17.1/17.2: a case's SMS history is found by index.

The case page's timeline and the auditor's case history read a case's message versions by the
generic key, ``WHERE content_type_id = ... AND object_id = ... ORDER BY history_date DESC,
history_id DESC LIMIT 101``. simple-history indexes ``content_type_id`` alone on the historical
table (one value for every case message) and not ``object_id``, so the read scanned every
message version kept: 37 ms of the case page's 47 ms of SQL at 100,000 cases (140,000
versions), growing with the outbox. One composite index answers it with an ordered scan of the
case's own versions.

SQL rather than ``AddIndex``: simple-history generates the historical model, with no way to
declare an index on it (as in kmcs_site 0003). ``IF NOT EXISTS`` works on SQLite and PostgreSQL.
"""

from django.db import migrations

TABLE = "templates_app_historicaloutboundmessage"
INDEX = "templates_app_historicaloutboundmessage_case_history"


def create(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(INDEX)} ON {quote(TABLE)} "
        "(content_type_id, object_id, history_date, history_id)"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [("templates_app", "0008_outbox_provider_key")]

    operations = [migrations.RunPython(create, drop)]
