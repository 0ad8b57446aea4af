"""Issue 17.8: the audit trail filtered by a user stays index-backed at any history size.

The auditor's history list (``kmcs_site.history.history_page_keys``) reads, per audited
table, the newest rows ``ORDER BY history_date DESC, history_id DESC`` and optionally
``WHERE history_user_id = ...`` (누가 바꿨나) and a date range. simple-history indexes
``history_date`` and ``history_user_id`` separately: with a user filter PostgreSQL had to pick
one and either walk the date index discarding other users' rows or fetch all of the user's
rows and sort them (both grow with the table: about 19M rows at 1M cases). One composite index
per historical table, ``(history_user_id, history_date, history_id)``, answers the filtered
page with an ordered index scan that stops after the page. ``bench/history_scale.py`` shows
the plans (EXPLAIN) for every audit query shape.

SQL rather than ``AddIndex``: simple-history generates the historical models, with no way to
declare a composite index on them (as in cases 0004). The tables are found in the migration
state (every model with ``history_date``, ``history_id`` and ``history_user``), so a table
added later by another app is covered by rerunning this function in that app's migration.
"""

from django.db import migrations

INDEX_SUFFIX = "_hist_user_date"


def history_tables(apps):
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if {"history_date", "history_id", "history_user"} <= names:
            yield model._meta.db_table


def index_name(table: str) -> str:
    return (table[: 63 - len(INDEX_SUFFIX)] + INDEX_SUFFIX).lower()


def create(apps, schema_editor):
    quote = schema_editor.quote_name
    for table in sorted(history_tables(apps)):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(index_name(table))} ON {quote(table)} "
            f"(history_user_id, history_date, history_id)"
        )


def drop(apps, schema_editor):
    quote = schema_editor.quote_name
    for table in sorted(history_tables(apps)):
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index_name(table))}")


class Migration(migrations.Migration):
    dependencies = [
        ("kmcs_site", "0002_api_tokens_knox"),
        ("cases", "0013_dashboard_summary"),
        ("partners", "0009_site_kind_rows"),
        ("rules", "0007_ev_admin_guide_links"),
        ("templates_app", "0007_template_values_from_rules"),
        ("notifications", "0002_payout_check_kind"),
        ("fines", "0004_payout_needs_reconciliation"),
    ]

    operations = [migrations.RunPython(create, drop)]
